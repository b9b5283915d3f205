"""The web application's one door into the evalkit engine.

Every call from :mod:`evalkit.web` into the checking engine goes through this module, so that when
the engine's modules move only these imports change. :func:`check_upload` runs the same steps as
``evalkit check`` (read, check the cap, propose the minimal calibration, privacy options) and
returns a :class:`CheckResult` that pages, the JSON API and the rating rounds all use.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from .. import levels as L
from .. import policies as P
from ..compliance import _as_data, check_cap, enforce_cap
from ..export import TEXT, CheckOutput, file_sha256, pseudonym_key, pseudonymize, write_excel, \
    write_html, write_workbook
from ..i18n import translate
from ..rules.recruitment import get_recruitment_policy, recruitment_policy_names
from ..schema import PROBLEM_COLUMNS, InputError, describe_problem
from ..templates import write_template

__all__ = ["CheckResult", "InputError", "PolicyError", "check_upload", "cap_policies", "recruitment_policies",
           "explain", "template_bytes", "describe_problem", "translate"]

PolicyError = P.PolicyError
LEVEL_COUNT_COLUMNS = ("n_excellent", "n_good", "n_completed", "n_not_completed", "n_not_rated")
_CALIBRATION_COLUMNS = ("source_row", "person_id", "name", "unit_id", "task_group", "title_group", "score", "level",
                        "level_final", "reason")


@dataclass
class CheckResult:
    """What one checked file gives: verdict, numbers, tables and the writers of its three downloads."""

    output: CheckOutput                      #: the engine's report object (shared with ``evalkit check``)
    kind: str                                #: 'roster' or 'counts'
    level_counts: dict[str, int]             #: people per level (rosters) or summed counts (counts tables)
    final: pd.DataFrame | None = None        #: rosters: every row with its rating after calibration
    ties: pd.DataFrame | None = None         #: tied candidates, where the engine lists them
    extra_notes: list[str] = field(default_factory=list)

    # ------------------------------------------------------------------ facts
    @property
    def lang(self) -> str:
        return self.output.lang

    @property
    def compliant(self) -> bool | None:
        return self.output.report.compliant

    @property
    def status(self) -> str:
        """'compliant', 'over' or 'undecided'."""
        return {True: "compliant", False: "over", None: "undecided"}[self.compliant]

    @property
    def verdict(self) -> str:
        return self.output.report.verdict(self.lang)

    @property
    def policy(self) -> P.Policy:
        return self.output.report.policy

    @property
    def sha256(self) -> str:
        return self.output.sha256 or ""

    @property
    def input_rows(self) -> int:
        return self.output.input_rows

    @property
    def table_rows(self) -> int:
        """Rows in the report's tables (what writing the downloads costs)."""
        calib = self.output.calibration
        return len(self.output.report.groups) + len(self.problems) + (0 if calib is None else len(calib))

    @property
    def groups_over(self) -> int:
        return int(self.output.report.summary["over_cap"].sum())

    @property
    def excess(self) -> int:
        """Excellent ratings over the cap, in the scope that needs the most demotions."""
        s = self.output.report.summary
        return int(s["excess"].max()) if len(s) else 0

    @property
    def demotions(self) -> int:
        return self.output.total_demotions()

    @property
    def problems(self) -> pd.DataFrame:
        p = self.output.report.problems
        return p if p is not None else pd.DataFrame(columns=PROBLEM_COLUMNS)

    @property
    def notes(self) -> list[str]:
        return list(self.output.report.notes) + self.extra_notes

    def citation(self) -> list[str]:
        """The rule applied and its sources, one line each."""
        pol = self.policy
        title = pol.title_vi if self.lang == "vi" else pol.title_en
        return [f"{pol.rule_id}: {title}"] + [f"{v.name}: {v.reference} [{v.status}]" for v in pol.references]

    def tables(self) -> dict[str, pd.DataFrame]:
        """Localised tables: summary, groups, violations, calibration, ceilings, problems (and ties)."""
        tables = self.output.tables()
        if self.ties is not None:
            tables["ties"] = self.ties
        return tables

    def summary(self) -> dict:
        """A JSON-ready summary (the API's answer and what a round stores per submission)."""
        return {"status": self.status, "compliant": self.compliant, "verdict": self.verdict,
                "policy": self.policy.name, "rule_id": self.policy.rule_id, "kind": self.kind,
                "input_rows": self.input_rows, "sha256": self.sha256, "groups_over": self.groups_over,
                "excess": self.excess, "demotions": self.demotions,
                "problems": int((self.problems["severity"] == "error").sum()) if len(self.problems) else 0,
                "warnings": int((self.problems["severity"] == "warning").sum()) if len(self.problems) else 0,
                "level_counts": self.level_counts, "citation": self.citation(), "notes": self.notes}

    # ------------------------------------------------------------------ downloads (bytes, nothing on disk)
    def annotated_workbook(self) -> bytes:
        """The Excel report of ``evalkit check --out x.xlsx``."""
        return _to_bytes(lambda p: write_excel(self.output, p), ".xlsx")

    def html_report(self) -> bytes:
        """The self-contained HTML report of ``evalkit check --out x.html``."""
        return _to_bytes(lambda p: write_html(self.output, p), ".html")

    def corrected_roster(self) -> bytes:
        """Every input row with its rating after the proposed calibration (rosters only)."""
        t = TEXT[self.lang]
        if self.final is None:
            raise ValueError("a counts table has no roster to correct")
        final = self.final.copy()
        for col in ("level", "level_final"):
            final[col] = [L.label(c, self.lang) if c in L.LABELS[self.lang] else c for c in final[col].astype(str)]
        sheet = "Danh sách sau điều chỉnh" if self.lang == "vi" else "Roster after calibration"
        return _to_bytes(lambda p: write_workbook({sheet: final.rename(columns=t["cols"])}, p,
                                                  empty_text=t["no_rows"]), ".xlsx")


def _to_bytes(write, suffix: str) -> bytes:
    """Run a path-based writer into a private temporary directory and return the bytes (the file is gone)."""
    with tempfile.TemporaryDirectory(prefix="evalkit-out-") as d:
        path = Path(d) / f"out{suffix}"
        write(path)
        return path.read_bytes()


def check_upload(path, *, policy: str = "decree-335-2025", sheet: str | None = None, year: int | None = None,
                 lang: str = "vi", pseudonymize_ids: bool = False, suppress_below: int | None = None,
                 display_name: str | None = None) -> CheckResult:
    """Check one file as ``evalkit check`` does and keep everything a page or an API answer needs.

    Raises :class:`InputError` (with every problem) when the file cannot be used, :class:`PolicyError`
    for an unknown policy and ``ValueError`` for an impossible option (a year not in the file).
    """
    pol = P.get(policy)
    pol.require_ratio()
    path = Path(path)
    if path.suffix.lower() == ".xls":
        path = xls_to_xlsx(path)
    frame, kind, problems = _as_data(path, sheet)
    n_rows = len(frame)
    if year is not None:
        if "year" not in frame.columns:
            raise ValueError("no_year_column")
        frame = frame[frame["year"] == year]
        if not len(frame):
            raise ValueError("no_rows_for_year")
    report = check_cap(frame, pol)
    if problems is not None and display_name:
        problems = problems.assign(file=display_name)
    report.problems = problems
    calibration = final = None
    if kind == "roster":
        final = enforce_cap(frame, pol)
        cols = [c for c in _CALIBRATION_COLUMNS if c in final.columns]
        calibration = final.loc[final["demoted"], cols].reset_index(drop=True)
        for c in ("level", "level_final"):
            calibration[c] = calibration[c].astype(str)
        final = final[[c for c in cols if c != "reason"] + ["reason"]].reset_index(drop=True)
        counts = L.as_levels(frame["level"]).value_counts()
        codes = ((L.EXCELLENT,), (L.GOOD,), (L.COMPLETED, L.COMPLETED_LIMITED), (L.NOT_COMPLETED,), (L.NOT_RATED,))
        level_counts = {name: int(sum(counts.get(c, 0) for c in group))
                        for name, group in zip(LEVEL_COUNT_COLUMNS, codes, strict=True)}
    else:
        level_counts = {c: int(pd.to_numeric(frame[c], errors="coerce").fillna(0).sum()) if c in frame.columns
                        else 0 for c in LEVEL_COUNT_COLUMNS}
    if pseudonymize_ids:
        key, _ = pseudonym_key()
        for table in (calibration, final):
            if table is not None and "person_id" in table.columns:
                table["person_id"] = pseudonymize(table["person_id"], key)
        calibration = calibration.drop(columns=["name"], errors="ignore") if calibration is not None else None
        final = final.drop(columns=["name"], errors="ignore") if final is not None else None
        if problems is not None and len(problems):
            pid = problems["message"].str.contains("person listed twice", regex=False)
            problems.loc[pid, "value"] = pseudonymize(problems.loc[pid, "value"], key)
    out = CheckOutput(report, calibration, display_name or Path(path).name, n_rows, file_sha256(path), lang,
                      pseudonymize_ids, suppress_below)
    ties = getattr(out, "ties", None)
    return CheckResult(out, kind, level_counts, final=final, ties=ties)


def groups_table(result: CheckResult, which: str = "violations") -> pd.DataFrame:
    """A localised table from the result (``violations``, ``groups``, ``calibration``, ``problems`` …)."""
    return result.tables().get(which, pd.DataFrame())


def xls_to_xlsx(path: Path) -> Path:
    """An old .xls workbook rewritten beside it as .xlsx (values only, every sheet, dates as dates)."""
    import xlrd
    from openpyxl import Workbook

    try:
        book = xlrd.open_workbook(path)
    except Exception as exc:  # xlrd raises several types for damaged files
        raise InputError(pd.DataFrame([{"severity": "error", "file": path.name, "sheet": None, "row": None,
                                        "column": None, "value": None,
                                        "message": f"the .xls workbook cannot be read ({exc})"}])) from None
    wb = Workbook()
    wb.remove(wb.active)
    for sh in book.sheets():
        ws = wb.create_sheet(sh.name[:31])
        for r in range(sh.nrows):
            row = []
            for c in range(sh.ncols):
                cell = sh.cell(r, c)
                if cell.ctype == xlrd.XL_CELL_DATE:
                    row.append(xlrd.xldate.xldate_as_datetime(cell.value, book.datemode))
                elif cell.ctype in (xlrd.XL_CELL_EMPTY, xlrd.XL_CELL_BLANK, xlrd.XL_CELL_ERROR):
                    row.append(None)
                else:
                    row.append(cell.value)
            ws.append(row)
    out = path.with_suffix(".xlsx")
    wb.save(out)
    return out


# ---------------------------------------------------------------------------- policies and templates
def cap_policies() -> list[P.Policy]:
    """The named cap policies, in the engine's order."""
    return P.list()


def recruitment_policies() -> list[str]:
    return recruitment_policy_names()


def explain(name: str, lang: str) -> str:
    """`evalkit explain NAME` as text; raises KeyError for an unknown name."""
    if name in recruitment_policy_names():
        return get_recruitment_policy(name).describe(lang)
    if name in {p.name for p in P.list()}:
        return P.get(name).describe(lang)
    raise KeyError(name)


def template_bytes(kind: str, lang: str) -> bytes:
    """A blank input workbook (`evalkit template`)."""
    return _to_bytes(lambda p: write_template(p, kind=kind, lang=lang), ".xlsx")


def workbook_bytes(sheets: dict[str, pd.DataFrame]) -> bytes:
    """Tables as an .xlsx in the house style of the reports (the provincial summary)."""
    return _to_bytes(lambda p: write_workbook(sheets, p), ".xlsx")
