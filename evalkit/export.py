"""Compliance reports for people: an Excel workbook and a self-contained HTML page, in vi or en.

Every cell that comes from the input is neutralised against formula injection; published tables
can pseudonymise person ids (keyed hash) and suppress small groups.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import html
import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from . import __version__
from .compliance import CapReport
from . import levels as L
from .i18n import translate
from .io import neutralise

TEXT = {
    "en": {
        "summary": "Summary", "groups": "Groups", "violations": "Violations", "calibration": "Proposed calibration", "ceilings": "Above Decree 90 ceiling",
        "problems": "Input problems", "verdict": "Verdict", "policy": "Policy", "readings": "Readings",
        "references": "References", "input": "Input file", "sha256": "SHA-256 of input", "rows": "Input rows",
        "kind": "Input kind", "date": "Checked on", "version": "evalkit version", "notes": "Notes",
        "groups_checked": "Groups checked", "groups_over": "Groups over the cap", "excess": "Excellent over the cap",
        "demotions": "Minimal demotions to comply", "fix": "To comply", "fix_text": "demote {n} of {e} excellent to good",
        "ok_text": "compliant", "unknown_text": "counts unknown: cannot decide", "suppressed": "suppressed (fewer than {k} people)",
        "pseudonym": "Person ids are pseudonymised with a keyed hash", "no_rows": "No rows.",
        "scope": "Scope", "title": "Excellent-rating cap check",
        "cols": {"scope": "Scope", "n_excellent": "Excellent", "n_good": "Good", "n_completed": "Completed",
                 "n_not_completed": "Not completed", "n_not_rated": "Not rated", "n_rated": "Rated", "base": "Base",
                 "cap": "Cap", "excess": "Excess", "headroom": "Headroom", "compliant": "Compliant",
                 "minimal_demotions": "Minimal demotions", "ratio": "Ratio", "exception": "Exception",
                 "rule_id": "Rule", "reference": "Reference", "fix": "To comply", "unit_id": "Unit",
                 "task_group": "Task group", "title_group": "Title group", "unit_level": "Level", "year": "Year",
                 "population": "Staff type", "person_id": "Person id", "name": "Name", "level": "Rating",
                 "level_final": "Rating after calibration", "score": "Score", "reason": "Reason",
                 "severity": "Severity", "file": "File", "sheet": "Sheet", "row": "Row", "column": "Column",
                 "value": "Value", "message": "Message", "source_row": "Row in input", "item": "Item",
                 "ceiling": "Highest level the facts allow", "ceiling_reason": "Why",
                 "suppressed": "Suppressed"},
        "severity_words": {"error": "error", "warning": "warning"}, "bool_words": ("yes", "no"),
    },
    "vi": {
        "summary": "Tổng hợp", "groups": "Các nhóm", "violations": "Vi phạm", "calibration": "Đề xuất điều chỉnh", "ceilings": "Vượt mức trần NĐ 90",
        "problems": "Lỗi dữ liệu đầu vào", "verdict": "Kết luận", "policy": "Quy định áp dụng",
        "readings": "Cách tính", "references": "Căn cứ", "input": "Tệp đầu vào", "sha256": "Mã băm SHA-256",
        "rows": "Số dòng", "kind": "Loại dữ liệu", "date": "Ngày kiểm tra", "version": "Phiên bản evalkit",
        "notes": "Ghi chú", "groups_checked": "Số nhóm kiểm tra", "groups_over": "Số nhóm vượt giới hạn",
        "excess": "Số HTXSNV vượt giới hạn", "demotions": "Số người tối thiểu phải hạ mức",
        "fix": "Để đạt", "fix_text": "hạ {n} trong {e} người HTXSNV xuống HTTNV", "ok_text": "đạt",
        "unknown_text": "thiếu số liệu, chưa kết luận", "suppressed": "ẩn (dưới {k} người)",
        "pseudonym": "Mã cán bộ đã được mã hoá bằng hàm băm có khoá", "no_rows": "Không có dòng nào.",
        "scope": "Phạm vi", "title": "Kiểm tra giới hạn tỷ lệ hoàn thành xuất sắc nhiệm vụ",
        "cols": {"scope": "Phạm vi", "n_excellent": "HTXSNV", "n_good": "HTTNV", "n_completed": "HTNV",
                 "n_not_completed": "KHTNV", "n_not_rated": "Chưa xếp loại", "n_rated": "Đã xếp loại",
                 "base": "Cơ sở tính", "cap": "Tối đa HTXSNV", "excess": "Vượt", "headroom": "Còn được",
                 "compliant": "Đạt", "minimal_demotions": "Số người phải hạ", "ratio": "Tỷ lệ",
                 "exception": "Ngoại lệ", "rule_id": "Quy định", "reference": "Căn cứ", "fix": "Để đạt",
                 "unit_id": "Đơn vị", "task_group": "Nhóm nhiệm vụ", "title_group": "Nhóm chức danh",
                 "unit_level": "Cấp", "year": "Năm", "population": "Đối tượng", "person_id": "Mã CB",
                 "name": "Họ và tên", "level": "Xếp loại", "level_final": "Xếp loại sau điều chỉnh",
                 "score": "Điểm", "reason": "Lý do", "severity": "Mức độ", "file": "Tệp", "sheet": "Trang tính",
                 "row": "Dòng", "column": "Cột", "value": "Giá trị", "message": "Nội dung", "source_row": "Dòng trong tệp", "item": "Mục",
                 "ceiling": "Mức cao nhất được phép", "ceiling_reason": "Lý do",
                 "suppressed": "Ẩn số liệu"},
        "severity_words": {"error": "lỗi", "warning": "cảnh báo"}, "bool_words": ("có", "không"),
    },
}


def pseudonymize(ids: pd.Series, key: bytes) -> pd.Series:
    """Replace ids with a keyed hash (HMAC-SHA256, 16 hex digits); the same key gives the same pseudonym.

    >>> pseudonymize(pd.Series(["A1", "A1", "B2"]), b"k").tolist()[0] == pseudonymize(pd.Series(["A1"]), b"k")[0]
    True
    """
    uniq = pd.unique(ids.astype(str))
    mapping = {u: "P-" + hmac.new(key, u.encode("utf-8"), hashlib.sha256).hexdigest()[:16] for u in uniq}
    return ids.astype(str).map(mapping)


def pseudonym_key() -> tuple[bytes, bool]:
    """The key from ``EVALKIT_PSEUDONYM_KEY``, or a new random one; returns (key, generated)."""
    env = os.environ.get("EVALKIT_PSEUDONYM_KEY")
    if env:
        return env.encode("utf-8"), False
    return secrets.token_hex(16).encode("ascii"), True


def suppress_small(groups: pd.DataFrame, k: int, lang: str = "en") -> pd.DataFrame:
    """Blank the counts of groups with fewer than ``k`` people and mark them."""
    out = groups.copy()
    people = out["n_rated"].fillna(0) + out["n_not_rated"].fillna(0)
    small = (people < k).to_numpy()
    count_cols = ["n_excellent", "n_good", "n_completed", "n_not_completed", "n_not_rated", "n_rated", "base",
                  "cap", "excess", "headroom", "minimal_demotions"]
    for c in count_cols:
        if c in out.columns:
            out[c] = out[c].astype("object")
            out.loc[small, c] = None
    out["suppressed"] = np.where(small, TEXT[lang]["suppressed"].format(k=k), "")
    return out


@dataclass
class CheckOutput:
    """What a person gets back from a check: the report, the calibration, the input facts."""

    report: CapReport
    calibration: pd.DataFrame | None
    input_path: str | None
    input_rows: int
    sha256: str | None
    lang: str = "en"
    pseudonymized: bool = False
    suppress_below: int | None = None
    checked_on: str = field(default_factory=lambda: dt.date.today().isoformat())
    ceilings: pd.DataFrame | None = None  #: ratings above the Decree 90 ceiling (None: no facts in the file)

    def fix_texts(self, groups: pd.DataFrame) -> np.ndarray:
        """"To comply" per group: compliant, unknown, or how many of how many excellent to demote."""
        t = TEXT[self.lang]
        before, middle_after = t["fix_text"].split("{n}")
        middle, after = middle_after.split("{e}")
        demote = (before + groups["minimal_demotions"].astype(str) + middle + groups["n_excellent"].astype(str)
                  + after).to_numpy(dtype=object)
        comp = groups["compliant"]
        return np.where(comp.isna().to_numpy(), t["unknown_text"],
                        np.where(comp.fillna(False).to_numpy(dtype=bool), t["ok_text"], demote))

    def tables(self) -> dict[str, pd.DataFrame]:
        """The report's tables with localised headers, ready to write."""
        t = TEXT[self.lang]
        groups = self.report.groups.copy()
        groups["fix"] = self.fix_texts(groups)
        groups["scope"] = groups["scope"].map(lambda sc: " × ".join(t["cols"].get(k, k) for k in str(sc).split(" × ")))
        if self.suppress_below:
            groups = suppress_small(groups, self.suppress_below, self.lang)
        violations = groups[self.report.groups["compliant"].eq(False).fillna(False).to_numpy()]
        tables = {
            "summary": self.summary_table(),
            "groups": groups,
            "violations": violations,
        }
        if self.calibration is not None:
            calib = self.calibration.copy()
            for col in ("level", "level_final"):
                if col in calib.columns:
                    calib[col] = [L.label(c, self.lang) if c in L.LABELS[self.lang] else c for c in calib[col]]
            tables["calibration"] = calib
        if self.ceilings is not None:
            above = self.ceilings.copy()
            for col in ("level", "ceiling"):
                above[col] = [L.label(c, self.lang) if c in L.LABELS[self.lang] else c for c in above[col]]
            tables["ceilings"] = above
        problems = self.report.problems if self.report.problems is not None else pd.DataFrame(
            columns=["severity", "file", "sheet", "row", "column", "value", "message"])
        problems = problems.copy()
        problems["severity"] = problems["severity"].map(lambda v: t["severity_words"].get(v, v))
        problems["message"] = problems["message"].map(lambda m: translate(m, self.lang))
        tables["problems"] = problems
        return {name: df.rename(columns=t["cols"]) for name, df in tables.items()}

    def total_demotions(self) -> int:
        """Demotions in the proposed calibration (rosters), else the largest per-scope total (counts)."""
        if self.calibration is not None:
            return int(len(self.calibration))
        per_scope = self.report.summary["minimal_demotions"]
        return int(per_scope.max()) if len(per_scope) else 0

    def summary_table(self) -> pd.DataFrame:
        t = TEXT[self.lang]
        r = self.report
        s = r.summary
        pol = r.policy
        readings = (f"ratio={pol.ratio}, base={pol.base}, rounding={pol.rounding}, min_one={pol.min_one}, "
                    f"timing={pol.timing}, scopes={' AND '.join(' × '.join(x) for x in pol.scopes)}")
        rows = [
            (t["verdict"], r.verdict(self.lang)),
            (t["policy"], f"{pol.name}: {pol.title_vi if self.lang == 'vi' else pol.title_en}"),
            (t["readings"], readings),
            (t["references"], "; ".join(f"{v.name}: {v.reference} [{v.status}]" for v in pol.references)),
            (t["input"], self.input_path or "<DataFrame>"),
            (t["sha256"], self.sha256 or ""),
            (t["rows"], self.input_rows),
            (t["kind"], r.kind),
            (t["groups_checked"], int(s["groups"].sum())),
            (t["groups_over"], int(s["over_cap"].sum())),
            (t["excess"], int(s["excess"].sum())),
            (t["demotions"], self.total_demotions()),
            (t["date"], self.checked_on),
            (t["version"], __version__),
        ]
        for note in r.notes:
            rows.append((t["notes"], note))
        if self.pseudonymized:
            rows.append((t["notes"], t["pseudonym"]))
        return pd.DataFrame(rows, columns=["item", "value"])  # headers localised by tables()


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


def write_excel(out: CheckOutput, path) -> Path:
    """Write the workbook: summary, groups, violations, calibration (rosters), input problems."""
    t = TEXT[out.lang]
    sheets = {t[name]: df for name, df in out.tables().items()}
    return write_workbook(sheets, path, status_column=t["cols"]["compliant"], verdict=out.report.compliant,
                          empty_text=t["no_rows"])


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


def write_html(out: CheckOutput, path) -> Path:
    """One self-contained page (no scripts, no external files) with the same content as the workbook."""
    t = TEXT[out.lang]
    sheets = {t[name]: df for name, df in out.tables().items()}
    return write_page(sheets, path, title=t["title"], verdict_text=out.report.verdict(out.lang),
                      verdict=out.report.compliant, status_column=t["cols"]["compliant"], lang=out.lang,
                      empty_text=t["no_rows"], bool_words=t["bool_words"])


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
