"""Decree 335/2025 score bands: 100-point score → level, with the overrides to NOT_COMPLETED.

Lower bounds are inclusive and compared exactly: a score of 89.995 is GOOD, an average of quarterly
scores that is exactly 90 is EXCELLENT even where float summation would give 89.99999999999999.

Examples
--------
>>> rate_by_score([95, 90, 89.995, 70, 50, 49.9]).tolist()
['EXCELLENT', 'EXCELLENT', 'GOOD', 'GOOD', 'COMPLETED', 'NOT_COMPLETED']
>>> rate_by_score([95, 95], disciplined=[True, False]).tolist()
['NOT_COMPLETED', 'EXCELLENT']
>>> annual_average([[90.11, 89.4, 85.78, 94.71]])
[Fraction(90, 1)]
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from fractions import Fraction

import numpy as np
import pandas as pd

from .. import levels as L
from ..parameters import load

_SOURCE = "decree_335_2025.score_bands"


def thresholds(date="2026-12-31") -> dict[str, Fraction]:
    """The band lower bounds in force on ``date``: ``{'EXCELLENT': 90, 'GOOD': 70, 'COMPLETED': 50}``."""
    tree = load()
    return {
        L.EXCELLENT: tree.get(f"{_SOURCE}.excellent_min", date),
        L.GOOD: tree.get(f"{_SOURCE}.good_min", date),
        L.COMPLETED: tree.get(f"{_SOURCE}.completed_min", date),
    }


def band_levels(scores, date="2026-12-31") -> np.ndarray:
    """Level codes (object array) for float scores, by band only; NaN gives None.

    Float scores parsed from decimal text compare exactly with the integer thresholds, since the
    thresholds are representable and rounding to the nearest double is monotone.
    """
    t = thresholds(date)
    s = np.asarray(scores, dtype=float)
    out = np.select(
        [s >= float(t[L.EXCELLENT]), s >= float(t[L.GOOD]), s >= float(t[L.COMPLETED]), s < float(t[L.COMPLETED])],
        [L.EXCELLENT, L.GOOD, L.COMPLETED, L.NOT_COMPLETED],
        default=None,
    ).astype(object)
    out[np.isnan(s)] = None
    return out


def band_codes(scores, date="2026-12-31") -> np.ndarray:
    """Band levels as positions in :data:`evalkit.levels.ALL_LEVELS` (fast path for simulation).

    >>> band_codes([95, 89.75, 50, 10]).tolist()
    [0, 1, 2, 4]
    """
    t = thresholds(date)
    edges = np.array([float(t[L.COMPLETED]), float(t[L.GOOD]), float(t[L.EXCELLENT])])
    k = np.searchsorted(edges, np.asarray(scores, dtype=float), side="right")
    lookup = np.array([L.ALL_LEVELS.index(c) for c in (L.NOT_COMPLETED, L.COMPLETED, L.GOOD, L.EXCELLENT)])
    return lookup[k]


def _flag(values, n: int) -> np.ndarray:
    if values is None:
        return np.zeros(n, dtype=bool)
    arr = pd.array(values, dtype="boolean")
    if len(arr) != n:
        raise ValueError(f"flag has {len(arr)} values for {n} scores")
    return arr.fillna(False).to_numpy(dtype=bool)


def rate_by_score(scores, *, degradation=None, disciplined=None, is_leader=None, unit_corruption=None,
                  date="2026-12-31") -> pd.Series:
    """Rate scores by the Decree 335 bands, then apply the overrides to NOT_COMPLETED.

    Overrides, regardless of score: a competent conclusion of political/ethical ``degradation``;
    ``disciplined`` (reprimand or worse in the year); for leaders (``is_leader``),
    ``unit_corruption`` handled in a unit under their direct charge.
    """
    idx = scores.index if isinstance(scores, pd.Series) else None
    s = np.asarray(scores, dtype=float)
    n = len(s)
    codes = band_levels(s, date)
    override = _flag(degradation, n) | _flag(disciplined, n) | (_flag(is_leader, n) & _flag(unit_corruption, n))
    codes[override] = L.NOT_COMPLETED
    return pd.Series(pd.Categorical(codes, dtype=L.LEVEL_DTYPE), index=idx, name="level")


def exact_score(value) -> Fraction:
    """A score as an exact fraction of the decimal the user wrote (floats via their shortest repr)."""
    if isinstance(value, Fraction):
        return value
    if isinstance(value, str):
        return Fraction(Decimal(value.strip().replace(",", ".")))
    return Fraction(Decimal(repr(float(value))))


def annual_average(periods: Sequence[Sequence]) -> list[Fraction]:
    """Exact annual score: the average of each person's period (month or quarter) scores.

    >>> annual_average([[92, 88, 90, 89], ["85,5"]])
    [Fraction(359, 4), Fraction(171, 2)]
    """
    out = []
    for row in periods:
        vals = [exact_score(v) for v in row if not (isinstance(v, float) and np.isnan(v))]
        if not vals:
            raise ValueError("a person has no period scores")
        out.append(sum(vals, Fraction(0)) / len(vals))
    return out


def annual_scores(frame: pd.DataFrame, by="person_id", score="score", scale: int = 10**6) -> pd.DataFrame:
    """Vectorised exact annual average of period scores in a long table (one row per period).

    Scores are scaled to integers (``scale`` = 10⁶ keeps six decimals), summed exactly, and divided
    once, so the float result compares with the band thresholds as the exact average does.
    Returns one row per ``by`` with ``score`` (the average), ``n_periods``.
    """
    scaled = np.rint(frame[score].to_numpy(dtype=float) * scale).astype(np.int64)
    g = pd.DataFrame({"k": scaled}).groupby([frame[c] for c in ([by] if isinstance(by, str) else by)], sort=True)
    total = g["k"].sum()
    n = g["k"].count()
    avg = total.to_numpy() / (n.to_numpy() * scale)  # one correctly rounded division of exact integers
    return pd.DataFrame({score: avg, "n_periods": n.to_numpy()}, index=total.index).reset_index()
