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
    if timing not in ("proposed", "final"):
        raise ValueError(f"unknown timing {timing!r}")
    if timing == "final" and base == "good" and rounding == "floor" and not min_one:
        # E − d ≤ ⌊(G + d)·num/den⌋  ⟺  E·den − G·num ≤ d·(num + den): the least d in closed form
        num, den = np.asarray(num, dtype=np.int64), np.asarray(den, dtype=np.int64)
        return np.maximum(-((G * num - E * den) // (num + den)), 0)
    rated = E + G + C + N
    if timing == "proposed":
        return np.maximum(E - cap_of(base_count(E, G, C, N, R, base), num, den, rounding, min_one, rated), 0)
    if base != "good":  # the base does not move when EXCELLENT becomes GOOD: the whole excess
        return np.maximum(E - cap_of(base_count(E, G, C, N, R, base), num, den, rounding, min_one, rated), 0)

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
    return counts_of_levels(flat.T)


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
        """Integer code of each row's value in ``col`` and the number of codes (missing values get a code).

        A categorical column's own codes are returned as they are (no copy, their narrow integer type)
        when none is missing.
        """
        if col not in self._codes:
            values = self.frame[col]
            n = len(values)
            if isinstance(values.dtype, pd.CategoricalDtype):
                codes = values.array.codes
                m = len(values.cat.categories)
                if n and codes.min() < 0:  # missing keys form a group of their own
                    self._codes[col] = (np.where(codes < 0, m, codes.astype(np.int64)), m + 1)
                else:
                    self._codes[col] = (codes, m)
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
        return Partition(*group_rows([self.codes(k) for k in keys], len(self.frame)))

    def partitions(self, key_lists: list[list[str]]) -> list["Partition"]:
        """One partition per key list, from one pass over the rows.

        The rows are grouped once by every key together; each key list then groups those
        (few) groups, so the cost over the rows does not grow with the number of scopes. The
        coarser partitions' group of each row is worked out only if it is asked for.
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
            parent, n_groups, first = group_rows(cols, finest.n)
            out.append(Partition(None, n_groups, finest.first[first], finest, parent))
        return out


class Partition:
    """Rows in groups: ``index`` (group of each row), ``n`` (groups), ``first`` (one row of each group).

    A partition derived from a finer one keeps it (``finer``) and the group of each finer group
    (``parent``), so counts per group can be summed from the finer counts; its ``index`` is then
    made from theirs when first read. ``index`` may be given in any integer type (a categorical's
    own codes); it is read as 64-bit integers.
    """

    def __init__(self, index: np.ndarray | None, n: int, first: np.ndarray, finer: "Partition | None" = None,
                 parent: np.ndarray | None = None):
        if index is None and (finer is None or parent is None):
            raise ValueError("a partition needs the group of each row, or a finer partition and its parents")
        self._given, self.n, self.first, self.finer, self.parent = index, n, first, finer, parent
        self._index: np.ndarray | None = None
        self._runs: np.ndarray | None = None  # where each group's run of finer groups ends, if they are in order
        self._cached: tuple[np.ndarray, np.ndarray] | None = None  # (slots, table) of the last count
        self._sums: tuple[np.ndarray, bool, dict[str, np.ndarray]] | None = None  # (slots, covered, counts)

    @property
    def index(self) -> np.ndarray:
        """The group of each row (64-bit integers)."""
        if self._index is None:
            if self._given is not None:
                self._index = np.asarray(self._given, dtype=np.int64)
            else:
                assert self.finer is not None and self.parent is not None
                self._index = np.asarray(self.parent, dtype=np.int64)[self.finer.index]
        return self._index

    def groups_of(self, rows: np.ndarray) -> np.ndarray:
        """The group of each of ``rows`` (64-bit), without making a coarser partition's whole ``index``."""
        if self._index is None and self._given is None:
            assert self.finer is not None and self.parent is not None
            return np.asarray(self.parent, dtype=np.int64)[self.finer.groups_of(rows)]
        return self.index[rows]

    def key_frame(self, frame: pd.DataFrame, keys: list[str], groups: np.ndarray | None = None) -> pd.DataFrame:
        """The key values of each group, or of ``groups`` (categoricals come back as object arrays of their values)."""
        rows = self.first if groups is None else self.first[groups]
        cols = {}
        for k in keys:
            v = frame[k]
            if isinstance(v.dtype, pd.CategoricalDtype):  # the categories' own array: no text is converted
                cols[k] = category_values(v.array.codes[rows], v.dtype)
            else:
                cols[k] = v.iloc[rows].reset_index(drop=True)
        return pd.DataFrame(cols, index=pd.RangeIndex(len(rows)))

    def level_counts(self, slots: np.ndarray) -> np.ndarray:
        """Rows per slot (see :func:`level_slots`) and group of a partition made from the rows (not from a
        finer one, see :meth:`counts`): a ``(LEVEL_SLOTS, n)`` integer table, one contiguous row per slot,
        from one ``bincount`` over the rows."""
        assert self._given is not None, "a coarser partition sums its finer one's counts (see counts)"
        if self._cached is not None and self._cached[0] is slots:
            return self._cached[1]
        flat = slots.astype(np.int64)
        flat *= self.n
        flat += self._given
        table = np.bincount(flat, minlength=LEVEL_SLOTS * self.n).reshape(LEVEL_SLOTS, self.n)
        self._cached = (slots, table)
        return table

    def counts(self, slots: np.ndarray, covered: bool = False) -> tuple[dict[str, np.ndarray], np.ndarray | None]:
        """Counts per group (as :func:`counts_of_levels`) and, if ``covered``, whether any covered row is in
        the group (else None). One ``bincount`` over the rows for the finest partition; a coarser one sums
        only these few columns of the finer groups.

        >>> frame = pd.DataFrame({"unit_id": ["A", "A", "B"], "task_group": ["A-1", "A-2", "B-1"]})
        >>> unit, team = KeyCoder(frame).partitions([["unit_id"], ["unit_id", "task_group"]])
        >>> slots = level_slots(np.array([0, 1, 1]))  # EXCELLENT, GOOD, GOOD
        >>> counts, _ = unit.counts(slots)
        >>> counts["n_excellent"].tolist(), counts["n_good"].tolist()
        ([1, 0], [1, 1])
        """
        if self._sums is None or self._sums[0] is not slots or self._sums[1] < covered:
            if self.finer is not None and self.parent is not None:
                fine = self.finer.counts_with_rows(slots, covered)
                sums = {k: self.sum_finer(v) for k, v in fine.items()}
            else:
                table = self.level_counts(slots)
                sums = counts_of_levels(table)
                if covered:
                    sums["covered_rows"] = table[: LEVEL_SLOTS - 1].sum(axis=0)
            self._sums = (slots, covered, sums)
        sums = self._sums[2]
        return {k: sums[k] for k in COUNT_NAMES}, sums["covered_rows"] > 0 if covered else None

    def counts_with_rows(self, slots: np.ndarray, covered: bool) -> dict[str, np.ndarray]:
        """:meth:`counts` with the number of covered rows per group (``covered_rows``) instead of a yes/no."""
        self.counts(slots, covered)
        assert self._sums is not None
        return self._sums[2] if covered else {k: self._sums[2][k] for k in COUNT_NAMES}

    def sum_finer(self, values: np.ndarray) -> np.ndarray:
        """The sum over each group's finer groups of an integer ``values`` per finer group (exact)."""
        parent = self.parent
        assert parent is not None
        if not len(parent):
            return np.zeros(self.n, dtype=np.int64)
        if self._runs is None:
            ordered = bool((parent[1:] >= parent[:-1]).all())  # finer groups in order: each group is one run
            self._runs = np.flatnonzero(np.r_[parent[1:] != parent[:-1], True]) if ordered else np.zeros(0, np.int64)
        if len(self._runs):
            total = np.cumsum(values, dtype=np.int64)[self._runs]
            return np.diff(total, prepend=0)
        return np.bincount(parent, weights=values, minlength=self.n).astype(np.int64)  # exact below 2**53


def category_values(codes: np.ndarray, dtype: pd.CategoricalDtype):
    """The values of a categorical's ``codes`` (−1: missing) as an array of its categories' own type."""
    if not len(codes):
        return np.empty(0, dtype=object)
    return dtype.categories.take(codes, allow_fill=True, fill_value=None).array


def group_rows(cols: list[tuple[np.ndarray, int]], n: int) -> tuple[np.ndarray, int, np.ndarray]:
    """Dense group numbers of ``n`` positions from integer code columns ``(codes, size)``, the number of
    groups and one position of each group (the last one seen). The group numbers may come back in a
    column's own integer type (not copied).

    A column that determines the columns before it (a task group determines its unit) replaces
    them; a dense table of the combined codes avoids hashing when it is small enough. The last
    position of each code, found once, serves both questions.

    >>> index, n_groups, first = group_rows([(np.array([1, 0, 1]), 2), (np.array([5, 2, 6]), 7)], 3)
    >>> index.tolist(), n_groups, first.tolist()
    ([1, 0, 2], 3, [1, 0, 2])
    """
    if n == 0:
        return np.zeros(0, dtype=np.int64), 0 if cols else 1, np.zeros(0 if cols else 1, dtype=np.int64)
    if not cols:
        return np.zeros(n, dtype=np.int64), 1, np.array([n - 1], dtype=np.int64)
    comb, size = cols[0]
    last: np.ndarray | None = None  # the last position of each value of comb, when already known
    for c, m in cols[1:]:
        if size == 1:
            comb, size, last = c, m, None
            continue
        if m == 1:
            continue
        if m <= 4 * n + 1024:
            last_c = last_positions(c, m)
            seen = last_c >= 0
            rep = np.zeros(m, dtype=comb.dtype)
            rep[seen] = comb[last_c[seen]]
            if np.array_equal(rep[c], comb):  # c determines the keys before it (task group → unit)
                comb, size, last = c, m, last_c
                continue
        if size * m < 2**62:
            comb = comb.astype(np.int64) * m + c
            size = size * m
        else:  # keep the numbers small: re-number the pairs seen
            comb, uniq = pd.factorize(comb, sort=False)
            comb = comb.astype(np.int64) * m + c
            size = len(uniq) * m
        last = None
    if size == 1:
        return np.zeros(n, dtype=np.int64), 1, np.array([n - 1], dtype=np.int64)
    if size <= 4 * n + 1024:  # a dense table of the combined codes: no hashing
        if last is None:
            last = last_positions(comb, size)
        present = last >= 0
        if present.all():  # the codes are the groups (in their own integer type: no copy)
            return comb, size, last
        dense = np.cumsum(present) - 1
        return dense[comb], int(dense[-1]) + 1, last[present]
    gi, uniq = pd.factorize(comb, sort=False)
    gi = gi.astype(np.int64)
    return gi, len(uniq), first_rows(gi, len(uniq))


def last_positions(codes: np.ndarray, size: int) -> np.ndarray:
    """The last position of each code ``0 … size−1`` in ``codes`` (−1 where it does not occur).

    >>> last_positions(np.array([2, 0, 2]), 4).tolist()
    [1, -1, 2, -1]
    """
    last = np.full(size, -1, dtype=np.int64)
    last[codes] = np.arange(len(codes))  # a repeated index keeps the last value assigned
    return last


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


def counts_of_levels(table: np.ndarray) -> dict[str, np.ndarray]:
    """Counts per group from a table with one row per level position of :data:`evalkit.levels.ALL_LEVELS`
    (and any further rows, ignored) and one column per group (views where it can)."""
    i = _LEVEL_INDEX
    return {
        "n_excellent": table[i[L.EXCELLENT]],
        "n_good": table[i[L.GOOD]],
        "n_completed": table[i[L.COMPLETED]] + table[i[L.COMPLETED_LIMITED]],
        "n_not_completed": table[i[L.NOT_COMPLETED]],
        "n_not_rated": table[i[L.NOT_RATED]],
    }


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


def requirements(counts: dict[str, np.ndarray], policy: "Policy", keys=None):
    """Base, cap and minimal demotions per group from integer counts; exceptions matched on ``keys``.

    The array core of the cap check and of enforcement, also used by the simulator. Returns
    ``(base, cap, demotions, exceptions)``, ``exceptions`` being ``(num, den, has_fixed_count,
    exception_label)`` or None when no exception is granted (every group then has the policy's
    ratio and no fixed count). ``keys`` (a DataFrame, or a function returning one) is read only if
    an exception is granted.

    >>> from evalkit import policies as P
    >>> counts = {"n_excellent": np.array([3, 1]), "n_good": np.array([10, 9]), "n_completed": np.array([0, 0]),
    ...           "n_not_completed": np.array([0, 0]), "n_not_rated": np.array([0, 0])}
    >>> base, cap, d, exceptions = requirements(counts, P.get("decree-335-2025"))
    >>> cap.tolist(), d.tolist(), exceptions
    ([2, 1], [1, 0], None)
    """
    ratio = policy.require_ratio()
    E, G, C, N, R = (np.asarray(counts[k], dtype=np.int64) for k in COUNT_NAMES)
    base = base_count(E, G, C, N, R, policy.base)
    rated = E + G + C + N if policy.min_one else None
    if keys is None or not policy.exceptions:  # one ratio for all: scalar arithmetic, no per-group arrays
        cap = cap_of(base, ratio.numerator, ratio.denominator, policy.rounding, policy.min_one, rated)
        d = minimal_demotions(E, G, C, N, R, ratio.numerator, ratio.denominator, policy.base, policy.rounding,
                              policy.min_one, policy.timing)
        return base, cap, d, None
    n = len(E)
    num, den, fixed, exc_label, exempt = _exception_ratios(keys() if callable(keys) else keys, policy,
                                                           np.full(n, ratio.numerator, dtype=np.int64),
                                                           np.full(n, ratio.denominator, dtype=np.int64))
    fixed = np.where(exempt & (fixed < 0), E, fixed)  # exempt: the cap is the group's own count
    cap = cap_of(base, num, den, policy.rounding, policy.min_one, rated)
    d = minimal_demotions(E, G, C, N, R, num, den, policy.base, policy.rounding, policy.min_one, policy.timing)
    has_fixed = fixed >= 0
    cap = np.where(has_fixed, fixed, cap)
    d = np.where(has_fixed, np.maximum(E - fixed, 0), d)
    return base, cap, d, (num, den, has_fixed, exc_label)
