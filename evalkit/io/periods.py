"""Period-score workbooks: monthly or quarterly scores → exact annual score → band → overrides.

Decree 335/2025 offices keep a score per month or quarter; the annual score is their average.
A workbook has one row per person with the roster columns (id, unit, task group, population,
year, override facts such as ``disciplined``) and one column per period — ``Tháng 1`` … ``Tháng 12``,
``T1`` … ``T12``, ``Month 1`` …, or ``Quý 1`` … ``Quý 4``, ``Q1`` … ``Q4``, ``Quý I`` … — or the long
form (one row per person and period, with a ``Kỳ``/``period`` column and a score). The reader
averages exactly and hands the other columns to the roster reader, so every one is validated as a
roster's is; :func:`evalkit.rules.bands.rate_roster_by_score` then bands and applies the overrides.
Readings (``params/readings/defaults.yaml``):
``partial_periods`` — ``scored`` averages the periods that have a score, ``all`` needs every one.

>>> import pandas as pd
>>> wb = pd.DataFrame({"Mã CB": ["a", "b"], "Năm": 2026, "Đơn vị": "U1", "Quý 1": ["90", "89,9999995"],
...                    "Quý 2": [90, 90], "Quý 3": [90, 90], "Quý 4": [90.0, 90], "Bị kỷ luật": ["", "có"]})
>>> r = read_periods(wb)
>>> r[["person_id", "n_periods"]].to_dict("list"), r["score_exact"].tolist()
({'person_id': ['a', 'b'], 'n_periods': [4, 4]}, [Fraction(90, 1), Fraction(719999999, 8000000)])
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from fractions import Fraction

import numpy as np
import pandas as pd

from .. import levels as L
from ..parameters import load
from .problems import AttachedProblems, InputError, Problems
from .tables import load_raw, read_roster

_ROMAN = {"i": 1, "ii": 2, "iii": 3, "iv": 4}
_MONTH = re.compile(r"^(?:thang|t|month|m)\s*0?(\d{1,2})$")
_QUARTER = re.compile(r"^(?:quy|q|quarter)\s*(\d|i{1,3}|iv)$")
_PERIOD_HEADERS = {"ky", "ky danh gia", "period", "thang", "quy", "month", "quarter"}
_SCORE_HEADERS = {"diem", "score", "diem danh gia", "diem ky"}
PERIODS = {"monthly": 12, "quarterly": 4}


def period_of(header) -> tuple[str, int] | None:
    """``('monthly', 3)`` for "Tháng 3", ``('quarterly', 2)`` for "Quý II"; None for other headers.

    >>> period_of("Tháng 03"), period_of("Quý IV"), period_of("Q2"), period_of("Đơn vị")
    (('monthly', 3), ('quarterly', 4), ('quarterly', 2), None)
    """
    key = L.match_key(str(header)) if header is not None else ""
    m = _MONTH.match(key)
    if m and 1 <= int(m.group(1)) <= 12:
        return "monthly", int(m.group(1))
    q = _QUARTER.match(key)
    if q:
        n = _ROMAN.get(q.group(1)) or int(q.group(1))
        if 1 <= n <= 4:
            return "quarterly", n
    return None


def _header_row(raw) -> tuple[int, dict[int, tuple[str, int]]] | None:
    for i in range(min(30, len(raw.cells))):
        found = {j: p for j, v in enumerate(raw.cells.iloc[i].tolist()) if (p := period_of(v)) is not None}
        if len(found) >= 2:
            return i, found
    return None


def _long_header(raw) -> tuple[int, int, int] | None:
    for i in range(min(30, len(raw.cells))):
        keys = [L.match_key(str(v)) if v is not None else "" for v in raw.cells.iloc[i].tolist()]
        p = [j for j, k in enumerate(keys) if k in _PERIOD_HEADERS]
        s = [j for j, k in enumerate(keys) if k in _SCORE_HEADERS]
        if p and s:
            return i, p[0], s[0]
    return None


def is_period_workbook(source, sheet: str | None = None) -> bool:
    """Whether ``source`` holds period scores (wide or long form) rather than ratings."""
    try:
        raw = load_raw(source, sheet)
    except InputError:
        return False
    return _header_row(raw) is not None or _long_header(raw) is not None


def _exact(v) -> Fraction | None:
    if v is None or (isinstance(v, float) and np.isnan(v)):
        return None
    if isinstance(v, (int, float)) and not isinstance(v, bool):
        return Fraction(Decimal(repr(float(v)))) if isinstance(v, float) else Fraction(v)
    text = str(v).strip().replace(",", ".")
    if not text:
        return None
    try:
        return Fraction(Decimal(text))
    except (InvalidOperation, ValueError):
        raise ValueError(text) from None


def read_periods(source, sheet: str | None = None, *, partial_periods: str | None = None) -> pd.DataFrame:
    """Read a period-score workbook into a roster with ``score`` (exact annual average), ``level``.

    Returns the roster (as :func:`~evalkit.io.read_roster` does, ``source_row`` the user's row)
    with ``score`` (float, for display), ``score_exact`` (Fraction), ``n_periods``, ``period_kind``
    and an empty ``level`` for :func:`evalkit.rules.bands.rate_roster_by_score` to fill. Every bad
    score, missing period (``partial_periods="all"``) or person without scores is named by row and
    column.
    """
    tree = load()
    if partial_periods is None:
        partial_periods = tree.get("readings.defaults.partial_periods", 2026)
    if partial_periods not in ("scored", "all"):
        raise ValueError(f"partial_periods={partial_periods!r} is not 'scored' or 'all'")
    raw = load_raw(source, sheet)
    problems = Problems(file=raw.file, sheet=raw.sheet)
    wide = _header_row(raw)
    if wide is None:
        return _read_long(raw, source, sheet, partial_periods, problems)
    h, found = wide
    kinds = {k for k, _ in found.values()}
    header = raw.cells.iloc[h].tolist()
    if len(kinds) > 1:
        problems.add("input.period_mixed", row=int(raw.rows[h]))
        problems.raise_if_errors()
    kind = kinds.pop()
    body = raw.cells.iloc[h + 1:]
    rows = raw.rows[h + 1:]
    n = len(body)
    total = [Fraction(0)] * n
    count = np.zeros(n, dtype=np.int64)
    for j, _ in sorted(found.items(), key=lambda x: x[1][1]):
        col = str(header[j])
        for i, v in enumerate(body[j].tolist()):
            try:
                f = _exact(v)
            except ValueError:
                problems.add("input.score_not_number", row=int(rows[i]), column=col, value=v)
                continue
            if f is None:
                if partial_periods == "all" and any(_exact_or_none(x) is not None for x in body.iloc[i].tolist()):
                    problems.add("input.period_missing", row=int(rows[i]), column=col, value="", period=col)
                continue
            if not 0 <= f <= 100:
                problems.add("input.score_range", row=int(rows[i]), column=col, value=v)
                continue
            total[i] += f
            count[i] += 1
    keep = [j for j in range(len(header)) if j not in found]
    table = body[keep].copy()
    table.columns = [header[j] if header[j] is not None else f"column {j + 1}" for j in keep]
    nonblank = table.notna().any(axis=1).to_numpy() & np.array([any(str(x).strip() for x in r if x is not None)
                                                                for r in table.itertuples(index=False)])
    for k in np.flatnonzero(nonblank & (count == 0)):
        problems.add("input.no_periods", row=int(rows[k]))
    return _finish(table, rows, total, count, kind, problems, nonblank, sheet)


def _exact_or_none(v):
    try:
        return _exact(v)
    except ValueError:
        return None


def _read_long(raw, source, sheet, partial_periods, problems: Problems) -> pd.DataFrame:
    found = _long_header(raw)
    if found is None:
        problems.add("input.period_columns")
        problems.raise_if_errors()
    assert found is not None  # raised above
    h, pj, sj = found
    header = raw.cells.iloc[h].tolist()
    body = raw.cells.iloc[h + 1:]
    rows = raw.rows[h + 1:]
    other = [j for j in range(len(header)) if j not in (pj, sj)]
    table = body[other].copy()
    table.columns = [header[j] for j in other]
    person = table.iloc[:, 0].astype(str)
    kinds = set()
    scores: dict[tuple, list] = {}
    first: dict[tuple, int] = {}
    for i, (pv, sv) in enumerate(zip(body[pj].tolist(), body[sj].tolist(), strict=True)):
        if all(x is None or not str(x).strip() for x in body.iloc[i].tolist()):
            continue
        period = period_of(pv)
        if period is None:
            problems.add("input.period_columns", row=int(rows[i]), column=str(header[pj]), value=pv)
            continue
        kinds.add(period[0])
        try:
            f = _exact(sv)
        except ValueError:
            problems.add("input.score_not_number", row=int(rows[i]), column=str(header[sj]), value=sv)
            continue
        if f is None:
            continue
        key = tuple(table.iloc[i].tolist())
        scores.setdefault(key, []).append(f)
        first.setdefault(key, i)
    if len(kinds) > 1:
        problems.add("input.period_mixed", row=int(raw.rows[h]))
    problems.raise_if_errors()
    del person
    idx = sorted(first.values())
    keys = [tuple(table.iloc[i].tolist()) for i in idx]
    total = [sum(scores[k], Fraction(0)) for k in keys]
    count = np.array([len(scores[k]) for k in keys], dtype=np.int64)
    kind = kinds.pop() if kinds else "quarterly"
    if partial_periods == "all":
        for i, c in zip(idx, count, strict=True):
            if c < PERIODS[kind]:
                problems.add("input.period_missing", row=int(rows[i]), column=str(header[pj]),
                             value=str(int(c)), period=f"{int(c)}/{PERIODS[kind]}")
    return _finish(table.iloc[idx], rows[idx], total, count, kind, problems, np.ones(len(idx), dtype=bool), sheet)


def _finish(table: pd.DataFrame, rows, total, count, kind, problems: Problems, nonblank, sheet) -> pd.DataFrame:
    """Hand the roster columns to the roster reader and attach the exact averages (level left to the rules)."""
    problems.raise_if_errors()
    table = table[nonblank].reset_index(drop=True)
    rows = np.asarray(rows)[nonblank]
    total = [t for t, keep in zip(total, nonblank, strict=True) if keep]
    count = count[nonblank]
    avg = [t / c for t, c in zip(total, count, strict=True)]
    table["Xếp loại"] = "HTNV"  # placeholder so the roster reader accepts the rows; cleared below
    roster = read_roster(table)
    picked = roster["source_row"].to_numpy() - 2  # the table's own row numbers: header is row 1
    roster["source_row"] = rows[picked]
    roster["score"] = [float(avg[i]) for i in picked]
    roster["score_exact"] = [avg[i] for i in picked]
    roster["n_periods"] = count[picked]
    roster["period_kind"] = kind
    roster["level"] = pd.Categorical([None] * len(roster), dtype=L.LEVEL_DTYPE)  # rated by the rules
    roster.attrs["problems"] = AttachedProblems(problems.frame())
    roster.attrs["source"] = {"file": problems.file, "sheet": sheet}
    roster.attrs["periods"] = {"kind": kind, "n": int(count.max()) if len(count) else 0}
    return roster
