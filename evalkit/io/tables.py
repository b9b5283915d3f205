"""Read rosters and count tables from CSV, XLSX or a DataFrame.

Headers are matched through Vietnamese and English aliases, the header row is found below any
title block, and every value is validated with problems named by file, sheet, row and column.

Examples
--------
>>> import pandas as pd
>>> raw = pd.DataFrame({"Mã CB": ["A1", "A2"], "Năm": [2026, 2026], "Đơn vị": ["U1", "U1"],
...                     "Xếp loại": ["HTXSNV", "Hoàn thành tốt nhiệm vụ"], "Điểm": ["91,5", "80"]})
>>> roster = read_roster(raw)
>>> roster[["person_id", "level", "score"]].to_dict("list")
{'person_id': ['A1', 'A2'], 'level': ['EXCELLENT', 'GOOD'], 'score': [91.5, 80.0]}
"""

from __future__ import annotations

import csv
import io as _io
import os
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from .. import levels as L
from .columns import (CATEGORY_COLUMNS, COUNT_ALIASES, COUNT_COLUMNS, COUNT_INFO_PREFIXES, COUNT_LEVELS, DISPLAY,
                      FALSE_WORDS, POPULATION_LOOKUP, ROSTER_ALIASES, ROSTER_COLUMNS, TOTAL_LABELS, TRUE_WORDS, Column)
from .problems import AttachedProblems, InputError, Problems

# --------------------------------------------------------------------------------------------
# Loading a raw table of text cells with the row numbers the user sees
# --------------------------------------------------------------------------------------------


@dataclass
class RawTable:
    """Cells as read (strings or Excel values), a spreadsheet row number per row, the source."""

    cells: pd.DataFrame  # columns 0..k-1, object dtype
    rows: np.ndarray  # 1-based row number as the user sees it
    file: str | None
    sheet: str | None


def _decode(data: bytes, name: str) -> str:
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        utf8_error = exc
    for enc in ("cp1258",):  # Windows-1258, the Vietnamese Windows code page
        try:
            return unicodedata.normalize("NFC", data.decode(enc))
        except UnicodeDecodeError:
            continue
    line = data[: utf8_error.start].count(b"\n") + 1
    raise _single_problem(name, None, "input.not_text", row=line,
                          value=repr(data[utf8_error.start:utf8_error.start + 8]))


def _read_csv_cells(path: Path) -> pd.DataFrame:
    text = _decode(path.read_bytes(), str(path))
    sample = "\n".join(text.splitlines()[:50])
    try:
        delimiter = csv.Sniffer().sniff(sample, delimiters=",;\t").delimiter
    except csv.Error:
        delimiter = ","
    return pd.read_csv(_io.StringIO(text), header=None, dtype=str, keep_default_na=False,
                       skip_blank_lines=False, sep=delimiter, engine="c")


def _read_xlsx_cells(path: Path, sheet: str | None) -> tuple[pd.DataFrame, str]:
    import openpyxl

    try:
        wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # a corrupt or non-Excel file
        raise _single_problem(str(path), None, "input.not_excel", detail=str(exc)) from None
    try:
        if sheet is None:
            ws = wb.worksheets[0]
        elif sheet in wb.sheetnames:
            ws = wb[sheet]
        else:
            raise _single_problem(str(path), sheet, "input.no_sheet", name=sheet,
                                  sheets=", ".join(repr(s) for s in wb.sheetnames))
        data = list(ws.iter_rows(min_row=1, values_only=True))
        title = ws.title
    finally:
        wb.close()
    width = max((len(r) for r in data), default=0)
    frame = pd.DataFrame([list(r) + [None] * (width - len(r)) for r in data], dtype=object)
    return frame, title


def _single_problem(file, sheet, code, row=None, column=None, value=None, **params) -> InputError:
    p = Problems(file=file, sheet=sheet)
    p.add(code, row=row, column=column, value=value, **params)
    return InputError(p.frame())


def load_raw(source, sheet: str | None = None) -> RawTable:
    """Load a CSV, XLSX or DataFrame as cells with user-visible row numbers."""
    if isinstance(source, pd.DataFrame):
        header = pd.DataFrame([list(map(str, source.columns))], dtype=object)
        body = source.astype(object).where(source.notna(), None)
        body.columns = range(body.shape[1])
        cells = pd.concat([header, body], ignore_index=True)
        cells.columns = range(cells.shape[1])
        return RawTable(_text_frame(cells), np.arange(1, len(cells) + 1), None, None)
    path = Path(os.fspath(source))
    if not path.exists():
        raise _single_problem(str(path), None, "input.file_not_found")
    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        cells, title = _read_xlsx_cells(path, sheet)
        return RawTable(_text_frame(cells), np.arange(1, len(cells) + 1), str(path), title)
    if suffix == ".xls":
        raise _single_problem(str(path), None, "input.xls_unsupported")
    if suffix in (".csv", ".txt", ".tsv", ""):
        try:
            cells = _read_csv_cells(path)
        except pd.errors.EmptyDataError:
            cells = pd.DataFrame(dtype=object)
        return RawTable(_text_frame(cells.astype(object)), np.arange(1, len(cells) + 1), str(path), None)
    raise _single_problem(str(path), None, "input.unsupported_type", suffix=suffix)


def _cell_text(v) -> str:
    if v is None or (isinstance(v, float) and np.isnan(v)):
        return ""
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return unicodedata.normalize("NFC", str(v)).strip()


def _map_unique(s: pd.Series, fn) -> pd.Series:
    """``s.map(fn)`` computed once per distinct value (cells repeat a lot: units, levels, years)."""
    codes, uniques = pd.factorize(s, use_na_sentinel=True)
    values = np.array([fn(u) for u in uniques] + [fn(None)], dtype=object)
    return pd.Series(values[codes], index=s.index, dtype=object)


def _text_series(s: pd.Series) -> pd.Series:
    """Cells as trimmed NFC text ("" for empty), whatever the reader gave (str, float, int, datetime)."""
    return _map_unique(s, _cell_text)


def _text_frame(frame: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame({c: _text_series(frame[c]) for c in frame.columns}, index=frame.index)


def _find_header(raw: RawTable, aliases: dict[str, str], max_scan: int = 30):
    best, best_hits = None, 0
    for i in range(min(max_scan, len(raw.cells))):
        keys = [L.match_key(_cell_text(v)) for v in raw.cells.iloc[i].tolist()]
        hits = len({aliases[k] for k in keys if k in aliases})
        if hits > best_hits:
            best, best_hits = i, hits
    if best is None or best_hits < 2:
        return None
    return best


# --------------------------------------------------------------------------------------------
# Value conversion, vectorised, every failure named
# --------------------------------------------------------------------------------------------

_NUMBER = re.compile(r"^[+-]?(\d+)([.,](\d+))?$")


def parse_number(text: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Parse numbers written with a decimal point or a Vietnamese decimal comma ("85,5").

    Returns ``(values, bad)``; an empty cell is NaN and not bad. Thousands separators are not
    accepted (a score never needs one), so "1.234,5" is rejected rather than misread.
    """
    s = _text_series(text)
    ok = s.str.match(_NUMBER.pattern).fillna(False).astype(bool)
    empty = s == ""
    values = pd.to_numeric(s.where(ok, "").str.replace(",", ".", regex=False).replace("", np.nan), errors="coerce")
    return values.astype(float), ~ok & ~empty


def _parse_bool(text: pd.Series) -> tuple[pd.Series, pd.Series]:
    key = _map_unique(text, lambda v: L.match_key(_cell_text(v)))
    out = pd.Series(pd.NA, index=text.index, dtype="boolean")
    out[key.isin(TRUE_WORDS)] = True
    out[key.isin(FALSE_WORDS)] = False
    bad = ~key.isin(TRUE_WORDS | FALSE_WORDS)
    return out, bad


def convert_columns(frame: pd.DataFrame, rows: np.ndarray, spec: dict[str, Column], headers: dict[str, str],
             problems: Problems) -> tuple[pd.DataFrame, np.ndarray]:
    """Convert raw text columns to typed columns. Returns the frame and a per-row error mask."""
    bad_row = np.zeros(len(frame), dtype=bool)
    out = {}
    for name in frame.columns:
        col = spec.get(name)
        raw = frame[name]
        header = headers.get(name, name)
        text = _text_series(raw)
        if col is None or col.kind == "text":
            out[name] = text.replace("", None).astype(object)
            continue
        empty = (text == "").to_numpy()
        if col.required and col.kind != "count" and empty.any():
            problems.add_many(rows[empty], header, [""] * int(empty.sum()), "input.required_empty")
            bad_row |= empty
        if col.kind == "id":
            out[name] = text.where(~empty, None).astype(object)
        elif col.kind == "level":
            codes, unknown = L.level_codes(text)
            unknown &= ~empty
            if unknown.any():
                problems.add_many(rows[unknown], header, text[unknown], "input.level_unknown")
                bad_row |= unknown
            out[name] = pd.Categorical(np.where(unknown | empty, None, codes), dtype=L.LEVEL_DTYPE)
        elif col.kind in ("score", "months", "year", "count"):
            values, bad = parse_number(text)
            bad = bad.to_numpy()
            v = values.to_numpy()
            if col.kind == "score":
                rng = ~bad & ~np.isnan(v) & ((v < 0) | (v > 100))
                msg_bad, msg_rng = "input.score_not_number", "input.score_range"
            elif col.kind == "months":
                rng = ~bad & ~np.isnan(v) & ((v < 0) | (v > 12))
                msg_bad, msg_rng = "input.months_not_number", "input.months_range"
            elif col.kind == "year":
                rng = ~bad & ~np.isnan(v) & ((v != np.floor(v)) | (v < 1945) | (v > 2100))
                msg_bad, msg_rng = "input.year_not_number", "input.year_range"
            else:
                rng = ~bad & ~np.isnan(v) & ((v < 0) | (v != np.floor(v)))
                msg_bad, msg_rng = "input.count_not_number", "input.count_range"
            for mask, msg in ((bad, msg_bad), (rng, msg_rng)):
                if mask.any():
                    problems.add_many(rows[mask], header, text[mask], msg)
                    bad_row |= mask
            v = np.where(bad | rng, np.nan, v)
            if col.kind in ("year", "count"):
                out[name] = pd.array(np.where(np.isnan(v), 0, v).astype(np.int64), dtype="Int64")
                out[name][np.isnan(v)] = pd.NA
            else:
                out[name] = v
        elif col.kind == "bool":
            values, bad = _parse_bool(text)
            if bad.any():
                problems.add_many(rows[bad.to_numpy()], header, text[bad], "input.bool_expected")
                bad_row |= bad.to_numpy()
            out[name] = values
        elif col.kind == "population":
            codes = _map_unique(text, lambda v: POPULATION_LOOKUP.get(L.match_key(v or "")))
            bad = (codes.isna() & (text != "")).to_numpy()
            if bad.any():
                problems.add_many(rows[bad], header, text[bad], "input.population_unknown")
                bad_row |= bad
            out[name] = codes.astype(object).where(codes.notna(), None)
    return pd.DataFrame(out, index=frame.index), bad_row


def extract_table(raw: RawTable, aliases: dict[str, str], spec: dict[str, Column], kind: str, problems: Problems):
    """Find the header, map it, and return (frame of raw cells with canonical names, rows, headers)."""
    if raw.cells.shape[0] == 0 or raw.cells.eq("").all().all():
        problems.add("input.empty_sheet" if raw.sheet else "input.empty_file", kind=kind)
        problems.raise_if_errors()
    h = _find_header(raw, aliases)
    if h is None:
        expected = ", ".join(f"{DISPLAY.get(c.name, c.name)!r} ({c.name})" for c in spec.values() if c.required)
        problems.add("input.no_header", expected=expected)
        problems.raise_if_errors()
    header_cells = [_cell_text(v) for v in raw.cells.iloc[h].tolist()]
    names, headers, seen = {}, {}, {}
    for j, text in enumerate(header_cells):
        if text == "":
            continue
        canon = aliases.get(L.match_key(text))
        name = canon if canon is not None else text
        if name in seen:
            problems.add("input.two_columns", row=int(raw.rows[h]), column=text, value=text,
                         name=name, first=seen[name], second=text)
            continue
        seen[name] = text
        names[j] = name
        headers[name] = text
    for c in spec.values():
        if c.required and c.name not in names.values():
            shown = DISPLAY.get(c.name)
            problems.add("input.missing_column", row=int(raw.rows[h]), header=shown or c.name, name=c.name)
    problems.raise_if_errors()
    body = raw.cells.iloc[h + 1:]
    rows = raw.rows[h + 1:]
    # drop columns without a header only when they are empty; data under no header is an error
    for j in range(body.shape[1]):
        if j not in names:
            col_text = body[j]
            filled = (col_text != "").to_numpy()
            if filled.any():
                first = int(np.argmax(filled))
                problems.add("input.value_without_header", row=int(rows[first]),
                             column=f"column {j + 1}", value=col_text.iloc[first])
    body = body[list(names)].rename(columns=names)
    text = body
    blank = text.eq("").all(axis=1).to_numpy()
    required = [c.name for c in spec.values() if (c.required or c.name == "unit_id") and c.name in body.columns]
    footer = ~blank & text[required].eq("").all(axis=1).to_numpy()
    for i in np.flatnonzero(footer):
        filled = [(headers[c], v) for c, v in text.iloc[i].items() if v != ""]
        problems.add("input.row_skipped_no_required",
                     row=int(rows[i]), column=filled[0][0], value=filled[0][1], severity="warning")
    if "unit_id" in body.columns:
        total = _map_unique(text["unit_id"], lambda v: L.match_key(v or "")).isin(TOTAL_LABELS).to_numpy() & ~blank & ~footer
        for i in np.flatnonzero(total):
            problems.add("input.row_skipped_total", row=int(rows[i]),
                         column=headers["unit_id"], value=text["unit_id"].iloc[i], severity="warning")
        footer |= total
    keep = ~blank & ~footer
    return body[keep].reset_index(drop=True), rows[keep], headers


def finish_read(frame: pd.DataFrame, bad_row: np.ndarray, problems: Problems, errors: str) -> pd.DataFrame:
    """Raise on errors (``errors="raise"``) or drop the bad rows (``"collect"``); the problems table
    — warnings, and in collect mode every dropped row's errors — goes with the frame (``frame.evalkit.problems``)."""
    if errors not in ("raise", "collect"):
        raise ValueError("errors must be 'raise' or 'collect'")
    if errors == "raise":
        problems.raise_if_errors()
    else:
        attrs = frame.attrs
        frame = frame[~bad_row].reset_index(drop=True)
        frame.attrs = attrs
    frame.attrs["problems"] = AttachedProblems(problems.frame())
    return frame


def read_roster(source, sheet: str | None = None, *, year: int | None = None, errors: str = "raise") -> pd.DataFrame:
    """Read a roster (one row per person) from CSV, XLSX or a DataFrame.

    Parameters
    ----------
    source : path or DataFrame
    sheet : sheet name for workbooks (default: the first sheet)
    year : fills ``year`` when the file has no year column
    errors : ``"raise"`` raises :class:`~evalkit.InputError` listing every problem;
        ``"collect"`` returns the usable rows and puts every other row in the problems table.

    Returns
    -------
    DataFrame with ``person_id, year, unit_id, level`` and any optional columns present, plus
    ``source_row`` (the row in the user's file). ``.evalkit.problems`` is the problems table
    (warnings, and in collect mode the errors of every dropped row). Unknown columns are kept as they are. Group keys
    (unit, task group, title group, unit level, staff type, position) are categoricals. Yes/no
    columns (``is_leader``, ``disciplined``) read a blank cell as "no", as tick-box columns mean it.
    A title line naming the year ("… NĂM 2026") stands in for a missing year column, with a warning.
    """
    raw = load_raw(source, sheet)
    problems = Problems(file=raw.file, sheet=raw.sheet)
    spec = dict(ROSTER_COLUMNS)
    if year is None:
        year = _year_from_title(raw, problems)
    if year is not None:
        spec["year"] = Column("year", "year", spec["year"].aliases, False)
    body, rows, headers = extract_table(raw, ROSTER_ALIASES, spec, "roster", problems)
    frame, bad_row = convert_columns(body, rows, spec, headers, problems)
    if "year" not in frame.columns:
        frame["year"] = pd.array([year] * len(frame), dtype="Int64")
    frame.insert(0, "source_row", rows.astype(np.int64))
    # duplicates: one person once a year
    key = frame[["person_id", "year"]]
    dup = key.duplicated(keep=False).to_numpy() & frame["person_id"].notna().to_numpy()
    if dup.any():
        first_row = frame[dup].groupby(["person_id", "year"], dropna=False)["source_row"].transform("min")
        for r, pid, fr in zip(frame.loc[dup, "source_row"], frame.loc[dup, "person_id"], first_row, strict=True):
            if r != fr:
                problems.add("input.person_twice", row=int(r), column=headers.get("person_id", "person_id"),
                             value=pid, first_row=int(fr))
                bad_row[np.flatnonzero(frame["source_row"].to_numpy() == r)] = True
    for col in CATEGORY_COLUMNS:  # group keys: integer codes make every grouping fast
        if col in frame.columns:
            frame[col] = frame[col].astype("category")
    order = ["source_row"] + [c for c in ROSTER_COLUMNS if c in frame.columns]
    frame = frame[order + [c for c in frame.columns if c not in order]]
    frame.attrs["headers"] = headers  # canonical name → the header as the user wrote it
    frame.attrs["source"] = {"file": raw.file, "sheet": raw.sheet}
    return finish_read(frame, bad_row, problems, errors)


def _year_from_title(raw: RawTable, problems: Problems) -> int | None:
    """The assessment year from a title line above the header ("… NĂM 2026"), if there is no year column."""
    h = _find_header(raw, ROSTER_ALIASES)
    if h is None:
        return None
    if any(ROSTER_ALIASES.get(L.match_key(_cell_text(v))) == "year" for v in raw.cells.iloc[h].tolist()):
        return None
    found = {}
    for i in range(h):
        for v in raw.cells.iloc[i].tolist():
            for m in re.finditer(r"\bnam (\d{4})\b", L.match_key(_cell_text(v))):
                found.setdefault(int(m.group(1)), (int(raw.rows[i]), _cell_text(v)))
    if len(found) != 1:
        return None
    (yr, (row, text)), = found.items()
    problems.add("input.year_from_title", row=row, value=text, severity="warning", year=yr)
    return yr


def read_counts(source, sheet: str | None = None, *, errors: str = "raise") -> pd.DataFrame:
    """Read a counts table (one row per group, counts per level) from CSV, XLSX or a DataFrame.

    Count columns become ``n_excellent, n_good, n_completed, n_not_completed`` (and
    ``n_not_rated``), nullable integers: an empty cell is *unknown* (a warning), never zero. Columns
    named ``pct_*``, ``source*`` or ``note`` are kept as information; every other column is a group
    key.

    >>> t = read_counts(pd.DataFrame({"Đơn vị": ["Sở A"], "HTXSNV": [3], "HTTNV": [10]}))
    >>> t[["unit_id", "n_excellent", "n_good"]].to_dict("records")
    [{'unit_id': 'Sở A', 'n_excellent': 3, 'n_good': 10}]
    """
    raw = load_raw(source, sheet)
    problems = Problems(file=raw.file, sheet=raw.sheet)
    body, rows, headers = extract_table(raw, COUNT_ALIASES, COUNT_COLUMNS, "counts", problems)
    frame, bad_row = convert_columns(body, rows, COUNT_COLUMNS, headers, problems)
    for name in COUNT_LEVELS:
        if name in frame.columns:
            missing = frame[name].isna().to_numpy() & ~bad_row
            if missing.any():
                problems.add_many(rows[missing], headers[name], [""] * int(missing.sum()),
                                  "input.count_empty_unknown", severity="warning")
    frame.insert(0, "source_row", rows.astype(np.int64))
    frame.attrs["headers"] = headers
    frame.attrs["source"] = {"file": raw.file, "sheet": raw.sheet}
    return finish_read(frame, bad_row, problems, errors)


def group_columns(counts: pd.DataFrame) -> list[str]:
    """The group-key columns of a counts table."""
    return [c for c in counts.columns
            if c not in COUNT_LEVELS and c != "source_row"
            and not any(L.match_key(c).startswith(p) or c.startswith(p) for p in COUNT_INFO_PREFIXES)]


def detect_kind(source, sheet: str | None = None) -> str:
    """'roster' or 'counts', from the header row."""
    raw = load_raw(source, sheet)
    counts_h = _find_header(raw, COUNT_ALIASES)
    if counts_h is not None:
        keys = {COUNT_ALIASES.get(L.match_key(_cell_text(v))) for v in raw.cells.iloc[counts_h].tolist()}
        if keys & set(COUNT_LEVELS):
            return "counts"
    return "roster"


def read_any(data, sheet: str | None = None):
    """A roster or counts table in canonical columns: ``(frame, kind, problems)``.

    ``data`` is a path (read and validated; ``kind`` from its header row) or a DataFrame (taken as
    it is when its columns are already canonical, else read like a file). ``problems`` is the table
    of warnings, or None for a canonical DataFrame.
    """
    if isinstance(data, (str, os.PathLike)):
        kind = detect_kind(data, sheet)
    elif isinstance(data, pd.DataFrame):
        if "n_excellent" in data.columns:
            return data, "counts", None
        if {"level", "unit_id"} <= set(data.columns):
            return data, "roster", None
        kind = detect_kind(data)
    else:
        raise TypeError("data must be a DataFrame or a path to a CSV/XLSX file")
    reader = read_counts if kind == "counts" else read_roster
    frame = reader(data, sheet)
    return frame, kind, frame.evalkit.problems
