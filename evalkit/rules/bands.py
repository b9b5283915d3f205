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


#: Where each population's score bands come from (party members: Regulation 366-QĐ/TW).
BAND_SOURCES = {"party_member": "party.regulation_366_2025"}


def thresholds(date="2026-12-31", source: str = _SOURCE) -> dict[str, Fraction]:
    """The band lower bounds in force on ``date``: ``{'EXCELLENT': 90, 'GOOD': 70, 'COMPLETED': 50}``."""
    tree = load()
    return {
        L.EXCELLENT: tree.get(f"{source}.excellent_min", date),
        L.GOOD: tree.get(f"{source}.good_min", date),
        L.COMPLETED: tree.get(f"{source}.completed_min", date),
    }


def bands_govern(frame: pd.DataFrame) -> np.ndarray:
    """Rows the Decree 335 score bands govern: civil servants in years the bands are in force
    (rows without a population or year column are taken as governed).

    >>> bands_govern(pd.DataFrame({"year": [2025, 2026, 2026], "population": ["civil_servant"] * 2 + ["cadre"]})).tolist()
    [False, True, False]
    """
    out = np.ones(len(frame), dtype=bool)
    if "population" in frame.columns:
        out &= (frame["population"].astype(object) == "civil_servant").to_numpy()
    if "year" in frame.columns:
        start = load().first(f"{_SOURCE}.excellent_min").start
        years = pd.to_numeric(frame["year"], errors="coerce").to_numpy(dtype=float)
        out &= ~np.isnan(years) & (years >= start.year)
    return out


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
        default=None,  # type: ignore[call-overload]  # numpy's stubs reject None; valid with object choices
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


def annual_scores(frame: pd.DataFrame, by="person_id", score="score", date="2026-12-31") -> pd.DataFrame:
    """Exact annual score per person: the average of their period scores in a long table, banded exactly.

    Every score is read as the decimal it was written as (a float by its shortest repr), scaled by
    the largest number of decimals present — not a fixed six — and summed as integers; the
    average is the exact fraction ``total / n``. ``level_by_score`` compares that fraction with the
    band thresholds exactly, so 89.9999995 stays GOOD and 90 is EXCELLENT.

    Returns one row per ``by`` with ``score`` (the nearest float, for display), ``score_exact``
    (a :class:`~fractions.Fraction`), ``n_periods`` and ``level_by_score``.

    >>> t = annual_scores(pd.DataFrame({"person_id": ["a", "a", "b"], "score": [89.999999, 90.0000000, 90]}))
    >>> t[["person_id", "n_periods", "level_by_score"]].to_dict("list")
    {'person_id': ['a', 'b'], 'n_periods': [2, 1], 'level_by_score': ['GOOD', 'EXCELLENT']}
    >>> annual_scores(pd.DataFrame({"person_id": ["a"], "score": [89.9999995]}))["level_by_score"].tolist()
    ['GOOD']
    """
    values = frame[score]
    codes, uniques = pd.factorize(values, sort=False)
    if (codes < 0).any():
        raise ValueError("a period score is missing; drop unscored periods first (see io.periods)")
    exact = [exact_score(v) for v in uniques]
    scale = 1
    for f in exact:
        while (f * scale).denominator != 1:
            scale *= 10
    scaled = [int(f * scale) for f in exact]
    keys = [frame[c] for c in ([by] if isinstance(by, str) else by)]
    if max((abs(x) for x in scaled), default=0) * max(len(frame), 1) < 2**62:
        ints = np.asarray(scaled, dtype=np.int64)[codes]
        g = pd.Series(ints).groupby([k.to_numpy() for k in keys], sort=True)
        total, n = g.sum(), g.count()
        totals = [int(x) for x in total.to_numpy()]
    else:  # very long decimals: Python integers
        g = pd.Series(np.asarray(scaled, dtype=object)[codes]).groupby([k.to_numpy() for k in keys], sort=True)
        total, n = g.agg(lambda s: sum(s, 0)), g.count()
        totals = [int(x) for x in total.to_numpy()]
    counts = n.to_numpy()
    avg = [Fraction(tot, int(k) * scale) for tot, k in zip(totals, counts, strict=True)]
    out = pd.DataFrame({score: [float(a) for a in avg], "score_exact": avg, "n_periods": counts}, index=total.index)
    out["level_by_score"] = band_exact(avg, date)
    out.index.names = [by] if isinstance(by, str) else list(by)
    return out.reset_index()


def band_exact(scores: Sequence[Fraction], date="2026-12-31", source: str = _SOURCE) -> list[str]:
    """Band levels of exact scores (fractions), lower bounds inclusive.

    >>> band_exact([Fraction(90), Fraction(8999999999, 100000000), Fraction(50), Fraction(4999, 100)])
    ['EXCELLENT', 'GOOD', 'COMPLETED', 'NOT_COMPLETED']
    """
    t = thresholds(date, source)
    order = [(t[L.EXCELLENT], L.EXCELLENT), (t[L.GOOD], L.GOOD), (t[L.COMPLETED], L.COMPLETED)]
    return [next((lv for lo, lv in order if s >= lo), L.NOT_COMPLETED) for s in scores]


def rate_roster_by_score(roster: pd.DataFrame) -> pd.DataFrame:
    """Fill ``level_by_score`` and ``level`` of a roster of annual scores (e.g. from period scores).

    Each row is banded exactly (``score_exact`` when present, else ``score``) by the thresholds in
    force in its year for its population (Decree 335/2025; party members: Regulation 366-QĐ/TW),
    then the overrides set NOT_COMPLETED: ``disciplined``, ``degradation``, and for leaders
    ``unit_corruption``. A year with no bands in force is an error naming it.

    >>> r = pd.DataFrame({"year": 2026, "score": [90, 89.9999995, 95], "disciplined": [False, False, True]})
    >>> rate_roster_by_score(r)["level"].astype(str).tolist()
    ['EXCELLENT', 'GOOD', 'NOT_COMPLETED']
    """
    out = roster.copy()
    exact = out["score_exact"].tolist() if "score_exact" in out.columns else [exact_score(v) for v in out["score"]]
    years = pd.to_numeric(out["year"], errors="coerce").to_numpy(dtype=float)
    levels = np.full(len(out), None, dtype=object)
    pops = out["population"].astype(object).to_numpy() if "population" in out.columns else np.full(len(out), None)
    source = np.array([BAND_SOURCES.get(p, _SOURCE) for p in pops], dtype=object)
    for y in np.unique(years[~np.isnan(years)]):
        for src in np.unique(source):
            sel = np.flatnonzero((years == y) & (source == src))
            if len(sel):
                levels[sel] = band_exact([exact[i] for i in sel], int(y), src)
    n = len(out)
    col = lambda c: out[c] if c in out.columns else None  # noqa: E731
    override = _flag(col("degradation"), n) | _flag(col("disciplined"), n) | (
        _flag(col("is_leader"), n) & _flag(col("unit_corruption"), n))
    out["level_by_score"] = levels
    out["level"] = pd.Categorical(np.where(override, L.NOT_COMPLETED, levels), dtype=L.LEVEL_DTYPE)
    return out
