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
import datetime as dt
from dataclasses import dataclass, field
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
    """Cells as read (text as the officer sees it), a spreadsheet row number per row, the source.

    ``hidden_rows`` are the row numbers hidden in the workbook (they are read, and flagged);
    ``notes`` are problems found while loading (formulas without a value, …) as (code, row, column,
    value, severity, params).
    """

    cells: pd.DataFrame  # columns 0..k-1, object dtype
    rows: np.ndarray  # 1-based row number as the user sees it
    file: str | None
    sheet: str | None
    hidden_rows: tuple[int, ...] = ()
    notes: list = field(default_factory=list)


def _decode(data: bytes, name: str) -> tuple[str, bytes | None]:
    """The text of a file, and its UTF-8 bytes (without a BOM) when it was UTF-8 as it stands."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):  # "Unicode Text" saved by Excel: UTF-16 with a BOM
        return unicodedata.normalize("NFC", data.decode("utf-16")), None
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        return data.decode("utf-8"), data
    except UnicodeDecodeError as exc:
        utf8_error = exc
    if len(data) > 3 and data[1:2] == b"\0" and data[3:4] == b"\0":  # UTF-16 LE without a BOM
        try:
            return unicodedata.normalize("NFC", data.decode("utf-16-le")), None
        except UnicodeDecodeError:
            pass
    for enc in ("cp1258",):  # Windows-1258, the Vietnamese Windows code page
        try:
            return unicodedata.normalize("NFC", data.decode(enc)), None
        except UnicodeDecodeError:
            continue
    line = data[: utf8_error.start].count(b"\n") + 1
    raise _single_problem(name, None, "input.not_text", row=line,
                          value=repr(data[utf8_error.start:utf8_error.start + 8]))


def _sniff_delimiter(text: str) -> str:
    """``,``, ``;`` or tab, from the first 50 lines."""
    end = -1
    for _ in range(51):  # only the head is split into lines: the first 50 are the same as the whole text's
        end = text.find("\n", end + 1)
        if end < 0:
            break
    sample = "\n".join((text if end < 0 else text[:end]).splitlines()[:50])
    try:
        return csv.Sniffer().sniff(sample, delimiters=",;\t").delimiter
    except csv.Error:
        return ","


def _read_csv_cells(path: Path) -> tuple[pd.DataFrame, bool]:
    """The cells of a CSV file as text, and whether they are already clean (see :func:`_csv_cells_clean`).

    A UTF-8 file goes to the C parser as bytes, undecoded here (the parser decodes it, strictly); any
    other (UTF-16, Windows-1258) is decoded first, and a file that is no text is an error naming the line.
    """
    data = path.read_bytes()
    # every cell as the text in the file, a missing one (a short row) as "": no conversion, no NA detection
    options = dict(header=None, dtype=object, na_filter=False, skip_blank_lines=False, engine="c")
    if not data.startswith((b"\xff\xfe", b"\xfe\xff")):
        utf8 = data[3:] if data.startswith(b"\xef\xbb\xbf") else data
        end = -1
        for _ in range(51):  # the head the delimiter is sniffed from
            end = utf8.find(b"\n", end + 1)
            if end < 0:
                break
        try:
            delimiter = _sniff_delimiter(utf8[:end if end >= 0 else len(utf8)].decode("utf-8"))
            cells = pd.read_csv(_io.BytesIO(utf8), encoding="utf-8", sep=delimiter, **options)
        except UnicodeDecodeError:
            pass  # not UTF-8: decoded below
        except pd.errors.ParserError:  # rows of different lengths (a title line above the table, an extra cell)
            text, _ = _decode(data, str(path))
            return _ragged_csv_cells(text, delimiter), False
        else:
            return cells, _csv_cells_clean(utf8, delimiter, len(cells))
    text, _ = _decode(data, str(path))
    delimiter = _sniff_delimiter(text)
    try:
        return pd.read_csv(_io.StringIO(text), sep=delimiter, **options), False
    except pd.errors.ParserError:
        return _ragged_csv_cells(text, delimiter), False


def _ragged_csv_cells(text: str, delimiter: str) -> pd.DataFrame:
    r"""Cells of a CSV whose rows differ in length (which pandas' parser refuses), short rows padded with "".

    >>> _ragged_csv_cells("BẢNG XẾP LOẠI\nMã,Xếp loại\nA1,HTTNV,\n", ",").values.tolist()
    [['BẢNG XẾP LOẠI', '', ''], ['Mã', 'Xếp loại', ''], ['A1', 'HTTNV', '']]
    """
    rows = list(csv.reader(_io.StringIO(text), delimiter=delimiter))
    width = max((len(r) for r in rows), default=0)
    return pd.DataFrame([r + [""] * (width - len(r)) for r in rows], dtype=object)


#: Every character ``str.isspace`` calls a space, but the plain space (tests check the list is complete).
_WHITESPACE = "\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f\x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006" \
              "\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000"
#: UTF-8 lead bytes of U+00C0…U+01BF (Latin-1 and Latin Extended-A/B letters: ă, đ, ơ, ư …). With
#: U+1E00…U+1EFF (lead E1, then B8…BB: ạ, ế, ữ …) they are every Vietnamese letter; none is a space,
#: and none changes or composes under NFC (tests check both).
_LATIN_LEADS = b"\xc3\xc4\xc5\xc6"
#: Bytes that need no look in a UTF-8 CSV: ASCII but the spaces other than " " and the line break, and
#: NUL; the continuation bytes; the lead bytes of Latin letters.
_PLAIN_BYTES = bytes(b for b in range(256) if b not in b"\x00\t\x0b\x0c\r\x1c\x1d\x1e\x1f" and b < 0xC0
                     or b in _LATIN_LEADS + b"\xe1")
_OTHER_THAN_VIETNAMESE = re.compile(rb"\xe1[^\xb8-\xbb]")


def _csv_cells_clean(data: bytes, delimiter: str, n_records: int) -> bool:
    """Whether every cell the C parser reads from this UTF-8 CSV is already what :func:`_cell_text` makes of it.

    Checked on the file as a whole, once, instead of cell by cell: it is NFC; it holds no invisible
    character and no space but the plain one (line breaks only as ``\\n`` or ``\\r\\n`` between
    records — as many records as lines, so no quoted cell holds one); and no space is doubled or
    next to a delimiter, a quote or a line break, the only characters a cell can start or end
    beside (quotes the parser removes included). Any doubt answers False: the cells are then
    cleaned one distinct value at a time.

    A file of ASCII and Vietnamese letters is checked on its bytes alone; one with other characters
    is decoded and checked character by character.
    """
    if delimiter in _WHITESPACE and b'"' in data:
        return False  # a quoted cell may hold a tab, which is no delimiter there
    # one pass over the bytes finds every ASCII space character but " " and the line break, and the
    # first byte of every character that is not ASCII or a Latin letter (E1 …: looked at below)
    found = set(data.translate(None, _PLAIN_BYTES))
    found.discard(ord(delimiter))
    if found & set(b"\x00\t\x0b\x0c\x1c\x1d\x1e\x1f"):
        return False
    if 0x0D in found and data.count(b"\r") != data.count(b"\r\n"):
        return False
    if found - {0x0D} or _OTHER_THAN_VIETNAMESE.search(data):
        text = data.decode("utf-8")  # other characters: each space and invisible one looked for, and NFC
        if any(c in text for c in _WHITESPACE[9:] + "".join(map(chr, _INVISIBLE))):
            return False
        if not unicodedata.is_normalized("NFC", text):
            return False
    if n_records != data.count(b"\n") + (not data.endswith(b"\n") and len(data) > 0):
        return False  # a line break inside a quoted cell (or a blank last line): cleaned cell by cell
    codes = np.frombuffer(data, dtype=np.uint8)
    at = np.flatnonzero(codes == 0x20)
    if not len(at):
        return True
    if at[0] == 0 or at[-1] == len(codes) - 1:
        return False
    edges = np.frombuffer(b" \n\r\"", dtype=np.uint8)
    if np.isin(codes[at - 1], edges).any() or np.isin(codes[at + 1], edges).any():
        return False
    # a space beside a delimiter: a cell starts or ends with it, unless the delimiter is inside quotes
    sep = ord(delimiter)
    beside = np.union1d(at[codes[at - 1] == sep] - 1, at[codes[at + 1] == sep] + 1)
    if not len(beside):
        return True
    quotes = _quoting(codes, sep)
    return quotes is not None and bool((np.searchsorted(quotes, beside) % 2 == 1).all())


def _quoting(codes: np.ndarray, sep: int) -> np.ndarray | None:
    """Positions of the quotes of a CSV file (bytes) when every one opens a cell, closes it or is doubled
    inside it — then a position is inside quotes exactly when an odd number of quotes come before it.
    None when a quote stands anywhere else (the C parser takes it as a letter)."""
    quotes = np.flatnonzero(codes == 0x22)
    if not len(quotes):
        return quotes
    opening, closing = quotes[0::2], quotes[1::2]
    if len(opening) != len(closing):
        return None
    before = np.where(opening > 0, codes[np.maximum(opening - 1, 0)], 0x0A)  # the start of the file: a line start
    after = np.where(closing < len(codes) - 1, codes[np.minimum(closing + 1, len(codes) - 1)], 0x0A)
    doubled_open = np.zeros(len(opening), dtype=bool)
    doubled_open[1:] = opening[1:] - 1 == closing[:-1]  # the second quote of "" inside a quoted cell
    doubled_close = np.zeros(len(closing), dtype=bool)
    doubled_close[:-1] = closing[:-1] + 1 == opening[1:]
    opens_cell = np.isin(before, [sep, 0x0A]) | doubled_open
    closes_cell = np.isin(after, [sep, 0x0A, 0x0D]) | doubled_close
    return quotes if bool(opens_cell.all() and closes_cell.all()) else None


_ZEROS_FORMAT = re.compile(r'^0+$')


def _shown(value, number_format: str):
    """A number as the officer sees it where the format pads it with zeros (``000001``)."""
    if number_format and _ZEROS_FORMAT.match(number_format) and isinstance(value, (int, float)) \
            and not isinstance(value, bool) and float(value).is_integer() and value >= 0:
        return str(int(value)).zfill(len(number_format))
    return value


def _grid(rows: list[list], width: int | None = None) -> pd.DataFrame:
    width = max((len(r) for r in rows), default=0) if width is None else width
    return pd.DataFrame([list(r) + [None] * (width - len(r)) for r in rows], dtype=object)


def _fill_merged(data: list[list], ranges) -> None:
    """Every cell of a merged range takes the value of its top-left cell (titles across, units down)."""
    for r0, c0, r1, c1 in ranges:
        if r0 >= len(data):
            continue
        value = data[r0][c0] if c0 < len(data[r0]) else None
        for r in range(r0, min(r1, len(data) - 1) + 1):
            row = data[r]
            if len(row) <= c1:
                row.extend([None] * (c1 + 1 - len(row)))
            for c in range(c0, c1 + 1):
                row[c] = value


def _holds_table(rows: list[list]) -> bool:
    """Whether the first rows of a sheet hold the header of a roster or of a counts table."""
    head = pd.DataFrame({j: _text_series(pd.Series([r[j] if j < len(r) else None for r in rows], dtype=object))
                         for j in range(max((len(r) for r in rows), default=0))})
    raw = RawTable(head, np.arange(1, len(head) + 1), None, None)
    for aliases, needs in ((ROSTER_ALIASES, {"level"}), (COUNT_ALIASES, set(COUNT_LEVELS))):
        h = _find_header(raw, aliases)
        if h is not None:
            found = {aliases.get(L.match_key(v)) for v in _header_texts(raw, h)}
            if found & needs:
                return True
    return False


def _choose_sheet(path: Path, names: list[str], visible: list[bool], active: str | None, sheet: str | None,
                  first_rows) -> str:
    """The sheet to read: the one named, else the only visible sheet holding a rating table, else the
    active visible sheet. Two or more candidates: an error listing them and ``--sheet``."""
    if sheet is not None:
        if sheet not in names:
            raise _single_problem(str(path), sheet, "input.no_sheet", name=sheet,
                                  sheets=", ".join(repr(s) for s in names))
        return sheet
    shown = [n for n, v in zip(names, visible, strict=True) if v]
    if not shown:
        raise _single_problem(str(path), None, "input.no_visible_sheet", sheets=", ".join(repr(s) for s in names))
    if len(shown) == 1:
        return shown[0]
    holding = [n for n in shown if _holds_table(first_rows(n))]
    if len(holding) == 1:
        return holding[0]
    if len(holding) > 1:
        raise _single_problem(str(path), None, "input.many_sheets", sheets=", ".join(repr(s) for s in holding),
                              example=holding[0])
    return active if active in shown else shown[0]


def _read_xlsx_cells(path: Path, sheet: str | None) -> tuple[pd.DataFrame, str, tuple[int, ...], list]:
    import openpyxl

    try:  # the full reader: merged cells, hidden sheets and rows, number formats
        wb = openpyxl.load_workbook(path, data_only=True)
    except Exception as exc:  # a corrupt or non-Excel file
        raise _single_problem(str(path), None, "input.not_excel", detail=str(exc)) from None
    names = wb.sheetnames
    visible = [ws.sheet_state == "visible" for ws in wb.worksheets]
    active = wb.active.title if wb.active is not None else None

    def first_rows(name):
        return [list(r) for r in wb[name].iter_rows(max_row=30, values_only=True)]

    title = _choose_sheet(path, names, visible, active, sheet, first_rows)
    ws = wb[title]
    data = []
    for row in ws.iter_rows():
        data.append([_shown(c.value, c.number_format) if c.value is not None and c.data_type == "n" else c.value
                     for c in row])
    _fill_merged(data, [(m.min_row - 1, m.min_col - 1, m.max_row - 1, m.max_col - 1) for m in ws.merged_cells.ranges])
    hidden = tuple(sorted(r for r, d in ws.row_dimensions.items() if d.hidden and r <= len(data)))
    notes = _formulas_without_value(path, title, data)
    wb.close()
    return _grid(data), title, hidden, notes


_XML_ATTRIBUTE = re.compile(rb'([\w:]+)="([^"]*)"')
_ROW_TAG = re.compile(rb"<row\b[^>]*>")
_CELL_TAG = re.compile(rb"<c\b[^>]*>")
_MERGE_TAG = re.compile(rb"<mergeCell\b[^>]*>")
_ERROR_CELL = re.compile(rb'<c\b([^>]*\bt="e"[^>]*)>(.*?)</c>', re.DOTALL)
_PREFIXED = re.compile(rb"<\w+:(?:row|c|mergeCell|sheetData)\b")
_CELL_REF = re.compile(r"^([A-Z]+)(\d+)$")


def _column_letters(number: int) -> str:
    """The spreadsheet letters of a 1-based column number, as the officer sees them (1 → A, 28 → AB).

    >>> _column_letters(1), _column_letters(26), _column_letters(28)
    ('A', 'Z', 'AB')
    """
    letters = ""
    while number:
        number, rest = divmod(number - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def _column_number(letters: str) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + ord(ch) - 64
    return n


def _read_xlsx(path: Path, sheet: str | None) -> tuple[pd.DataFrame, str, tuple[int, ...], list]:
    """An .xlsx sheet's cells: calamine and a look at the XML where it can, else openpyxl's full reader."""
    fast = _read_xlsx_fast(path, sheet)
    return fast if fast is not None else _read_xlsx_cells(path, sheet)


def _read_xlsx_fast(path: Path, sheet: str | None):
    """The cells of an .xlsx sheet by calamine (values) and a look at the sheet's XML for what calamine
    does not give: hidden rows, merged ranges, numbers whose format pads them with zeros (``000001``).

    The same cells, sheet choice and hidden rows as openpyxl's full reader (:func:`_read_xlsx_cells`,
    tested against it), about 15× faster. Returns None where the file is written in a way this look
    does not read (prefixed XML elements, a row without its number): the full reader takes it then.
    """
    import xml.etree.ElementTree as ET
    import zipfile

    from python_calamine import CalamineWorkbook

    main_ns = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
    rel_ns = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
    try:
        with zipfile.ZipFile(path) as z:
            book = ET.fromstring(z.read("xl/workbook.xml"))
            rels = {r.get("Id"): r.get("Target") for r in ET.fromstring(z.read("xl/_rels/workbook.xml.rels"))}
            sheets = [(e.get("name", ""), e.get("state", "visible"), rels.get(e.get(rel_ns + "id"), "") or "")
                      for e in book.iter(main_ns + "sheet")]
            view = next(book.iter(main_ns + "workbookView"), None)
            active_index = int(view.get("activeTab", 0)) if view is not None else 0
            padded: dict[int, str] = {}  # style index → a zero-padding number format
            if "xl/styles.xml" in z.namelist():
                styles = ET.fromstring(z.read("xl/styles.xml"))
                codes = {1: "0"}  # the one built-in format that is all zeros
                codes.update({int(f.get("numFmtId", -1)): f.get("formatCode", "") for f in styles.iter(main_ns + "numFmt")})
                xfs = next(styles.iter(main_ns + "cellXfs"), None)
                for i, xf in enumerate(xfs if xfs is not None else []):
                    code = codes.get(int(xf.get("numFmtId", 0)), "")
                    if _ZEROS_FORMAT.match(code):
                        padded[i] = code
            names = [n for n, _, _ in sheets]
            visible = [state == "visible" for _, state, _ in sheets]
            active = names[active_index] if 0 <= active_index < len(names) else None
            wb = CalamineWorkbook.from_path(str(path))

            def values(name, rows=None):
                sheet_rows = wb.get_sheet_by_name(name).to_python(skip_empty_area=False)
                return [[_from_calamine(v) for v in r] for r in (sheet_rows[:rows] if rows else sheet_rows)]

            title = _choose_sheet(path, names, visible, active, sheet, lambda n: values(n, 30))
            target = sheets[names.index(title)][2].lstrip("/")
            xml = z.read(target if target.startswith("xl/") else "xl/" + target)
            if _PREFIXED.search(xml):
                return None
            data = values(title)
    except InputError:  # the sheet choice speaks to the user
        raise
    except Exception:  # anything this look cannot read (a chart sheet, a damaged part): the full reader decides
        return None
    hidden = []
    for tag in _ROW_TAG.findall(xml):
        attrs = dict(_XML_ATTRIBUTE.findall(tag))
        if attrs.get(b"hidden") in (b"1", b"true"):
            if b"r" not in attrs:
                return None
            if int(attrs[b"r"]) <= len(data):
                hidden.append(int(attrs[b"r"]))
    if padded:
        for tag in _CELL_TAG.findall(xml):
            attrs = dict(_XML_ATTRIBUTE.findall(tag))
            style = attrs.get(b"s")
            if style is None or int(style) not in padded or attrs.get(b"t", b"n") != b"n":
                continue
            ref = _CELL_REF.match(attrs.get(b"r", b"").decode())
            if ref is None:
                return None
            r, c = int(ref.group(2)) - 1, _column_number(ref.group(1)) - 1
            if r < len(data) and c < len(data[r]) and data[r][c] is not None:
                data[r][c] = _shown(data[r][c], padded[int(style)])
    for cell in _ERROR_CELL.finditer(xml):  # calamine leaves error values (#N/A, #REF!) empty; the officer sees them
        ref = _CELL_REF.match(dict(_XML_ATTRIBUTE.findall(cell.group(1))).get(b"r", b"").decode())
        value = re.search(rb"<v>([^<]*)</v>", cell.group(2))
        if ref is None:
            return None
        r, c = int(ref.group(2)) - 1, _column_number(ref.group(1)) - 1
        if value is not None and r < len(data) and c < len(data[r]):
            data[r][c] = value.group(1).decode()
    ranges = []
    for tag in _MERGE_TAG.findall(xml):
        ref = dict(_XML_ATTRIBUTE.findall(tag)).get(b"ref", b"").decode()
        a, b = (_CELL_REF.match(part) for part in (ref.split(":") + [""])[:2])
        if a is None or b is None or ref.count(":") != 1:
            return None
        ranges.append((int(a.group(2)) - 1, _column_number(a.group(1)) - 1,
                       int(b.group(2)) - 1, _column_number(b.group(1)) - 1))
    _fill_merged(data, ranges)
    notes = _formulas_without_value(path, title, data)
    return _grid(data), title, tuple(sorted(hidden)), notes


def _from_calamine(value):
    """A calamine value as openpyxl gives it: None for an empty cell, whole numbers as int, dates as datetime."""
    if value == "" and isinstance(value, str):
        return None
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return dt.datetime(value.year, value.month, value.day)
    return value


def _formulas_without_value(path: Path, title: str, data: list[list]) -> list:
    """Formula cells the file stores no computed value for (written by a program, never opened in Excel)."""
    import zipfile

    with zipfile.ZipFile(path) as z:
        if not any(b"<f" in z.read(n) for n in z.namelist() if n.startswith("xl/worksheets/")):
            return []
    import openpyxl

    from openpyxl.utils import get_column_letter
    wb = openpyxl.load_workbook(path, read_only=True, data_only=False)
    notes: list[tuple[str, int, str, str, str, dict]] = []
    for r, row in enumerate(wb[title].iter_rows(values_only=True)):
        for c, v in enumerate(row):
            if isinstance(v, str) and v.startswith("=") and r < len(data) and c < len(data[r]) and data[r][c] is None:
                notes.append(("input.formula_without_value", r + 1, f"{get_column_letter(c + 1)}{r + 1}", v, "error", {}))
    wb.close()
    return notes


def _read_xls_cells(path: Path, sheet: str | None) -> tuple[pd.DataFrame, str, tuple[int, ...], list]:
    """Old Excel (.xls) and OpenDocument sheets through calamine: values, merged cells, hidden sheets."""
    from python_calamine import CalamineWorkbook

    try:
        wb = CalamineWorkbook.from_path(str(path))
    except Exception as exc:
        raise _single_problem(str(path), None, "input.not_excel", detail=str(exc)) from None
    meta = wb.sheets_metadata
    names = [m.name for m in meta]
    visible = [str(m.visible).lower().endswith("visible") and "hidden" not in str(m.visible).lower() for m in meta]

    def values(name):
        return [list(r) for r in wb.get_sheet_by_name(name).to_python(skip_empty_area=False)]

    title = _choose_sheet(path, names, visible, None, sheet, lambda n: values(n)[:30])
    ws = wb.get_sheet_by_name(title)
    data = values(title)
    ranges = getattr(ws, "merged_cell_ranges", None) or []
    _fill_merged(data, [(a[0], a[1], b[0], b[1]) for a, b in ranges])
    return _grid(data), title, (), []


def _single_problem(file, sheet, code, row=None, column=None, value=None, **params) -> InputError:
    p = Problems(file=file, sheet=sheet)
    p.add(code, row=row, column=column, value=value, **params)
    return InputError(p.frame())


def load_raw(source, sheet: str | None = None) -> RawTable:
    """Load a CSV, XLSX, XLS or DataFrame as cells with user-visible row numbers.

    A workbook's sheet is the one named, else the only visible sheet holding a rating table, else
    the active visible sheet; hidden sheets are never read unless named. Merged cells take their
    top-left value; numbers formatted with leading zeros (``000001``) keep them.
    """
    if isinstance(source, RawTable):
        return source
    if isinstance(source, pd.DataFrame):
        header = pd.DataFrame([list(map(str, source.columns))], dtype=object)
        body = source.astype(object).where(source.notna(), None)
        body.columns = range(body.shape[1])
        cells = pd.concat([header, body], ignore_index=True)
        cells.columns = range(cells.shape[1])
        return RawTable(_text_frame(cells), np.arange(1, len(cells) + 1), None, None)
    if isinstance(source, str) and source == "-":
        raise _single_problem("-", None, "input.stdin")
    path = Path(os.fspath(source))
    if not path.exists():
        raise _single_problem(str(path), None, "input.file_not_found")
    if path.is_dir():
        raise _single_problem(str(path), None, "input.directory")
    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".xlsm", ".xls", ".ods"):
        reader = _read_xlsx if suffix in (".xlsx", ".xlsm") else _read_xls_cells
        cells, title, hidden, notes = reader(path, sheet)
        return RawTable(_text_frame(cells), np.arange(1, len(cells) + 1), str(path), title, hidden, notes)
    if suffix in (".csv", ".txt", ".tsv", ""):
        try:
            cells, clean = _read_csv_cells(path)
        except pd.errors.EmptyDataError:
            cells, clean = pd.DataFrame(dtype=object), True
        cells = cells.astype(object) if clean else _text_frame(cells.astype(object))
        return RawTable(cells, np.arange(1, len(cells) + 1), str(path), None)
    raise _single_problem(str(path), None, "input.unsupported_type", suffix=suffix)


#: Characters a copy from a web page or Word leaves in a cell: invisible, or a space by another name.
_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"), None)
_SPACES = re.compile(r"[\s\u00a0\u2007\u202f]+")


def _cell_text(v) -> str:
    """A cell as trimmed NFC text, one plain space between words, no invisible characters."""
    if v is None or (isinstance(v, float) and np.isnan(v)):
        return ""
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    if isinstance(v, float):  # a real number from Excel: 1.234 must not read as "1.234" (one thousand …)
        text = repr(v)
        return text + "0" if _THOUSANDS.match(text) else text
    if isinstance(v, bool):
        return "1" if v else "0"
    text = unicodedata.normalize("NFC", str(v)).translate(_INVISIBLE)
    return _SPACES.sub(" ", text).strip()


_UNCLEAN_CHAR = re.compile("[" + re.escape(_WHITESPACE + "".join(map(chr, _INVISIBLE))) + "]")
_PLAIN = re.compile(r"^(?:[!-~]+(?: [!-~]+)*)?$")  # printable ASCII, single spaces, trimmed: already clean


def _map_unique(s: pd.Series, fn) -> pd.Series:
    """``s.map(fn)`` computed once per distinct value (cells repeat a lot: units, levels, years)."""
    codes, uniques = pd.factorize(s, use_na_sentinel=True)
    values = np.empty(len(uniques) + 1, dtype=object)
    values[:] = [fn(u) for u in uniques] + [fn(None)]  # element by element: tuples stay whole
    return pd.Series(values[codes], index=s.index, dtype=object)


def _text_series(s: pd.Series) -> pd.Series:
    """Cells as trimmed NFC text ("" for empty), whatever the reader gave (str, float, int, datetime).

    A column of text is searched as one joined text and only the cells that need it are cleaned;
    other columns (numbers, dates from a workbook) are cleaned once per distinct value, plain ASCII
    text (ids, codes) kept as it is.
    """
    cells = s.to_numpy(dtype=object)
    if len(cells) and pd.api.types.infer_dtype(cells, skipna=False) == "string":
        cleaned = _clean_text_cells(cells)
        if cleaned is not None:
            return pd.Series(cleaned, index=s.index, dtype=object)
    codes, uniques = pd.factorize(s, use_na_sentinel=True)
    values = np.empty(len(uniques) + 1, dtype=object)
    values[-1] = ""
    if len(uniques):
        u = pd.Series(uniques, dtype=object)
        # fullmatch: "$" alone would let a cell ending in a line break pass as plain
        plain = u.str.fullmatch(_PLAIN.pattern).to_numpy(dtype=bool, na_value=False)
        values[:-1] = u.to_numpy(dtype=object)
        rest = np.flatnonzero(~plain)
        if len(rest):
            values[rest] = [_cell_text(v) for v in values[rest]]
    return pd.Series(values[codes], index=s.index, dtype=object)


def _clean_text_cells(cells: np.ndarray) -> np.ndarray | None:
    """Text cells (all ``str``) with :func:`_cell_text` applied to those that need it, found by a few
    searches of the cells joined by NUL: a space character other than " " or an invisible one, a
    doubled space, a space at a cell's edge, text that is not NFC. A column with one stray space costs
    one cleaning, not one per cell. None when a cell holds a NUL itself (then: cell by cell)."""
    joined = "\0".join(cells)
    if joined.count("\0") != len(cells) - 1:
        return None
    try:  # ASCII and Vietnamese letters only (as on a CSV's bytes): no odd space character, and NFC
        data = joined.encode("utf-8")
        found = set(data.translate(None, _PLAIN_BYTES)) - {0}
        latin = not found and "\n" not in joined and not _OTHER_THAN_VIETNAMESE.search(data)
    except UnicodeEncodeError:  # a lone surrogate
        latin = False
    first = None if latin else _UNCLEAN_CHAR.search(joined)
    at = [m.start() for m in _UNCLEAN_CHAR.finditer(joined, first.start())] if first else []
    for needle, offset in (("  ", 0), (" \0", 0), ("\0 ", 1)):  # plain substring searches, each only if needed
        if needle in joined:
            at += [m.start() + offset for m in re.finditer(needle, joined)]
    if joined.startswith(" "):
        at.append(0)
    if joined.endswith(" "):
        at.append(len(joined) - 1)
    dirty = np.zeros(len(cells), dtype=bool)
    if at:  # the cell of each position: the first whose end (the NUL after it) is not before it
        ends = np.cumsum(np.fromiter(map(len, cells), dtype=np.int64, count=len(cells)) + 1) - 1
        dirty[np.searchsorted(ends, np.asarray(at, dtype=np.int64), side="left")] = True
    if not latin and not unicodedata.is_normalized("NFC", joined):  # NUL never composes: each cell's NFC is its piece
        nfc = unicodedata.normalize("NFC", joined).split("\0")
        dirty |= np.fromiter((a != b for a, b in zip(cells.tolist(), nfc, strict=True)), dtype=bool, count=len(cells))
    if not dirty.any():
        return cells
    out = cells.copy()
    out[dirty] = [_cell_text(v) for v in cells[dirty]]
    return out


def _text_frame(frame: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame({c: _text_series(frame[c]) for c in frame.columns}, index=frame.index)


def _row_keys(raw: RawTable, i: int) -> list[str]:
    return [L.match_key(_cell_text(v)) for v in raw.cells.iloc[i].tolist()]


def _find_header(raw: RawTable, aliases: dict[str, str], max_scan: int = 30):
    """The row (0-based) with the most distinct known headers (at least two), or None."""
    best, best_hits = None, 0
    for i in range(min(max_scan, len(raw.cells))):
        hits = len({aliases[k] for k in _row_keys(raw, i) if k in aliases})
        if hits > best_hits:
            best, best_hits = i, hits
    if best is None or best_hits < 2:
        return None
    return best


def _header_rows(raw: RawTable, aliases: dict[str, str]) -> tuple[int, int] | None:
    """``(first, last)`` header rows: one row, or two when a title row spans sub-headers.

    Two rows when the row above the best one names columns the best row leaves blank (``Đơn vị``
    merged down, ``Kết quả đánh giá, xếp loại`` over ``Điểm | Xếp loại``), or when the row below
    holds only known headers (the sub-headers under merged titles).
    """
    h = _find_header(raw, aliases)
    if h is None:
        return None
    if h + 1 < len(raw.cells):
        below = [k for k in _row_keys(raw, h + 1) if k]
        if below and all(k in aliases for k in below) and not set(below) >= set(k for k in _row_keys(raw, h) if k):
            return h, h + 1
    if h > 0:
        above, here = _row_keys(raw, h - 1), _row_keys(raw, h)
        if any(a in aliases and not b for a, b in zip(above, here, strict=True)):
            return h - 1, h
    return h, h


def _header_texts(raw: RawTable, rows: tuple[int, int] | int, aliases: dict[str, str] | None = None) -> list[str]:
    """Each column's header: the lower header row's text, else the upper row's where it names a column."""
    first, last = (rows, rows) if isinstance(rows, int) else rows
    lower = [_cell_text(v) for v in raw.cells.iloc[last].tolist()]
    if first == last:
        return lower
    upper = [_cell_text(v) for v in raw.cells.iloc[first].tolist()]
    return [lo if lo and (L.match_key(lo) in (aliases or {}) or not up) else up for lo, up in zip(lower, upper, strict=True)]


# --------------------------------------------------------------------------------------------
# Value conversion, vectorised, every failure named
# --------------------------------------------------------------------------------------------

_NUMBER = re.compile(r"^[+-]?(\d+)([.,](\d+))?$")
_THOUSANDS = re.compile(r"^\d{1,3}(?:(\.)\d{3}(?:\.\d{3})*|(,)\d{3}(?:,\d{3})*|( )\d{3}(?: \d{3})*)$")


def parse_number(text: pd.Series, *, clean: bool = False) -> tuple[pd.Series, pd.Series]:
    """Parse numbers written with a decimal point or a Vietnamese decimal comma ("85,5").

    Returns ``(values, bad)``; an empty cell is NaN and not bad. Thousands separators are not
    accepted (a score never needs one), so "1.234,5" is rejected rather than misread. ``clean``: the
    cells are already text as :func:`load_raw` gives them.
    """
    s = text if clean else _text_series(text)
    codes, uniques = pd.factorize(s, use_na_sentinel=True)
    u = pd.Series(uniques, dtype=object)
    ok = np.append(u.str.match(_NUMBER.pattern).to_numpy(dtype=bool, na_value=False), False)
    empty = np.append((u == "").to_numpy(dtype=bool), True)
    values = np.append(pd.to_numeric(u.where(ok[:-1], "").str.replace(",", ".", regex=False).replace("", np.nan),
                                     errors="coerce").to_numpy(dtype=float), np.nan)
    return (pd.Series(values[codes], index=s.index, dtype=float),
            pd.Series(~ok[codes] & ~empty[codes], index=s.index))


def _count_value(text: str) -> tuple[float, str | None]:
    """One count cell: (value, problem code or None). Counts are whole numbers, so a group of three
    digits after a dot, comma or space is a thousands separator: ``2.000``, ``1,000``, ``1 000`` = 2000,
    1000, 1000. A whole number written with a decimal part (``1,00``, ``2.0``) could be a typo of
    either reading: an error, as is a mix of separators (``1.000,5``)."""
    if text is None or text == "":
        return np.nan, None
    t = text.lstrip("+")
    if t.isdigit():
        return float(int(t)), None
    if _THOUSANDS.match(t):
        return float(int(re.sub(r"[., ]", "", t))), None
    m = _NUMBER.match(t)
    if m is None:
        return np.nan, "input.count_ambiguous" if re.fullmatch(r"[\d.,  ]+", t) else "input.count_not_number"
    value = float(t.replace(",", "."))
    if value < 0 or not value.is_integer():
        return value, "input.count_range"
    return np.nan, "input.count_ambiguous"


def parse_count(text: pd.Series, *, clean: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """Counts with thousands separators read as Vietnamese and English offices write them.

    Returns ``(values, codes)``: values as float (NaN for empty or bad), and per cell the problem
    code or None, computed once per distinct text.

    >>> v, c = parse_count(pd.Series(["2.000", "1,000", "12", "", "1,00", "2.5", "-1"]))
    >>> v[:4].tolist(), c.tolist()
    ([2000.0, 1000.0, 12.0, nan], [None, None, None, None, 'input.count_ambiguous', 'input.count_range', 'input.count_range'])
    """
    at, uniques = pd.factorize(text if clean else _text_series(text), use_na_sentinel=True)
    pairs = [_count_value(u or "") for u in uniques] + [_count_value("")]  # once per distinct text; last: none
    values = np.array([p[0] for p in pairs], dtype=float)[at]
    codes = np.array([p[1] for p in pairs], dtype=object)[at]
    values[codes != None] = np.nan  # noqa: E711 - elementwise
    return values, codes


_DATE_TEXT = re.compile(r"^(\d{4})-(\d{2})-(\d{2})(?: 00:00:00)?$")
_EXCEL_EPOCH = dt.date(1899, 12, 30)


def _year_value(text: str) -> tuple[str, bool]:
    """A year typed into a date cell, as Excel stored it: the serial ``2026`` shows as 18/07/1905, and
    1/1/2026 is a date in 2026. Returns (text of the year, whether it came from a date)."""
    m = _DATE_TEXT.match(text or "")
    if not m:
        return text, False
    day = dt.date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    serial = (day - _EXCEL_EPOCH).days
    if 1945 <= serial <= 2100:
        return str(serial), True
    return str(day.year), True


def _parse_bool(text: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Yes/no cells, read once per distinct text: (values, bad)."""
    at, uniques = pd.factorize(text, use_na_sentinel=True)
    keys = L.match_keys([_cell_text(u) for u in uniques]).tolist() + [""]  # last: a missing cell
    yes = np.array([k in TRUE_WORDS for k in keys])[at]
    no = np.array([k in FALSE_WORDS for k in keys])[at]
    out = pd.Series(pd.arrays.BooleanArray(yes, ~(yes | no)), index=text.index)
    return out, pd.Series(~(yes | no), index=text.index)


def convert_columns(frame: pd.DataFrame, rows: np.ndarray, spec: dict[str, Column], headers: dict[str, str],
                    problems: Problems) -> tuple[pd.DataFrame, np.ndarray]:
    """Convert raw text columns to typed columns. Returns the frame and a per-row error mask."""
    bad_row = np.zeros(len(frame), dtype=bool)
    out = {}
    for name in frame.columns:
        col = spec.get(name)
        raw = frame[name]
        header = headers.get(name, name)
        text = raw  # cleaned text already (load_raw)
        if col is None or col.kind == "text":
            cells = text.to_numpy(dtype=object)
            blank = cells == ""
            out[name] = pd.Series(np.where(blank, None, cells) if blank.any() else cells, index=text.index, dtype=object)
            continue
        empty = text.to_numpy(dtype=object) == ""
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
            # numpy's stubs reject None as a np.where value, though it is valid for an object array
            out[name] = pd.Categorical(np.where(unknown | empty, None, codes),  # type: ignore[call-overload]
                                       dtype=L.LEVEL_DTYPE)
        elif col.kind == "count":
            v, codes = parse_count(text, clean=True)
            for code in ("input.count_not_number", "input.count_range", "input.count_ambiguous"):
                mask = codes == code
                if mask.any():
                    problems.add_many(rows[mask], header, text[mask], code)
                    bad_row |= mask
            arr = pd.array(np.where(np.isnan(v), 0, v).astype(np.int64), dtype="Int64")
            arr[np.isnan(v)] = pd.NA
            out[name] = arr
        elif col.kind in ("score", "months", "year"):
            if col.kind == "year":
                from_date = _map_unique(text, lambda t: bool(_DATE_TEXT.match(t or ""))).to_numpy(dtype=bool)
                if from_date.any():
                    first = int(np.argmax(from_date))
                    shown = _map_unique(text, lambda t: _year_value(t or "")[0])
                    problems.add("input.year_from_date", row=int(rows[first]), column=header,
                                 value=text.iloc[first], severity="warning", n=int(from_date.sum()),
                                 year=shown.iloc[first])
                    text = shown
            values, bad = parse_number(text, clean=True)
            bad = bad.to_numpy()
            v = values.to_numpy()
            if col.kind == "score":
                rng = ~bad & ~np.isnan(v) & ((v < 0) | (v > 100))
                msg_bad, msg_rng = "input.score_not_number", "input.score_range"
            elif col.kind == "months":
                rng = ~bad & ~np.isnan(v) & ((v < 0) | (v > 12))
                msg_bad, msg_rng = "input.months_not_number", "input.months_range"
            else:
                rng = ~bad & ~np.isnan(v) & ((v != np.floor(v)) | (v < 1945) | (v > 2100))
                msg_bad, msg_rng = "input.year_not_number", "input.year_range"
            for mask, msg in ((bad, msg_bad), (rng, msg_rng)):
                if mask.any():
                    problems.add_many(rows[mask], header, text[mask], msg)
                    bad_row |= mask
            v = np.where(bad | rng, np.nan, v)
            if col.kind == "year":
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
            at, uniques = pd.factorize(text.to_numpy(dtype=object))
            known = np.array([POPULATION_LOOKUP.get(k) for k in L.match_keys(uniques)] + [None], dtype=object)
            unknown = np.array([p is None and u != "" for p, u in zip(known[:-1], uniques, strict=True)] + [False])
            bad = unknown[at]
            if bad.any():
                problems.add_many(rows[bad], header, text[bad], "input.population_unknown")
                bad_row |= bad
            categories = sorted({k for k in known if k is not None})  # as astype("category") orders them
            position = np.array([categories.index(k) if k is not None else -1 for k in known], dtype=np.int64)
            out[name] = pd.Series(pd.Categorical.from_codes(position[at], categories=categories), index=text.index)
    return pd.DataFrame(out, index=frame.index), bad_row


def _is_total_label(key: str) -> bool:
    """``Tổng cộng``, ``Cộng khối A``, ``Toàn Sở``, ``Total``… (folded); not ``Tổng cục Thuế`` or ``Cộng đồng``."""
    return key in TOTAL_LABELS or bool(_TOTAL_PATTERN.match(key))


_TOTAL_PATTERN = re.compile(r"^(?:(?:tong cong|tong so|tong hop|cong chung|tong chung|sub ?total|total)\b"
                            r"|cong\b(?! dong| hoa| tac| doan| san| thuong| ty)"
                            r"|toan (?:so|tinh|nganh|huyen|xa|khoi|don vi|co quan|thanh pho|bo|cuc|vien)\b)")
_SECTION_NUMBER = re.compile(r"^(?:[IVXLC]+|[A-Z])\.?$")
_SIGNATURE = re.compile(r"nguoi lap|lap bieu|thu truong|giam doc|chu tich|truong phong|ky ten|ky ghi ro|"
                        r"ghi ro ho ten|dong dau|ngay \S* ?thang|noi nhan|xac nhan|ghi chu|ke toan|tm |kt |"
                        r"^\W*$|^\(?ky\b")


def _column_numbering_rows(text: pd.DataFrame, blank: np.ndarray, look: int = 3) -> np.ndarray:
    """Rows just under the header that only number the columns: ``(1) (2) (3) …`` or ``1 2 3 …``.

    >>> t = pd.DataFrame({"a": ["(1)", "A1"], "b": ["(2)", "x"], "c": ["(3)", "HTXSNV"]})
    >>> _column_numbering_rows(t, np.zeros(2, dtype=bool)).tolist()
    [True, False]
    """
    out = np.zeros(len(text), dtype=bool)
    for i in np.flatnonzero(~blank)[:look]:
        cells = [v.strip("() ") for v in text.iloc[i].tolist() if v != ""]
        if len(cells) >= 3 and all(v.isdigit() for v in cells):
            numbers = [int(v) for v in cells]
            out[i] = numbers == list(range(numbers[0], numbers[0] + len(numbers)))
    return out


def fullmatches(cells: np.ndarray, pattern: str, *, first: bool = False) -> np.ndarray:
    r"""Which cells ``pattern`` matches whole (``Series.str.fullmatch``), by one search of the joined cells.

    Cells are text as :func:`load_raw` gives it, which holds no line break: joined by line breaks,
    a match of ``^(?:pattern)$`` line by line is a match of one whole cell. ``first``: stop at the
    first match (enough to tell whether any matches). Cells that are not such text are matched one
    by one.

    >>> fullmatches(np.array(["1", "II", "", "2."], dtype=object), r"\d+\.?").tolist()
    [True, False, False, True]
    """
    out = np.zeros(len(cells), dtype=bool)
    if not len(cells):
        return out
    try:
        joined = "\n".join(cells)
    except TypeError:
        joined = None
    if joined is None or joined.count("\n") != len(cells) - 1 or "\r" in joined:
        compiled = re.compile(pattern)
        out[:] = [isinstance(v, str) and compiled.fullmatch(v) is not None for v in cells]
        return out
    # each match starts at the line break before its cell (a literal the search skips to quickly); the
    # position of that line break in "\n" + joined is the cell's start in joined
    matches = re.compile(f"\n(?:{pattern})(?=\n)", re.MULTILINE).finditer("\n" + joined + "\n")
    at = [m.start() for m in ([next(matches, None)] if first else matches) if m is not None]
    if first and at:  # any match will do: the first cell that fully matches
        out[next(i for i, v in enumerate(cells) if re.fullmatch(pattern, v))] = True
    elif at:  # the cell of each match: the first whose end (the line break after it) is not before the match
        ends = np.cumsum(np.fromiter(map(len, cells), dtype=np.int64, count=len(cells)) + 1) - 1
        out[np.searchsorted(ends, np.asarray(at, dtype=np.int64), side="left")] = True
    return out


def _all_cells_match(text: pd.DataFrame, pattern: re.Pattern) -> np.ndarray:
    """Rows whose every filled cell matches ``pattern`` (folded), computed once per distinct value."""
    ok = np.ones(len(text), dtype=bool)
    for c in text.columns:
        hit = _map_unique(text[c], lambda v: not v or bool(pattern.search(L.match_key(v)))).to_numpy(dtype=bool)
        ok &= hit
    return ok


def _ranges(rows) -> str:
    """``5, 7–9, 12``: row numbers as short ranges."""
    rows = sorted(int(r) for r in rows)
    parts, start = [], None
    for i, r in enumerate(rows):
        if start is None:
            start = r
        if i + 1 == len(rows) or rows[i + 1] != r + 1:
            parts.append(str(start) if start == r else f"{start}–{r}")
            start = None
    return ", ".join(parts)


def extract_table(raw: RawTable, aliases: dict[str, str], spec: dict[str, Column], kind: str, problems: Problems):
    """Find the header, map it, and return (frame of raw cells with canonical names, rows, headers).

    Blank rows go; a totals or section row (``Tổng cộng``, ``Cộng khối A``, ``Toàn Sở``, a total
    label or a Roman numeral in the STT column) goes with a warning; a row with none of the required
    values goes with a warning only when it reads as a title, note or signature line — a row that
    holds a name, a score or a rating is an error that names it.
    """
    for code, row, column, value, severity, params in raw.notes:
        problems.add(code, row=row, column=column, value=value, severity=severity, **params)
    if raw.cells.shape[0] == 0 or not any((raw.cells[c].to_numpy(dtype=object) != "").any() for c in raw.cells.columns):
        problems.add("input.empty_sheet" if raw.sheet else "input.empty_file", kind=kind)
        problems.raise_if_errors()
    found = _header_rows(raw, aliases)
    if found is None:
        expected = ", ".join(f"{DISPLAY.get(c.name, c.name)!r} ({c.name})" for c in spec.values() if c.required)
        problems.add("input.no_header", expected=expected)
        raise InputError(problems.frame())
    first, h = found
    header_cells = _header_texts(raw, found, aliases)
    names: dict[int, str] = {}  # column position → canonical name
    headers: dict[str, str] = {}  # canonical name → header text
    seen: dict[str, str] = {}
    for j, text in enumerate(header_cells):
        if text == "":
            continue
        canon = aliases.get(L.match_key(text))
        name = canon if canon is not None else text
        if name == "department" and "department" in seen:
            name = text
        if name in seen:
            if header_cells.index(text) < j and first != h:  # one title merged over several columns
                continue
            problems.add("input.two_columns", row=int(raw.rows[h]), column=text, value=text,
                         name=name, first=seen[name], second=text)
            continue
        seen[name] = text
        names[j] = name
        headers[name] = text
    if "department" in seen and "unit_id" not in seen:  # "Phòng ban" alone is the unit
        j = next(j for j, n in names.items() if n == "department")
        names[j] = "unit_id"
        headers["unit_id"] = headers.pop("department")
    elif "department" in seen:
        problems.add("input.unit_is_agency", row=int(raw.rows[h]), column=headers["unit_id"], severity="warning",
                     agency=headers["unit_id"], department=headers["department"])
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
                first_filled = int(np.argmax(filled))
                problems.add("input.value_without_header", row=int(rows[first_filled]),
                             column=_column_letters(j + 1), value=col_text.iloc[first_filled])
    text = body[list(names)].rename(columns=names)
    empty = pd.DataFrame({c: text[c].to_numpy(dtype=object) == "" for c in text.columns}, index=text.index)
    blank = empty.all(axis=1).to_numpy()
    # totals and sections first: "Tổng cộng" in the unit column, a total label or section number in STT
    total = np.zeros(len(text), dtype=bool)
    no_id = empty["person_id"].to_numpy() if "person_id" in text.columns else np.ones(len(text), dtype=bool)
    for col in ("unit_id", "row_no", "name"):
        if col in text.columns:
            # a totals row has no person id and its label is a word: look only there (names and numbers are many)
            look = np.flatnonzero(no_id | (col == "unit_id"))
            if col == "row_no":
                look = look[~fullmatches(text[col].to_numpy(dtype=object)[look], r"\d*\.?")]
            if len(look):
                values = text[col].to_numpy(dtype=object)[look]
                at, uniques = pd.factorize(values)
                total[look] |= np.array([_is_total_label(k) for k in L.match_keys(uniques)], dtype=bool)[at]
    if "row_no" in text.columns:
        row_no = text["row_no"].to_numpy(dtype=object)
        if fullmatches(row_no, r"\d+\.?", first=True).any():  # a numbered list: "I", "A." are sections
            total |= fullmatches(row_no, _SECTION_NUMBER.pattern)
    total &= ~blank
    numbering = _column_numbering_rows(text, blank)  # "(1) (2) (3) …" under a printed form's header
    for i in np.flatnonzero(numbering):
        c, v = next((c, v) for c, v in text.iloc[i].items() if v != "")
        problems.add("input.row_skipped_column_numbers", row=int(rows[i]), column=headers[c], value=v,
                     severity="warning")
    for i in np.flatnonzero(total):
        col = next(c for c in ("unit_id", "row_no", "name") if c in text.columns and text[c].iloc[i] != "")
        problems.add("input.row_skipped_total", row=int(rows[i]), column=headers[col], value=text[col].iloc[i],
                     severity="warning")
    # signature and note lines ("Người lập biểu", "Thủ trưởng đơn vị", "Ghi chú: …") under the table
    suspect = ~blank & ~total & empty[[c.name for c in spec.values() if c.required and c.name in text.columns]
                                       ].any(axis=1).to_numpy()
    if "level" in text.columns:
        suspect |= ~blank & ~total & L.level_codes(text["level"])[1] & text["level"].ne("").to_numpy()
    signature = np.zeros(len(text), dtype=bool)
    if suspect.any():  # only rows that are not a complete person's row can be a signature line
        signature[suspect] = _all_cells_match(text[suspect], _SIGNATURE)
    if signature.any():  # below the first signature line, an incomplete row is the signer's name or title
        required_cols = [c.name for c in spec.values() if (c.required or c.name == "unit_id") and c.name in text.columns]
        below = np.arange(len(text)) > np.argmax(signature)
        signature |= below & ~blank & ~total & (suspect | empty[required_cols].all(axis=1).to_numpy())
    total |= numbering
    for i in np.flatnonzero(signature):
        c, v = next((c, v) for c, v in text.iloc[i].items() if v != "")
        problems.add("input.row_skipped_no_required", row=int(rows[i]), column=headers[c], value=v, severity="warning")
    total |= signature
    required = [c.name for c in spec.values() if (c.required or c.name == "unit_id") and c.name in text.columns]
    footer = ~blank & ~total & empty[required].all(axis=1).to_numpy()
    person_columns = [c for c in ("name", "score", "level", "person_id") if c in text.columns and c not in required]
    for i in np.flatnonzero(footer):
        filled = [(c, v) for c, v in text.iloc[i].items() if v != ""]
        signed = all(_SIGNATURE.search(L.match_key(v)) for c, v in filled)
        if any(c in person_columns for c, _ in filled) and not signed:
            c, v = next((c, v) for c, v in filled if c in person_columns)
            problems.add("input.person_row_incomplete", row=int(rows[i]), column=headers[c], value=v,
                         missing=", ".join(headers.get(r, r) for r in required))
        else:
            problems.add("input.row_skipped_no_required", row=int(rows[i]), column=headers[filled[0][0]],
                         value=filled[0][1], severity="warning")
    keep = ~blank & ~footer & ~total
    if raw.hidden_rows:
        hidden = np.isin(rows, np.asarray(raw.hidden_rows)) & keep
        if hidden.any():
            problems.add("input.hidden_rows", row=int(rows[hidden][0]), severity="warning",
                         n=int(hidden.sum()), rows=_ranges(rows[hidden]))
    return text[keep].reset_index(drop=True), rows[keep], headers


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


def read_roster(source, sheet: str | None = None, *, year: int | None = None, errors: str = "raise",
                merge_similar_units: bool = False) -> pd.DataFrame:
    """Read a roster (one row per person) from CSV, XLSX or a DataFrame.

    Parameters
    ----------
    source : path or DataFrame
    sheet : sheet name for workbooks (default: the first sheet)
    year : fills ``year`` when the file has no year column
    merge_similar_units : take unit (and task group) names equal up to case and diacritics
        (``Phòng Nội vụ`` / ``PHÒNG NỘI VỤ`` / ``Phong Noi vu``) as one, under the most used spelling;
        either way a warning names them
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
    for col in ("unit_id", "department", "task_group"):
        if col in frame.columns:  # factorised once: the similar names, and the categorical of a group key
            codes, uniques = pd.factorize(frame[col].to_numpy(dtype=object), sort=True)
            target = similar_codes(codes, uniques, rows, headers.get(col, col), problems, merge_similar_units)
            if target is not None:
                frame[col] = pd.Series(np.where(codes >= 0, np.asarray(uniques, dtype=object)[target][np.maximum(codes, 0)],
                                                None), index=frame.index, dtype=object)
            elif col in CATEGORY_COLUMNS:
                frame[col] = pd.Categorical.from_codes(codes, categories=uniques)
    # duplicates: one person once a year
    dup = np.zeros(len(frame), dtype=bool)
    if not frame["person_id"].is_unique:  # the usual file: every id once, so no pair with the year repeats
        dup = frame[["person_id", "year"]].duplicated(keep=False).to_numpy() & frame["person_id"].notna().to_numpy()
    if dup.any():
        first_row = frame[dup].groupby(["person_id", "year"], dropna=False)["source_row"].transform("min")
        for r, pid, fr in zip(frame.loc[dup, "source_row"], frame.loc[dup, "person_id"], first_row, strict=True):
            if r != fr:
                problems.add("input.person_twice", row=int(r), column=headers.get("person_id", "person_id"),
                             value=pid, first_row=int(fr))
                bad_row[np.flatnonzero(frame["source_row"].to_numpy() == r)] = True
    for col in CATEGORY_COLUMNS:  # group keys: integer codes make every grouping fast
        if col in frame.columns and not isinstance(frame[col].dtype, pd.CategoricalDtype):
            frame[col] = frame[col].astype("category")
    order = ["source_row"] + [c for c in ROSTER_COLUMNS if c in frame.columns]
    frame = frame[order + [c for c in frame.columns if c not in order]]
    frame.attrs["headers"] = headers  # canonical name → the header as the user wrote it
    frame.attrs["source"] = {"file": raw.file, "sheet": raw.sheet}
    return finish_read(frame, bad_row, problems, errors)


def _year_from_title(raw: RawTable, problems: Problems) -> int | None:
    """The assessment year from a title line above the header ("… NĂM 2026"), if there is no year column."""
    header = _header_rows(raw, ROSTER_ALIASES)
    if header is None:
        return None
    if any(ROSTER_ALIASES.get(L.match_key(v)) == "year" for v in _header_texts(raw, header, ROSTER_ALIASES)):
        return None
    found: dict[int, tuple[int, str]] = {}
    for i in range(header[0]):
        for v in raw.cells.iloc[i].tolist():
            for m in re.finditer(r"\bnam (\d{4})\b", L.match_key(_cell_text(v))):
                found.setdefault(int(m.group(1)), (int(raw.rows[i]), _cell_text(v)))
    if len(found) != 1:
        return None
    (yr, (row, text)), = found.items()
    problems.add("input.year_from_title", row=row, value=text, severity="warning", year=yr)
    return yr


def similar_names(values: pd.Series, rows: np.ndarray, header: str, problems: Problems, merge: bool) -> pd.Series:
    """Names equal up to case, diacritics and punctuation: a warning naming them; merged when asked.

    >>> p = Problems()
    >>> similar_names(pd.Series(["Phòng Nội vụ", "PHÒNG NỘI VỤ", "Phong Noi vu", "Phòng Nội vụ"]), np.arange(2, 6),
    ...               "Đơn vị", p, merge=True).tolist()
    ['Phòng Nội vụ', 'Phòng Nội vụ', 'Phòng Nội vụ', 'Phòng Nội vụ']
    >>> p.records[0]["params"]["names"]
    "'Phòng Nội vụ', 'PHÒNG NỘI VỤ', 'Phong Noi vu'"
    """
    codes, uniques = pd.factorize(values.astype(object), use_na_sentinel=True)
    target = similar_codes(codes, uniques, rows, header, problems, merge)
    if target is None:
        return values
    merged = np.asarray(uniques, dtype=object)[target]
    out = np.where(codes >= 0, merged[np.maximum(codes, 0)], None)
    return pd.Series(out, index=values.index, dtype=object)


def similar_codes(codes: np.ndarray, uniques, rows: np.ndarray, header: str, problems: Problems,
                  merge: bool) -> np.ndarray | None:
    """:func:`similar_names` on factorised values (``codes`` into ``uniques``, −1 for none): the
    warnings, and when merging the unique each unique becomes (None when nothing changes)."""
    if len(uniques) < 2:
        return None
    keys = pd.Series(L.match_keys(uniques), dtype=object)
    if not keys.duplicated().any():
        return None
    used = np.bincount(codes[codes >= 0], minlength=len(uniques))
    first_row = np.full(len(uniques), np.iinfo(np.int64).max)
    np.minimum.at(first_row, codes[codes >= 0], np.asarray(rows)[codes >= 0])
    target = np.arange(len(uniques))
    for _, idx in keys.groupby(keys).groups.items():
        idx = np.asarray(idx)
        if len(idx) < 2:
            continue
        idx = idx[np.argsort(first_row[idx], kind="stable")]
        main = idx[np.argmax(used[idx])]
        names = ", ".join(repr(str(uniques[i])) for i in idx)
        problems.add("input.similar_units_merged" if merge else "input.similar_units", row=int(first_row[idx[0]]),
                     column=header, value=str(uniques[idx[0]]), severity="warning", names=names,
                     name=str(uniques[main]))
        if merge:
            target[idx] = main
    return target if merge else None


def read_counts(source, sheet: str | None = None, *, errors: str = "raise", merge_similar_units: bool = False) -> pd.DataFrame:
    """Read a counts table (one row per group, counts per level) from CSV, XLSX or a DataFrame.

    Count columns become ``n_excellent, n_good, n_completed, n_not_completed`` (and
    ``n_not_rated``), nullable integers: an empty cell is *unknown* (a warning), never zero. Columns
    named ``pct_*``, ``source*`` or ``note`` are kept as information; every other column is a group
    key. A ``Tổng số`` column must equal the sum of the levels; totals and subtotal rows are left
    out with a warning; two rows for one group and a row with counts but no unit are errors.

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
    for col in ("unit_id", "department", "task_group"):
        if col in frame.columns:
            frame[col] = similar_names(frame[col], rows, headers.get(col, col), problems, merge_similar_units)
    bad_row |= _reconcile_counts(frame, rows, headers, problems)
    frame.attrs["headers"] = headers
    frame.attrs["source"] = {"file": raw.file, "sheet": raw.sheet}
    return finish_read(frame, bad_row, problems, errors)


def _reconcile_counts(frame: pd.DataFrame, rows: np.ndarray, headers: dict[str, str], problems: Problems) -> np.ndarray:
    """Errors for rows that do not add up, rows with counts and no unit, and groups listed twice."""
    bad = np.zeros(len(frame), dtype=bool)
    levels = [c for c in COUNT_LEVELS if c in frame.columns]
    if "n_total" in frame.columns and levels:
        parts = frame[levels].astype("Int64").fillna(0).sum(axis=1).to_numpy()
        total = frame["n_total"].to_numpy(dtype=float, na_value=np.nan)
        known = ~np.isnan(total)
        # more people than the levels count: without a not-rated column the difference may be staff not
        # rated (under 6 months worked) — a warning that names it; fewer than the levels is impossible
        complete = "n_not_rated" in levels
        off = known & ((total != parts) if complete else (total < parts))
        more = known & ~off & (total > parts)
        columns = " + ".join(headers[c] for c in levels)
        for i in np.flatnonzero(off):
            problems.add("input.total_mismatch", row=int(rows[i]), column=headers["n_total"], value=int(total[i]),
                         total=int(total[i]), parts=int(parts[i]), columns=columns)
        for i in np.flatnonzero(more):
            problems.add("input.total_exceeds_levels", row=int(rows[i]), column=headers["n_total"],
                         value=int(total[i]), severity="warning", total=int(total[i]), parts=int(parts[i]),
                         columns=columns, gap=int(total[i] - parts[i]))
        bad |= off
    if "unit_id" in frame.columns:
        blank = frame["unit_id"].isna().to_numpy()
        for i in np.flatnonzero(blank):
            problems.add("input.unit_blank", row=int(rows[i]), column=headers["unit_id"], value="")
        bad |= blank
        keys = [c for c in group_columns(frame) if c in frame.columns] + (["department"] if "department" in frame.columns else [])
        dup = frame.duplicated(keys, keep=False).to_numpy() & ~blank
        if dup.any():
            first = frame[dup].groupby(keys, dropna=False, sort=False)["source_row"].transform("min").to_numpy()
            for i, fr in zip(np.flatnonzero(dup), first, strict=True):
                if rows[i] != fr:
                    problems.add("input.group_twice", row=int(rows[i]), column=headers["unit_id"],
                                 value=frame["unit_id"].iloc[i], first_row=int(fr))
                    bad[i] = True
    return bad


def group_columns(counts: pd.DataFrame) -> list[str]:
    """The group-key columns of a counts table."""
    return [c for c in counts.columns
            if c not in COUNT_LEVELS and c != "source_row"
            and not any(L.match_key(c).startswith(p) or c.startswith(p) for p in COUNT_INFO_PREFIXES)]


def detect_kind(source, sheet: str | None = None) -> str:
    """'roster' or 'counts', from the header row."""
    raw = load_raw(source, sheet)
    counts_h = _header_rows(raw, COUNT_ALIASES)
    if counts_h is not None:
        keys = {COUNT_ALIASES.get(L.match_key(v)) for v in _header_texts(raw, counts_h, COUNT_ALIASES)}
        if keys & set(COUNT_LEVELS):
            return "counts"
    return "roster"


def read_any(data, sheet: str | None = None, *, merge_similar_units: bool = False):
    """A roster or counts table in canonical columns: ``(frame, kind, problems)``.

    ``data`` is a path (read and validated; ``kind`` from its header row) or a DataFrame (taken as
    it is when its columns are already canonical, else read like a file). ``problems`` is the table
    of warnings, or None for a canonical DataFrame.
    """
    if isinstance(data, pd.DataFrame):
        if "n_excellent" in data.columns:
            return data, "counts", None
        if {"level", "unit_id"} <= set(data.columns):
            return data, "roster", None
    elif not isinstance(data, (str, os.PathLike, RawTable)):
        raise TypeError("data must be a DataFrame or a path to a CSV/XLSX file")
    raw = load_raw(data, sheet)
    kind = detect_kind(raw)
    reader = read_counts if kind == "counts" else read_roster
    frame = reader(raw, merge_similar_units=merge_similar_units)
    return frame, kind, frame.evalkit.problems
