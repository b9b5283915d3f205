"""The excellent-rating cap: check, headroom and minimal enforcement, exact and vectorised.

cap(base) = ratio × base, rounded as the reading says, in integer arithmetic. A group is
compliant iff ``n_excellent ≤ cap``. With ``final`` timing the minimal number of demotions ``d``
is the least ``d`` with ``E − d ≤ cap(base after d demotions)``: demoting EXCELLENT → GOOD enlarges
a ``good`` base (see docs/rules/cap.md).

Examples
--------
>>> import numpy as np
>>> E, G = np.array([2, 3, 5, 1, 0]), np.array([10, 10, 10, 4, 0])
>>> z = np.zeros(5, dtype=np.int64)
>>> caps(E, G, z, z, z, 1, 5).tolist()
[2, 2, 2, 0, 0]
>>> minimal_demotions(E, G, z, z, z, 1, 5).tolist()
[0, 1, 3, 1, 0]
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from .. import levels as L

if TYPE_CHECKING:
    from ..policies import Policy

_LEVEL_INDEX = {code: i for i, code in enumerate(L.ALL_LEVELS)}


def base_count(E, G, C, N, R, base: str):
    """The count the cap is a share of, under the ``base`` reading (good, good_or_better, rated, headcount)."""
    if base == "good":
        return G
    if base == "good_or_better":
        return E + G
    if base == "rated":
        return E + G + C + N
    if base == "headcount":
        return E + G + C + N + R
    raise ValueError(f"unknown base {base!r}")


def cap_of(base, num, den, rounding: str = "floor", min_one: bool = False, rated=None):
    """``ratio × base`` rounded, in exact integer arithmetic (``ratio = num/den``).

    >>> cap_of(np.array([90]), 7, 10).tolist()   # floor(0.7 * 90) is 62 in floats
    [63]
    """
    base = np.asarray(base, dtype=np.int64)
    num = np.asarray(num, dtype=np.int64)
    den = np.asarray(den, dtype=np.int64)
    prod = base * num
    if rounding == "floor":
        cap = prod // den
    elif rounding == "ceil":
        cap = -((-prod) // den)
    elif rounding == "half_up":
        cap = (2 * prod + den) // (2 * den)
    else:
        raise ValueError(f"unknown rounding {rounding!r}")
    if min_one:
        cap = np.where(np.asarray(rated) > 0, np.maximum(cap, 1), cap)
    return cap


def caps(E, G, C, N, R, num, den, base="good", rounding="floor", min_one=False):
    """The cap of each group on its current counts."""
    E, G, C, N, R = (np.asarray(x, dtype=np.int64) for x in (E, G, C, N, R))
    return cap_of(base_count(E, G, C, N, R, base), num, den, rounding, min_one, E + G + C + N)


def minimal_demotions(E, G, C, N, R, num, den, base="good", rounding="floor", min_one=False, timing="final"):
    """The least number of EXCELLENT → GOOD demotions that makes each group compliant.

    ``proposed`` timing keeps the cap of the counts before enforcement (the whole excess);
    ``final`` checks the counts after demotion. Vectorised binary search over ``0 … E``: the
    condition ``E − d ≤ cap(base(d))`` is monotone in ``d`` because the base never shrinks.
    """
    E, G, C, N, R = (np.asarray(x, dtype=np.int64) for x in (E, G, C, N, R))
    rated = E + G + C + N
    if timing == "proposed":
        return np.maximum(E - cap_of(base_count(E, G, C, N, R, base), num, den, rounding, min_one, rated), 0)
    if timing != "final":
        raise ValueError(f"unknown timing {timing!r}")
    if base != "good":  # the base does not move when EXCELLENT becomes GOOD: the whole excess
        return np.maximum(E - cap_of(base_count(E, G, C, N, R, base), num, den, rounding, min_one, rated), 0)
    if rounding == "floor" and not min_one:
        # E − d ≤ ⌊(G + d)·num/den⌋  ⟺  E·den − G·num ≤ d·(num + den): the least d in closed form
        num, den = np.asarray(num, dtype=np.int64), np.asarray(den, dtype=np.int64)
        return np.maximum(-((G * num - E * den) // (num + den)), 0)

    def ok(d):
        return E - d <= cap_of(base_count(E - d, G + d, C, N, R, base), num, den, rounding, min_one, rated)

    lo = np.zeros_like(E)  # lo: not known ok unless 0 is ok
    hi = E.copy()  # always ok: nobody left excellent
    done = ok(lo)
    hi = np.where(done, 0, hi)
    # invariant for the rest: ok(hi) true, ok(lo) false
    active = ~done
    while active.any():
        mid = (lo + hi) // 2
        good = ok(mid)
        hi = np.where(active & good, mid, hi)
        lo = np.where(active & ~good, mid, lo)
        active = hi - lo > 1
    return hi


# --------------------------------------------------------------------------------------------
# Roster → counts per group
# --------------------------------------------------------------------------------------------

COUNT_NAMES = ("n_excellent", "n_good", "n_completed", "n_not_completed", "n_not_rated")


def level_index(levels: pd.Series) -> np.ndarray:
    """Integer position of each level in :data:`evalkit.levels.ALL_LEVELS` (−1 for missing)."""
    cat = L.as_levels(levels)
    return cat.cat.codes.to_numpy()


def counts_from_codes(group_index: np.ndarray, n_groups: int, level_codes: np.ndarray) -> dict[str, np.ndarray]:
    """Counts per group and level with one ``bincount`` (COMPLETED_LIMITED counts as completed)."""
    k = len(L.ALL_LEVELS) + 1  # one spare slot per group for missing codes (−1), dropped below
    codes = np.where(level_codes >= 0, level_codes, k - 1)
    flat = np.bincount(group_index * k + codes, minlength=n_groups * k).reshape(n_groups, k)
    i = _LEVEL_INDEX
    return {
        "n_excellent": flat[:, i[L.EXCELLENT]],
        "n_good": flat[:, i[L.GOOD]],
        "n_completed": flat[:, i[L.COMPLETED]] + flat[:, i[L.COMPLETED_LIMITED]],
        "n_not_completed": flat[:, i[L.NOT_COMPLETED]],
        "n_not_rated": flat[:, i[L.NOT_RATED]],
    }


class KeyCoder:
    """Integer codes of a frame's key columns, factorised once per column and reused across scopes.

    >>> frame = pd.DataFrame({"year": [2026, 2026, 2026], "unit_id": pd.Categorical(["B", "A", "B"]),
    ...                       "task_group": ["B-1", "A-1", "B-2"]})
    >>> coder = KeyCoder(frame)
    >>> unit, team = coder.partitions([["year", "unit_id"], ["year", "unit_id", "task_group"]])
    >>> unit.index.tolist(), team.index.tolist()
    ([1, 0, 1], [0, 1, 2])
    >>> unit.key_frame(frame, ["year", "unit_id"])["unit_id"].tolist()
    ['A', 'B']
    """

    def __init__(self, frame: pd.DataFrame):
        self.frame = frame
        self._codes: dict[str, tuple[np.ndarray, int]] = {}

    def codes(self, col: str) -> tuple[np.ndarray, int]:
        """Integer code of each row's value in ``col`` and the number of codes (missing values get a code)."""
        if col not in self._codes:
            values = self.frame[col]
            n = len(values)
            if isinstance(values.dtype, pd.CategoricalDtype):
                codes = values.cat.codes.to_numpy()
                m = len(values.cat.categories)
                if (codes < 0).any():  # missing keys form a group of their own
                    self._codes[col] = (np.where(codes < 0, m, codes).astype(np.int64), m + 1)
                else:
                    self._codes[col] = (codes.astype(np.int64), m)
            elif values.dtype.kind in "iub" and n:  # small-range integers (years): offsets, no hashing
                v = values.to_numpy()
                lo, hi = int(v.min()), int(v.max())
                if hi == lo:
                    self._codes[col] = (np.zeros(n, dtype=np.int64), 1)
                elif hi - lo <= 4 * n + 1024:  # numbered in order of first appearance, as pd.factorize does
                    offset = v.astype(np.int64) - lo
                    first = np.full(hi - lo + 1, n, dtype=np.int64)
                    first[offset[::-1]] = np.arange(n - 1, -1, -1)
                    seen = np.flatnonzero(first < n)
                    number = np.empty(hi - lo + 1, dtype=np.int64)
                    number[seen[np.argsort(first[seen])]] = np.arange(len(seen))
                    self._codes[col] = (number[offset], len(seen))
            if col not in self._codes:
                codes, uniques = pd.factorize(values, sort=False, use_na_sentinel=False)
                self._codes[col] = (codes.astype(np.int64), len(uniques))
        return self._codes[col]

    def group_index(self, keys: list[str]) -> tuple[np.ndarray, pd.DataFrame]:
        """Dense group number per row and the key values of each group."""
        g = self.partition(keys)
        return g.index, g.key_frame(self.frame, keys)

    def partition(self, keys: list[str]) -> "Partition":
        """The rows grouped by ``keys``: a group number per row, numbered in the order of the key codes."""
        gi, n_groups = combine_codes([self.codes(k) for k in keys], len(self.frame))
        return Partition(gi, n_groups, first_rows(gi, n_groups))

    def partitions(self, key_lists: list[list[str]]) -> list["Partition"]:
        """One partition per key list, from one pass over the rows.

        The rows are grouped once by every key together; each key list then groups those
        (few) groups, so the cost over the rows does not grow with the number of scopes.
        """
        union: list[str] = []
        for keys in key_lists:
            union += [k for k in keys if k not in union]
        finest = self.partition(union)
        out = []
        for keys in key_lists:
            if list(keys) == union:
                out.append(finest)
                continue
            cols = [(self.codes(k)[0][finest.first], self.codes(k)[1]) for k in keys]
            parent, n_groups = combine_codes(cols, finest.n)
            out.append(Partition(parent[finest.index], n_groups, finest.first[first_rows(parent, n_groups)],
                                 finest, parent))
        return out


class Partition:
    """Rows in groups: ``index`` (group of each row), ``n`` (groups), ``first`` (one row of each group).

    A partition derived from a finer one keeps it (``finer``) and the group of each finer group
    (``parent``), so counts per group can be summed from the finer counts.
    """

    def __init__(self, index: np.ndarray, n: int, first: np.ndarray, finer: "Partition | None" = None,
                 parent: np.ndarray | None = None):
        self.index, self.n, self.first, self.finer, self.parent = index, n, first, finer, parent
        self._cached: tuple[np.ndarray, np.ndarray] | None = None  # (slots, table) of the last count

    def key_frame(self, frame: pd.DataFrame, keys: list[str], groups: np.ndarray | None = None) -> pd.DataFrame:
        """The key values of each group, or of ``groups`` (categoricals come back as object arrays of their values)."""
        rows = self.first if groups is None else self.first[groups]
        cols = {}
        for k in keys:
            v = frame[k]
            if isinstance(v.dtype, pd.CategoricalDtype):  # the categories' own array: no text is converted
                codes = v.cat.codes.to_numpy()[rows]
                cols[k] = v.cat.categories.take(codes, allow_fill=True, fill_value=None).array if len(rows) \
                    else np.empty(0, dtype=object)
            else:
                cols[k] = v.iloc[rows].reset_index(drop=True)
        return pd.DataFrame(cols, index=pd.RangeIndex(len(rows)))

    def slot_counts(self, slots: np.ndarray) -> np.ndarray:
        """Rows per group and slot (see :func:`level_slots`): an ``(n, LEVEL_SLOTS)`` integer table."""
        if self.finer is not None and self.parent is not None:
            fine = self.finer.slot_counts(slots)
            if len(self.parent) and (self.parent[1:] >= self.parent[:-1]).all():  # finer groups in order: sum runs
                starts = np.flatnonzero(np.r_[True, self.parent[1:] != self.parent[:-1]])
                return np.add.reduceat(fine, starts, axis=0)
            flat = (self.parent[:, None] * LEVEL_SLOTS + np.arange(LEVEL_SLOTS)).ravel()
            return np.bincount(flat, weights=fine.ravel(), minlength=self.n * LEVEL_SLOTS) \
                .astype(np.int64).reshape(self.n, LEVEL_SLOTS)
        if self._cached is not None and self._cached[0] is slots:
            return self._cached[1]
        table = np.bincount(self.index * LEVEL_SLOTS + slots, minlength=self.n * LEVEL_SLOTS).reshape(self.n, LEVEL_SLOTS)
        self._cached = (slots, table)
        return table


def combine_codes(cols: list[tuple[np.ndarray, int]], n: int) -> tuple[np.ndarray, int]:
    """Dense group numbers of ``n`` positions from integer code columns ``(codes, size)``.

    A column that determines the columns before it (a task group determines its unit) replaces
    them; a dense table of the combined codes avoids hashing when it is small enough.

    >>> combine_codes([(np.array([1, 0, 1]), 2), (np.array([5, 2, 6]), 7)], 3)[0].tolist()
    [1, 0, 2]
    """
    if not cols or n == 0:
        return np.zeros(n, dtype=np.int64), 1 if not cols else 0
    comb, size = cols[0]
    for c, m in cols[1:]:
        if size == 1:
            comb, size = c, m
            continue
        if m == 1:
            continue
        if m <= 4 * n + 1024:
            rep = np.empty(m, dtype=np.int64)
            rep[c] = comb
            if np.array_equal(rep[c], comb):  # c determines the keys before it (task group → unit)
                comb, size = c, m
                continue
        if size * m < 2**62:
            comb = comb * m + c
            size = size * m
        else:  # keep the numbers small: re-number the pairs seen
            comb, uniq = pd.factorize(comb, sort=False)
            comb = comb.astype(np.int64) * m + c
            size = len(uniq) * m
    if size == 1:
        return np.zeros(n, dtype=np.int64), 1
    if size <= 4 * n + 1024:  # a dense table of the combined codes: no hashing
        present = np.zeros(size, dtype=bool)
        present[comb] = True
        if present.all():
            return np.asarray(comb, dtype=np.int64), size
        dense = np.cumsum(present) - 1
        return dense[comb], int(dense[-1]) + 1
    gi, uniq = pd.factorize(comb, sort=False)
    return gi.astype(np.int64), len(uniq)


def first_rows(gi: np.ndarray, n_groups: int) -> np.ndarray:
    """One row of each group (the last one seen)."""
    if n_groups == 1 and len(gi):
        return np.array([len(gi) - 1], dtype=np.int64)
    rep = np.empty(n_groups, dtype=np.int64)
    rep[gi] = np.arange(len(gi))
    return rep


#: Columns of a slot table: one per level of :data:`evalkit.levels.ALL_LEVELS`, then "level missing", then "not covered".
LEVEL_SLOTS = len(L.ALL_LEVELS) + 2


def level_slots(level_codes: np.ndarray, covered: np.ndarray | None = None) -> np.ndarray:
    """Each row's slot: its level's position, "level missing", or "not covered" by the policy."""
    k = len(L.ALL_LEVELS)
    slots = np.asarray(level_codes).astype(np.int8)  # a copy, small
    slots[slots < 0] = k
    if covered is not None and not covered.all():
        slots[~covered] = k + 1
    return slots


def counts_from_slots(table: np.ndarray) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """Counts per group (as :func:`counts_from_codes`) and whether any covered row is in the group."""
    i = _LEVEL_INDEX
    t = np.ascontiguousarray(table.T)  # one contiguous row per slot
    counts = {
        "n_excellent": t[i[L.EXCELLENT]],
        "n_good": t[i[L.GOOD]],
        "n_completed": t[i[L.COMPLETED]] + t[i[L.COMPLETED_LIMITED]],
        "n_not_completed": t[i[L.NOT_COMPLETED]],
        "n_not_rated": t[i[L.NOT_RATED]],
    }
    return counts, t[: LEVEL_SLOTS - 1].sum(axis=0) > 0


def _exception_ratios(keys: pd.DataFrame, policy: "Policy", num: np.ndarray, den: np.ndarray):
    """Apply granted exceptions: a granted ratio changes num/den in the group and the groups inside it;
    a granted count fixes the cap of the group granted only (``keys`` of exactly its columns). Groups
    inside it in finer scopes keep their own cap, or are exempt under the reading
    ``count_exception_finer_groups="exempt"`` (cap = their excellent count)."""
    fixed = np.full(len(keys), -1, dtype=np.int64)
    exempt = np.zeros(len(keys), dtype=bool)
    label = np.full(len(keys), None, dtype=object)
    scope_cols = set(keys.columns) - {"year"}
    for exc in policy.exceptions:
        cols = dict(exc.group)
        if not set(cols) <= set(keys.columns):
            continue
        match = np.ones(len(keys), dtype=bool)
        for c, v in cols.items():
            match &= keys[c].astype(str).to_numpy() == v
        if exc.year is not None and "year" in keys.columns:
            match &= keys["year"].astype("Int64").to_numpy(dtype=float, na_value=np.nan) == exc.year
        if exc.ratio is not None:
            num = np.where(match, exc.ratio.numerator, num)
            den = np.where(match, exc.ratio.denominator, den)
        elif scope_cols == set(cols):
            if exc.count is None:  # CapException.make sets exactly one of ratio and count
                raise ValueError(f"exception for {exc.group} grants neither a ratio nor a count")
            fixed = np.where(match, exc.count, fixed)
        elif getattr(policy, "count_exception_finer_groups", "own_cap") == "exempt":
            exempt |= match
        else:
            continue  # a finer group inside the granted one keeps its own cap
        label[match] = exc.describe()
    return num, den, fixed, label, exempt


def group_requirements(counts: dict[str, np.ndarray], policy: "Policy", keys: pd.DataFrame | None = None):
    """Base, cap and minimal demotions per group from integer counts; exceptions matched on ``keys``.

    The array core of the cap check and of enforcement, also used by the simulator.
    Returns ``(base, cap, demotions, num, den, has_fixed_count, exception_label)``.
    """
    ratio = policy.require_ratio()
    E, G, C, N, R = (np.asarray(counts[k], dtype=np.int64) for k in COUNT_NAMES)
    n = len(E)
    num = np.full(n, ratio.numerator, dtype=np.int64)
    den = np.full(n, ratio.denominator, dtype=np.int64)
    if keys is not None and policy.exceptions:
        num, den, fixed, exc_label, exempt = _exception_ratios(keys, policy, num, den)
        fixed = np.where(exempt & (fixed < 0), E, fixed)  # exempt: the cap is the group's own count
    else:
        fixed, exc_label = np.full(n, -1, dtype=np.int64), np.empty(n, dtype=object)  # all None
    base = base_count(E, G, C, N, R, policy.base)
    cap = cap_of(base, num, den, policy.rounding, policy.min_one, E + G + C + N)
    d = minimal_demotions(E, G, C, N, R, num, den, policy.base, policy.rounding, policy.min_one, policy.timing)
    has_fixed = fixed >= 0
    cap = np.where(has_fixed, fixed, cap)
    d = np.where(has_fixed, np.maximum(E - fixed, 0), d)
    return base, cap, d, num, den, has_fixed, exc_label
