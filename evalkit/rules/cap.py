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
    """Integer codes of a frame's key columns, factorised once per column and reused across scopes."""

    def __init__(self, frame: pd.DataFrame):
        self.frame = frame
        self._codes: dict[str, tuple[np.ndarray, int]] = {}

    def codes(self, col: str) -> tuple[np.ndarray, int]:
        if col not in self._codes:
            values = self.frame[col]
            if isinstance(values.dtype, pd.CategoricalDtype):
                codes = values.cat.codes.to_numpy().astype(np.int64)
                n = len(values.cat.categories)
                codes = np.where(codes < 0, n, codes)  # missing keys form a group of their own
                self._codes[col] = (codes, n + 1)
            else:
                codes, uniques = pd.factorize(values, sort=False, use_na_sentinel=False)
                self._codes[col] = (codes.astype(np.int64), len(uniques))
        return self._codes[col]

    def group_index(self, keys: list[str]) -> tuple[np.ndarray, pd.DataFrame]:
        """Dense group number per row and the key values of each group."""
        n = len(self.frame)
        if not keys:
            return np.zeros(n, dtype=np.int64), pd.DataFrame(index=[0])
        comb, size = self.codes(keys[0])
        for k in keys[1:]:
            c, m = self.codes(k)
            if m <= 4 * n + 1024:
                rep = np.empty(m, dtype=np.int64)
                rep[c] = comb
                if np.array_equal(rep[c], comb):  # k determines the keys before it (task group → unit)
                    comb, size = c, m
                    continue
            if size * m < 2**62:
                comb = comb * m + c
                size = size * m
            else:  # keep the numbers small: re-number the pairs seen
                comb, uniq = pd.factorize(comb, sort=False)
                comb = comb.astype(np.int64) * m + c
                size = len(uniq) * m
        if size <= 4 * n + 1024:  # a dense table of the combined codes: no hashing
            present = np.zeros(size, dtype=bool)
            present[comb] = True
            dense = np.cumsum(present) - 1
            gi = dense[comb]
            n_groups = int(present.sum())
        else:
            gi, uniq = pd.factorize(comb, sort=False)
            gi = gi.astype(np.int64)
            n_groups = len(uniq)
        rep = np.empty(n_groups, dtype=np.int64)  # one row of each group, to read its key values
        rep[gi] = np.arange(n)
        key_frame = self.frame[keys].iloc[rep].reset_index(drop=True)
        return gi, key_frame


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
