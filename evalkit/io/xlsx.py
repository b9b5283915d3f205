"""A small, fast .xlsx writer for report tables: rows streamed in chunks as XML, a handful of styles.

openpyxl writes about 30,000 cells a second; a 33,000-person roster written back with its
calibration is half a million cells. This writer builds each column's cell XML once per chunk of
rows (numbers as numbers, text as inline strings) and streams it into the zip, so time and memory
grow with the chunk, not the table. It writes what an office needs to print a report: a bold
frozen header row repeated on every page, a filter on every table, column widths, landscape A4
fitted to the page width, fills for rows that hold or break a rule, and free rows (a signature
block) after a table.

>>> import pandas as pd, tempfile, os, openpyxl
>>> path = os.path.join(tempfile.mkdtemp(), "t.xlsx")
>>> _ = write_xlsx(path, [Sheet("Bảng", pd.DataFrame({"a": [1, 2], "b": ["x & y", None]}))])
>>> ws = openpyxl.load_workbook(path)["Bảng"]
>>> [[c.value for c in row] for row in ws.iter_rows()], ws.auto_filter.ref, ws.print_title_rows
([['a', 'b'], [1, 'x & y'], [2, None]], 'A1:B3', '$1:$1')
"""

from __future__ import annotations

import datetime as dt
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from xml.sax.saxutils import escape

import numpy as np
import pandas as pd

#: Style ids in styles.xml (cellXfs order).
PLAIN, HEADER, GREEN, RED, WRAP, VERDICT_OK, VERDICT_BAD, VERDICT_NONE, ITALIC_RIGHT, BOLD_CENTER, ITALIC_CENTER = range(11)
_CHUNK = 5000
_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


@dataclass
class Sheet:
    """One table: its title, the frame, styles per row (None: plain), widths, rows to add after it."""

    title: str
    frame: pd.DataFrame
    row_styles: np.ndarray | None = None  #: a style id per data row, or None for plain rows
    widths: list[float] | None = None
    wrap_columns: tuple[int, ...] = ()  #: columns whose plain cells wrap (the summary's values)
    first_row_style: dict[int, int] = field(default_factory=dict)  #: column → style of the first data row
    after: list[list[tuple[object, int]]] = field(default_factory=list)  #: extra rows of (value, style)
    empty_text: str | None = None


def _letters(n: int) -> list[str]:
    out = []
    for j in range(1, n + 1):
        s = ""
        while j:
            j, r = divmod(j - 1, 26)
            s = chr(65 + r) + s
        out.append(s)
    return out


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value):
    """Make a text cell inert in a spreadsheet (no formula, no DDE): prefix it with a quote.

    >>> neutralise("=HYPERLINK(\\"http://x\\")"), neutralise("-5 days"), neutralise(-5)
    ('\\'=HYPERLINK("http://x")', "'-5 days", -5)
    """
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def _text_xml(value: str) -> str:
    value = escape(neutralise(value))
    if _ILLEGAL.search(value):
        value = _ILLEGAL.sub("", value)
    return f' t="inlineStr"><is><t xml:space="preserve">{value}</t></is></c>'


def _fragments(col: pd.Series) -> list:
    """Per cell, the XML after ``<c r="A1"`` (without the style), or None for an empty cell."""
    kind = col.dtype.kind if isinstance(col.dtype, np.dtype) else ""
    if kind in ("i", "u"):
        return [f"><v>{v}</v></c>" for v in col.tolist()]
    if kind == "b":
        return [f' t="b"><v>{int(v)}</v></c>' for v in col.tolist()]
    if kind == "f":
        return [None if v != v or v in (np.inf, -np.inf) else f"><v>{v!r}</v></c>" for v in col.tolist()]
    if isinstance(col.dtype, pd.CategoricalDtype):
        cats = [_value_xml(v) for v in col.cat.categories]
        return [None if c < 0 else cats[c] for c in col.cat.codes.tolist()]
    cache: dict = {}
    out = []
    for v in col.astype(object).tolist():
        try:
            frag = cache[v]
        except (KeyError, TypeError):
            frag = _value_xml(v)
            try:
                cache[v] = frag
            except TypeError:
                pass
        out.append(frag)
    return out


def _value_xml(v) -> str | None:
    if v is None or v is pd.NA or v is pd.NaT or (isinstance(v, float) and v != v):
        return None
    if isinstance(v, (bool, np.bool_)):
        return f' t="b"><v>{int(v)}</v></c>'
    if isinstance(v, (int, np.integer)):
        return f"><v>{int(v)}</v></c>"
    if isinstance(v, (float, np.floating)):
        return None if not np.isfinite(v) else f"><v>{float(v)!r}</v></c>"
    return _text_xml(str(v))


def _height(texts: list[str], widths: list[float]) -> str:
    """The ``ht`` attribute for a row whose wrapped texts need more than one line ("" if one line does)."""
    lines = max((-(-len(t) // max(int(w) - 2, 1)) for t, w in zip(texts, widths, strict=False) if t), default=1)
    return f' ht="{15 * lines}" customHeight="1"' if lines > 1 else ""


def _sheet_xml(sheet: Sheet, write) -> str:
    """Write one worksheet's XML through ``write``; returns the table's range (for the filter)."""
    df = sheet.frame
    ncol = max(df.shape[1], 1)
    letters = _letters(max(ncol, 2))
    nrow = len(df) + 1
    ref = f"A1:{letters[ncol - 1]}{max(nrow, 2)}"
    write(_XML + f'<worksheet xmlns="{_MAIN}" xmlns:r="{_OFFICE_REL}">'
          '<sheetPr><pageSetUpPr fitToPage="1"/></sheetPr>'
          f'<dimension ref="{ref}"/>'
          '<sheetViews><sheetView workbookViewId="0"><pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" '
          'state="frozen"/><selection pane="bottomLeft" activeCell="A2" sqref="A2"/></sheetView></sheetViews>'
          '<sheetFormatPr defaultRowHeight="15"/>')
    if sheet.widths:
        write("<cols>" + "".join(f'<col min="{j}" max="{j}" width="{w:g}" customWidth="1"/>'
                                 for j, w in enumerate(sheet.widths, start=1)) + "</cols>")
    write("<sheetData>")
    widths = sheet.widths or [10] * ncol
    head = "".join(f'<c r="{letters[j]}1" s="{HEADER}"{_text_xml(str(h))}' for j, h in enumerate(df.columns))
    write(f'<row r="1"{_height([str(h) for h in df.columns], widths)}>{head}</row>')
    wrap = set(sheet.wrap_columns)
    heights = {}
    if wrap and len(df) <= 20000:  # wrapped text: rows as tall as their text (no program fits them on opening)
        for i in range(len(df)):
            heights[i + 2] = _height([str(df.iloc[i, j]) if j in wrap else "" for j in range(df.shape[1])], widths)
    for start in range(0, len(df), _CHUNK):
        part = df.iloc[start:start + _CHUNK]
        cols = [_fragments(part.iloc[:, j]) for j in range(part.shape[1])]
        styles = sheet.row_styles[start:start + _CHUNK] if sheet.row_styles is not None else None
        out = []
        for i, frags in enumerate(zip(*cols)):
            rn = start + i + 2
            style = None if styles is None else styles[i]
            cells = []
            for j, f in enumerate(frags):
                s = style
                if rn == 2 and j in sheet.first_row_style:
                    s = sheet.first_row_style[j]
                elif s is None and j in wrap:
                    s = WRAP
                if f is None:
                    if s is not None:
                        cells.append(f'<c r="{letters[j]}{rn}" s="{s}"/>')
                    continue
                cells.append(f'<c r="{letters[j]}{rn}"' + (f' s="{s}"' if s is not None else "") + f)
            out.append(f'<row r="{rn}"{heights.get(rn, "")}>{"".join(cells)}</row>')
        write("".join(out))
    rn = nrow
    extra = ([[(sheet.empty_text, PLAIN)]] if not len(df) and sheet.empty_text else []) + sheet.after
    for row in extra:
        rn += 1
        cells = []
        for j, (v, s) in enumerate(row):
            frag = _value_xml(v)
            if frag is not None:
                cells.append(f'<c r="{letters[j]}{rn}" s="{s}"{frag}')
        write(f'<row r="{rn}">{"".join(cells)}</row>')
    write("</sheetData>")
    write(f'<autoFilter ref="{ref}"/>')
    write('<pageMargins left="0.4" right="0.4" top="0.6" bottom="0.6" header="0.3" footer="0.3"/>'
          '<pageSetup paperSize="9" orientation="landscape" fitToWidth="1" fitToHeight="0"/>'
          "</worksheet>")
    return ref


_STYLES = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">
<fonts count="3"><font><sz val="11"/><name val="Calibri"/><family val="2"/></font>
<font><b/><sz val="11"/><name val="Calibri"/><family val="2"/></font>
<font><i/><sz val="11"/><name val="Calibri"/><family val="2"/></font></fonts>
<fills count="5"><fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/></fill>
<fill><patternFill patternType="solid"><fgColor rgb="FFEFEFEF"/><bgColor indexed="64"/></patternFill></fill>
<fill><patternFill patternType="solid"><fgColor rgb="FFD9EAD3"/><bgColor indexed="64"/></patternFill></fill>
<fill><patternFill patternType="solid"><fgColor rgb="FFF4CCCC"/><bgColor indexed="64"/></patternFill></fill></fills>
<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>
<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>
<cellXfs count="11">
<xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>
<xf numFmtId="0" fontId="1" fillId="2" borderId="0" xfId="0"
    applyFont="1" applyFill="1" applyAlignment="1"><alignment vertical="top" wrapText="1"/></xf>
<xf numFmtId="0" fontId="0" fillId="3" borderId="0" xfId="0" applyFill="1"/>
<xf numFmtId="0" fontId="0" fillId="4" borderId="0" xfId="0" applyFill="1"/>
<xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"
    applyAlignment="1"><alignment vertical="top" wrapText="1"/></xf>
<xf numFmtId="0" fontId="1" fillId="3" borderId="0" xfId="0"
    applyFont="1" applyFill="1" applyAlignment="1"><alignment vertical="top" wrapText="1"/></xf>
<xf numFmtId="0" fontId="1" fillId="4" borderId="0" xfId="0"
    applyFont="1" applyFill="1" applyAlignment="1"><alignment vertical="top" wrapText="1"/></xf>
<xf numFmtId="0" fontId="1" fillId="2" borderId="0" xfId="0"
    applyFont="1" applyFill="1" applyAlignment="1"><alignment vertical="top" wrapText="1"/></xf>
<xf numFmtId="0" fontId="2" fillId="0" borderId="0" xfId="0"
    applyFont="1" applyAlignment="1"><alignment horizontal="right"/></xf>
<xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0"
    applyFont="1" applyAlignment="1"><alignment horizontal="center"/></xf>
<xf numFmtId="0" fontId="2" fillId="0" borderId="0" xfId="0"
    applyFont="1" applyAlignment="1"><alignment horizontal="center"/></xf>
</cellXfs>
<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>
</styleSheet>"""


_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_SSML = "application/vnd.openxmlformats-officedocument.spreadsheetml"
_OFFICE_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PKG_REL = "http://schemas.openxmlformats.org/package/2006/relationships"
_XML = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'


def _quote(title: str) -> str:
    return "'" + title.replace("'", "''") + "'"


def _absolute(ref: str) -> str:
    """``"A1:C9"`` → ``"$A$1:$C$9"``."""
    parts = []
    for cell in ref.split(":"):
        m = re.fullmatch(r"([A-Z]+)(\d+)", cell)
        if m is None:
            raise ValueError(f"not a cell reference: {cell!r} in {ref!r}")
        parts.append(f"${m.group(1)}${m.group(2)}")
    return ":".join(parts)


def write_xlsx(path, sheets: list[Sheet], creator: str = "evalkit") -> Path:
    """Write ``sheets`` to ``path`` (see the module docstring)."""
    path = Path(path)
    titles: list[str] = []
    seen: set[str] = set()
    for s in sheets:
        t = re.sub(r"[\[\]:*?/\\]", "_", str(s.title))[:31] or "Sheet"
        while t in seen:
            t = t[:28] + f"_{len(seen)}"
        seen.add(t)
        titles.append(t)
    refs = []
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as z:
        for k, sheet in enumerate(sheets, start=1):
            with z.open(f"xl/worksheets/sheet{k}.xml", "w", force_zip64=True) as f:
                refs.append(_sheet_xml(sheet, lambda text, f=f: f.write(text.encode("utf-8"))))
        n = len(sheets)
        overrides = "".join(f'<Override PartName="/xl/worksheets/sheet{k}.xml" ContentType="{_SSML}.worksheet+xml"/>'
                            for k in range(1, n + 1))
        z.writestr("[Content_Types].xml",
                   _XML + '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
                   '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
                   '<Default Extension="xml" ContentType="application/xml"/>'
                   f'<Override PartName="/xl/workbook.xml" ContentType="{_SSML}.sheet.main+xml"/>' + overrides
                   + f'<Override PartName="/xl/styles.xml" ContentType="{_SSML}.styles+xml"/>'
                   '<Override PartName="/docProps/core.xml" '
                   'ContentType="application/vnd.openxmlformats-package.core-properties+xml"/></Types>')
        z.writestr("_rels/.rels",
                   _XML + f'<Relationships xmlns="{_PKG_REL}">'
                   f'<Relationship Id="rId1" Type="{_OFFICE_REL}/officeDocument" Target="xl/workbook.xml"/>'
                   f'<Relationship Id="rId2" Type="{_PKG_REL}/metadata/core-properties" Target="docProps/core.xml"/>'
                   "</Relationships>")
        now = dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
        z.writestr("docProps/core.xml",
                   _XML + '<cp:coreProperties '
                   'xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties" '
                   'xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:dcterms="http://purl.org/dc/terms/" '
                   'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
                   f"<dc:creator>{escape(creator)}</dc:creator>"
                   f'<dcterms:created xsi:type="dcterms:W3CDTF">{now}</dcterms:created>'
                   "</cp:coreProperties>")
        names = "".join(
            f'<definedName name="_xlnm._FilterDatabase" localSheetId="{k}" hidden="1">'
            f"{escape(_quote(t))}!{_absolute(ref)}</definedName>"
            f'<definedName name="_xlnm.Print_Titles" localSheetId="{k}">{escape(_quote(t))}!$1:$1</definedName>'
            for k, (t, ref) in enumerate(zip(titles, refs, strict=True)))
        z.writestr("xl/workbook.xml",
                   _XML + f'<workbook xmlns="{_MAIN}" xmlns:r="{_OFFICE_REL}">'
                   '<bookViews><workbookView activeTab="0"/></bookViews><sheets>'
                   + "".join(f'<sheet name="{escape(t, {chr(34): "&quot;"})}" sheetId="{k}" r:id="rId{k}"/>'
                             for k, t in enumerate(titles, start=1))
                   + f"</sheets><definedNames>{names}</definedNames></workbook>")
        z.writestr("xl/_rels/workbook.xml.rels",
                   _XML + f'<Relationships xmlns="{_PKG_REL}">'
                   + "".join(f'<Relationship Id="rId{k}" Type="{_OFFICE_REL}/worksheet" Target="worksheets/sheet{k}.xml"/>'
                             for k in range(1, n + 1))
                   + f'<Relationship Id="rId{n + 1}" Type="{_OFFICE_REL}/styles" Target="styles.xml"/>'
                   "</Relationships>")
        z.writestr("xl/styles.xml", _STYLES)
    return path
