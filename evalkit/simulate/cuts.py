"""Within-group cuts: how many of the people a per-group quota picks would an organisation-wide
ranking by true talent have picked?

This is the quantity the forced-ranking literature reports (the share of those cut who are not
among the organisation's truly weakest); evalkit's cap is the ``top`` case of the same engine, with
the quota given as a ratio.

>>> r = within_group_cut(n_groups=10, group_size=10, cut=0.1, group_sd=0.5, replicates=200, seed=1)
>>> r.cut_per_group, r.reference_size, 0 < r.mean < 1
(1, 10, True)
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from math import floor

import numpy as np
from scipy import stats as sps


@dataclass(frozen=True)
class CutResult:
    """Mean share of the people cut who are outside the reference set, with a t interval over replicates."""

    mean: float
    ci_low: float
    ci_high: float
    sd: float
    replicates: int
    cut_per_group: int
    reference_size: int
    people_cut: int
    side: str
    per_replicate: np.ndarray


def within_group_cut(n_groups: int, group_size: int, cut: float | Fraction | str, group_sd: float,
                     rating_noise_sd: float = 0.0, side: str = "bottom", replicates: int = 1000, seed: int = 0,
                     level: float = 0.95) -> CutResult:
    """Each group cuts its ``max(1, floor(cut × group_size))`` lowest (``side="top"``: highest) rated.

    Talent is N(0, 1), the sum of a group component (sd ``group_sd``) and an individual one (sd
    √(1 − group_sd²)); a rating is talent plus N(0, ``rating_noise_sd``²) noise. The reference set
    is the organisation's ``floor(cut × N)`` lowest (highest) in talent, N = ``n_groups × group_size``.
    Returns the mean over replicates of the share of people cut who are outside the reference set,
    with its t interval. ``cut`` is read exactly (a float as the nearest fraction with denominator up to 10⁶: ``0.29``
    is 29/100, ``1/3`` is 1/3), so the floors are exact.
    """
    if side not in ("bottom", "top"):
        raise ValueError(f"side must be 'bottom' or 'top', got {side!r}")
    if not 0 <= group_sd <= 1:
        raise ValueError(f"group_sd must lie in [0, 1], got {group_sd!r}")
    if n_groups < 1 or group_size < 1 or replicates < 2:
        raise ValueError("n_groups and group_size must be at least 1 and replicates at least 2")
    frac = Fraction(cut).limit_denominator(10**6) if isinstance(cut, float) else Fraction(cut)
    if not 0 < frac < 1:
        raise ValueError(f"cut must lie strictly between 0 and 1, got {cut!r}")
    n = n_groups * group_size
    k = max(1, floor(frac * group_size))
    ref = floor(frac * n)
    if ref < 1:
        raise ValueError(f"floor(cut × N) = 0 for N = {n}: the reference set is empty")
    rng = np.random.default_rng(seed)
    block = max(1, 2_000_000 // n)
    shares = []
    sign = 1.0 if side == "bottom" else -1.0  # "top" is "bottom" of the negated scale
    for start in range(0, replicates, block):
        r = min(block, replicates - start)
        talent = (group_sd * rng.standard_normal((r, n_groups, 1))
                  + np.sqrt(1 - group_sd**2) * rng.standard_normal((r, n_groups, group_size)))
        rating = talent + rating_noise_sd * rng.standard_normal((r, n_groups, group_size)) if rating_noise_sd else talent
        order = np.argsort(sign * rating, axis=2, kind="stable")
        cut_mask = np.zeros((r, n_groups, group_size), dtype=bool)
        np.put_along_axis(cut_mask, order[:, :, :k], True, axis=2)
        flat = (sign * talent).reshape(r, n)
        ref_mask = np.zeros((r, n), dtype=bool)
        np.put_along_axis(ref_mask, np.argsort(flat, axis=1, kind="stable")[:, :ref], True, axis=1)
        outside = (cut_mask.reshape(r, n) & ~ref_mask).sum(axis=1)
        shares.append(outside / (k * n_groups))
    v = np.concatenate(shares)
    sd = float(v.std(ddof=1))
    half = sps.t.ppf(0.5 + level / 2, len(v) - 1) * sd / np.sqrt(len(v))
    return CutResult(float(v.mean()), float(v.mean() - half), float(v.mean() + half), sd, len(v), k, ref,
                     k * n_groups, side, v)
