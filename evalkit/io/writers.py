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
from .xlsx import (BOLD_CENTER, GREEN, ITALIC_CENTER, ITALIC_RIGHT, RED, VERDICT_BAD, VERDICT_NONE, VERDICT_OK, Sheet,
                   neutralise, write_xlsx)

__all__ = ["file_sha256", "html_table", "neutralise", "records", "write_page", "write_workbook"]


def records(df: pd.DataFrame) -> list[dict]:
    """Rows as JSON-ready dicts: missing values as None, numpy scalars as Python numbers.

    Built a column at a time (numbers by numpy, text checked by type), then zipped into rows.

    >>> records(pd.DataFrame({"a": [1, None], "b": ["x", None]}))
    [{'a': 1.0, 'b': 'x'}, {'a': None, 'b': None}]
    """
    keys = list(df.columns)
    columns = [_json_values(df.iloc[:, j]) for j in range(df.shape[1])]
    if not columns:
        return [{} for _ in range(len(df))]
    return [dict(zip(keys, row)) for row in zip(*columns, strict=True)]


def _json_value(v):
    if v is None or v is pd.NA or (isinstance(v, float) and v != v):
        return None
    return v.item() if hasattr(v, "item") else v


def _json_values(column: pd.Series) -> list:
    """One column's values as :func:`records` writes them."""
    dtype = column.dtype
    if isinstance(dtype, np.dtype) and dtype.kind in "biu":  # numpy integers and booleans: never missing
        return column.to_numpy().tolist()
    if isinstance(dtype, np.dtype) and dtype.kind == "f":
        values = column.to_numpy()
        out = values.astype(object)
        out[np.isnan(values)] = None
        return out.tolist()
    return [v if type(v) is str else _json_value(v) for v in column.tolist()]


def file_sha256(path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


# --------------------------------------------------------------------------------------------
# Excel
# --------------------------------------------------------------------------------------------



def write_workbook(sheets: dict[str, pd.DataFrame], path, *, status_column: str | None = None, verdict=None,
                   empty_text: str = "No rows.", signature: dict | None = None,
                   bool_words: tuple[str, str] | None = None) -> Path:
    """Write tables as sheets in the house style, ready to print and sign.

    Bold frozen header row repeated on every printed page, a filter on every table, fitted widths,
    landscape A4 fitted to the page width; rows coloured by ``status_column`` (True green, False
    red); the first sheet a two-column summary whose first value is the verdict, followed by the
    ``signature`` block (``place_date``, ``left`` and ``right`` as (title, hint)) when given; yes/no
    columns as ``bool_words`` when given (a report in Vietnamese shows no TRUE/FALSE). Every
    text cell is neutralised against formula injection. Rows are streamed in chunks
    (:mod:`evalkit.io.xlsx`), so a 300,000-row roster takes little time and memory.
    """
    out = []
    for i, (title, df) in enumerate(sheets.items()):
        headers = [str(c) for c in df.columns]
        summary = i == 0 and df.shape[1] == 2
        widths = _widths(df, headers)
        sheet = Sheet(str(title), df, widths=widths, empty_text=empty_text)
        if summary:
            widths[1] = 100  # the same list the sheet holds
            sheet.wrap_columns = (1,)
            sheet.first_row_style = {1: {True: VERDICT_OK, False: VERDICT_BAD}.get(verdict, VERDICT_NONE)}
            if signature:
                left, right = signature["left"], signature["right"]
                sheet.after = [[], [(None, 0), (signature["place_date"], ITALIC_RIGHT)],
                               [(left[0], BOLD_CENTER), (right[0], BOLD_CENTER)],
                               [(left[1], ITALIC_CENTER), (right[1], ITALIC_CENTER)]]
        else:  # long texts (reasons, messages) wrap inside their column instead of running off the page
            sheet.wrap_columns = tuple(j for j, w in enumerate(widths) if w >= _MAX_WIDTH)
        if not summary and status_column in headers:
            status = df[status_column].astype("boolean")  # an undecided group (<NA>) stays unstyled
            styles = np.full(len(df), None, dtype=object)
            styles[status.fillna(False).to_numpy(dtype=bool)] = GREEN
            styles[(~status).fillna(False).to_numpy(dtype=bool)] = RED
            sheet.row_styles = styles
        if bool_words:
            flags = [c for c in df.columns if df[c].dtype == bool or str(df[c].dtype) == "boolean"]
            if flags:
                df = df.copy()
                for c in flags:
                    df[c] = df[c].astype(object).map({True: bool_words[0], False: bool_words[1]})
                sheet.frame = df
        out.append(sheet)
    return write_xlsx(path, out, creator=f"evalkit {__version__}")


_MAX_WIDTH = 60


def _widths(df: pd.DataFrame, headers: list[str]) -> list[float]:
    out: list[float] = []
    for j, h in enumerate(headers):
        values = [str(v) for v in df.iloc[:200, j].tolist() if v is not None]
        longest = max([len(v) for v in values] + [min(len(h), 20)])  # a long header wraps rather than widens
        out.append(max(min(longest + 2, _MAX_WIDTH), 8))
    return out


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
