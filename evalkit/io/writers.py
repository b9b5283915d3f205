"""Tables for people: workbooks and self-contained HTML pages in the house style.

Every text cell is neutralised against formula injection (Excel) or escaped (HTML).
"""

from __future__ import annotations

import hashlib
import html
from pathlib import Path

import numpy as np
import pandas as pd

from ..version import __version__

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value):
    """Make a text cell inert in a spreadsheet (no formula, no DDE): prefix it with a quote.

    >>> neutralise("=HYPERLINK(\\"http://x\\")"), neutralise("-5 days"), neutralise(-5)
    ('\\'=HYPERLINK("http://x")', "'-5 days", -5)
    """
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def records(df: pd.DataFrame) -> list[dict]:
    """Rows as JSON-ready dicts: missing values as None, numpy scalars as Python numbers.

    >>> records(pd.DataFrame({"a": [1, None], "b": ["x", None]}))
    [{'a': 1.0, 'b': 'x'}, {'a': None, 'b': None}]
    """
    out = []
    for rec in df.to_dict("records"):
        clean: dict = {}
        for k, v in rec.items():
            if v is None or v is pd.NA or (isinstance(v, float) and v != v):
                clean[k] = None
            elif hasattr(v, "item"):
                clean[k] = v.item()
            else:
                clean[k] = v
        out.append(clean)
    return out



def file_sha256(path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


# --------------------------------------------------------------------------------------------
# Excel
# --------------------------------------------------------------------------------------------

_RED = "FFF4CCCC"
_GREEN = "FFD9EAD3"
_GREY = "FFEFEFEF"


def write_workbook(sheets: dict[str, pd.DataFrame], path, *, status_column: str | None = None, verdict=None,
                   empty_text: str = "No rows.") -> Path:
    """Write tables as sheets in the house style: bold frozen headers, fitted widths, rows coloured by
    ``status_column`` (True green, False red), the first sheet a two-column summary whose first value
    is the verdict. Every text cell is neutralised against formula injection."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    wb = Workbook()
    wb.remove(wb.active)
    for i, (title, df) in enumerate(sheets.items()):
        ws = wb.create_sheet(str(title)[:31])
        headers = [str(c) for c in df.columns]
        ws.append([neutralise(h) for h in headers])
        for cell in ws[1]:
            cell.font = Font(bold=True)
            cell.fill = PatternFill("solid", fgColor=_GREY)
            cell.alignment = Alignment(wrap_text=True, vertical="top")
        status_idx = headers.index(status_column) if status_column in headers else None
        for rec in df.itertuples(index=False):
            ws.append([_excel_value(v) for v in rec])
            if status_idx is not None and not pd.isna(rec[status_idx]):
                fill = _GREEN if bool(rec[status_idx]) else _RED
                for cell in ws[ws.max_row]:
                    cell.fill = PatternFill("solid", fgColor=fill)
        ws.freeze_panes = "A2"
        for j, h in enumerate(headers, start=1):
            values = [h] + [str(v) for v in df.iloc[:200, j - 1].tolist()]
            ws.column_dimensions[get_column_letter(j)].width = max(min(max(len(v) for v in values) + 2, 80), 8)
        if i == 0 and df.shape[1] == 2:  # the summary sheet
            ws.column_dimensions["B"].width = 100
            for row in ws.iter_rows(min_row=2):
                row[1].alignment = Alignment(wrap_text=True, vertical="top")
            ws["B2"].font = Font(bold=True)
            ws["B2"].fill = PatternFill("solid", fgColor={True: _GREEN, False: _RED}.get(verdict, _GREY))
        if not len(df):
            ws.append([empty_text])
    path = Path(path)
    wb.properties.creator = f"evalkit {__version__}"
    wb.save(path)
    return path


def _excel_value(v):
    if v is None or v is pd.NA or (isinstance(v, float) and np.isnan(v)):
        return None
    if isinstance(v, (np.integer,)):
        return int(v)
    if isinstance(v, (np.floating,)):
        return float(v)
    if isinstance(v, (np.bool_,)):
        return bool(v)
    if isinstance(v, (int, float, bool)):
        return v
    return neutralise(str(v))


# --------------------------------------------------------------------------------------------
# HTML
# --------------------------------------------------------------------------------------------

_CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,"Noto Sans",Arial,sans-serif;margin:2rem;color:#222}
h1{font-size:1.5rem}h2{font-size:1.15rem;margin-top:2rem;border-bottom:1px solid #ccc}
table{border-collapse:collapse;font-size:.85rem;margin:.5rem 0}
th,td{border:1px solid #ccc;padding:.25rem .5rem;text-align:left;vertical-align:top}
th{background:#efefef;position:sticky;top:0}
tr.bad td{background:#f4cccc}tr.ok td{background:#eef7ea}
.verdict{font-size:1.2rem;font-weight:bold;padding:.5rem;display:inline-block}
.v-False{background:#f4cccc}.v-True{background:#d9ead3}.v-None{background:#eee}
@media print{th{position:static}body{margin:0}}
"""


def html_table(df: pd.DataFrame, compliant_col: str | None = None, limit: int = 5000,
               bool_words: tuple[str, str] = ("yes", "no")) -> str:
    """An escaped HTML table; rows coloured by the compliant column when given; booleans as words."""
    cols = [str(c) for c in df.columns]
    out = ["<table><thead><tr>" + "".join(f"<th>{html.escape(c)}</th>" for c in cols) + "</tr></thead><tbody>"]
    ci = cols.index(compliant_col) if compliant_col in cols else None
    for rec in df.head(limit).itertuples(index=False):
        cls = ""
        if ci is not None and not pd.isna(rec[ci]):
            cls = ' class="ok"' if bool(rec[ci]) else ' class="bad"'
        cells = "".join(f"<td>{html.escape(_html_text(v, bool_words))}</td>" for v in rec)
        out.append(f"<tr{cls}>{cells}</tr>")
    out.append("</tbody></table>")
    if len(df) > limit:
        out.append(f"<p>… {len(df) - limit} more rows (see the Excel report)</p>")
    return "".join(out)


def _html_text(v, bool_words: tuple[str, str]) -> str:
    if v is None or v is pd.NA or (isinstance(v, float) and np.isnan(v)):
        return ""
    if isinstance(v, (bool, np.bool_)):
        return bool_words[0] if v else bool_words[1]
    return str(v)


def write_page(sections: dict[str, pd.DataFrame], path, *, title: str, verdict_text: str = "", verdict=None,
               status_column: str | None = None, lang: str = "en", empty_text: str = "No rows.",
               bool_words: tuple[str, str] = ("yes", "no")) -> Path:
    """A self-contained HTML page: a verdict line, then one escaped table per section."""
    parts = [f"<!DOCTYPE html><html lang='{lang}'><head><meta charset='utf-8'>",
             f"<title>{html.escape(title)}</title><style>{_CSS}</style></head><body>",
             f"<h1>{html.escape(title)}</h1>"]
    if verdict_text:
        parts.append(f"<p class='verdict v-{verdict}'>{html.escape(verdict_text)}</p>")
    for name, df in sections.items():
        parts.append(f"<h2>{html.escape(str(name))}</h2>")
        parts.append(html_table(df, status_column, bool_words=bool_words) if len(df)
                     else f"<p>{html.escape(empty_text)}</p>")
    parts.append("</body></html>")
    path = Path(path)
    path.write_text("".join(parts), encoding="utf-8")
    return path
