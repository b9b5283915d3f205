"""The web application's one door into the evalkit engine.

Every call from :mod:`evalkit.web` into the checking engine goes through this module, so that when
the engine's modules move only these imports change. :func:`check_upload` runs
:func:`evalkit.compliance.check_file` — the engine behind ``evalkit check`` — and adds what the web
needs beside it: people per level (the provincial summary), the corrected roster, and file names
that are the user's, never the server's temporary path.
"""

from __future__ import annotations

import os
import secrets
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from .. import levels as L
from .. import policies as P
from ..compliance import check_file, enforce_cap
from ..compliance.check import CheckResult as EngineResult
from ..compliance.privacy import pseudonymize
from ..io import InputError, describe_problem, localise_problems, read_any
from ..io.periods import is_period_workbook, read_periods
from ..io.problems import PROBLEM_COLUMNS
from ..io.writers import write_workbook
from ..messages import cite, column_labels, label, render
from ..report import write_template
from ..rules.bands import rate_roster_by_score
from ..rules.recruitment import get_recruitment_policy

__all__ = ["AUTO", "CheckResult", "InputError", "PolicyError", "check_upload", "cap_policies", "policy_choices",
           "explainable", "explain", "template_bytes", "describe_problem", "problem_lines", "workbook_bytes"]

PolicyError = P.PolicyError
AUTO = P.AUTO  #: the rule chosen per row by year and staff type, as ``evalkit check`` does by default
LEVEL_COUNT_COLUMNS = ("n_excellent", "n_good", "n_completed", "n_not_completed", "n_not_rated")
_LEVEL_GROUPS = ((L.EXCELLENT,), (L.GOOD,), (L.COMPLETED, L.COMPLETED_LIMITED), (L.NOT_COMPLETED,), (L.NOT_RATED,))
_ROSTER_COLUMNS = ("source_row", "person_id", "name", "unit_id", "task_group", "title_group", "score", "level")


@dataclass
class CheckResult:
    """What one checked file gives: verdict, numbers, tables and the writers of its three downloads."""

    output: EngineResult                     #: the engine's result (the same object ``evalkit check`` shows)
    source: Path | None = None               #: the file, while it exists (read again only when asked)
    requested_policy: str = AUTO             #: what the user asked for ('auto' or a policy name)
    sheet: str | None = None
    year: int | None = None
    pseudonym_key: bytes | None = None
    extra_notes: list[str] = field(default_factory=list)
    _frame: pd.DataFrame | None = field(default=None, repr=False)
    _level_counts: dict[str, int] | None = field(default=None, repr=False)
    _tables: dict[str, pd.DataFrame] | None = field(default=None, repr=False)

    # ------------------------------------------------------------------ the rows, read again on demand
    @property
    def kind(self) -> str:
        """'roster' or 'counts'."""
        return self.output.report.kind

    @property
    def frame(self) -> pd.DataFrame:
        """The rows checked (after the year filter); needs the file, so call it before the file is deleted."""
        if self._frame is None:
            if self.source is None or not Path(self.source).exists():
                raise RuntimeError("the uploaded file is gone; read the rows while the request holds it")
            if is_period_workbook(self.source, self.sheet):  # monthly/quarterly scores, as check_file reads them
                frame = rate_roster_by_score(read_periods(self.source, self.sheet))
            else:
                frame, _, _ = read_any(self.source, self.sheet)
            self._frame = frame[frame["year"] == self.year] if self.year is not None else frame
        return self._frame

    @property
    def level_counts(self) -> dict[str, int]:
        """People per level (rosters; COMPLETED_LIMITED counts as completed) or summed counts (counts tables)."""
        if self._level_counts is None:
            frame = self.frame
            if self.kind == "roster":
                counts = L.as_levels(frame["level"]).value_counts()
                self._level_counts = {col: int(sum(counts.get(c, 0) for c in group))
                                      for col, group in zip(LEVEL_COUNT_COLUMNS, _LEVEL_GROUPS, strict=True)}
            else:
                self._level_counts = {c: int(pd.to_numeric(frame[c], errors="coerce").fillna(0).sum())
                                      if c in frame.columns else 0 for c in LEVEL_COUNT_COLUMNS}
        return self._level_counts

    # ------------------------------------------------------------------ facts
    @property
    def lang(self) -> str:
        return self.output.lang

    @property
    def compliant(self) -> bool | None:
        return self.output.compliant

    @property
    def status(self) -> str:
        """'compliant', 'over' or 'undecided'."""
        return {True: "compliant", False: "over", None: "undecided"}[self.compliant]

    @property
    def verdict(self) -> str:
        return self.output.verdict(self.lang)

    @property
    def policy(self) -> P.Policy:
        return self.output.report.policy

    @property
    def sha256(self) -> str:
        return self.output.sha256 or ""

    @property
    def input_name(self) -> str:
        return self.output.input_path or ""

    @property
    def input_rows(self) -> int:
        return self.output.input_rows

    @property
    def has_roster(self) -> bool:
        return self.kind == "roster"

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
    def ties(self) -> pd.DataFrame | None:
        """Tied candidates at the cut, where the engine lists them."""
        return getattr(self.output, "ties", None)

    @property
    def problems(self) -> pd.DataFrame:
        return self.output.problems

    @property
    def notes(self) -> list[str]:
        return [n.text(self.lang) if hasattr(n, "text") else str(n) for n in self.output.report.notes] + self.extra_notes

    def citation(self) -> list[str]:
        """The rule applied and its sources, one line each."""
        pol, vi = self.policy, self.lang == "vi"
        head = f"{pol.name}: {pol.title_vi if vi else pol.title_en}"
        article = pol.article_vi if vi else pol.article_en
        lines = [head, render("explain.article", self.lang, article=article)] if article else [head]
        return lines + [f"{v.name}: {cite(v.reference, self.lang)} [{render(f'status.{v.status}', self.lang)}]"
                        for v in pol.references]

    def tables(self) -> dict[str, pd.DataFrame]:
        """Localised tables keyed by their canonical names: summary, groups, violations, calibration,
        ceilings, problems (and ties where the engine gives them)."""
        if self._tables is None:
            canonical = {}
            for name in ("summary", "groups", "violations", "calibration", "ceilings", "problems", "ties"):
                try:
                    canonical[label(name, self.lang)] = name
                except KeyError:
                    continue
            tables = {canonical.get(k, k): v for k, v in self.output.localised_tables(self.lang).items()}
            if "problems" in tables:
                tables["problems"] = tables["problems"].drop(columns=["code", "params"], errors="ignore")
            self._tables = tables
        return self._tables

    def summary(self) -> dict:
        """A JSON-ready summary (the API's answer and what a round stores per submission)."""
        sev = self.problems["severity"] if len(self.problems) else pd.Series(dtype=object)
        return {"status": self.status, "compliant": self.compliant, "verdict": self.verdict,
                "policy": self.policy.name, "rule_id": self.policy.rule_id, "kind": self.kind,
                "input_rows": self.input_rows, "sha256": self.sha256, "groups_over": self.groups_over,
                "excess": self.excess, "demotions": self.demotions,
                "problems": int((sev == "error").sum()), "warnings": int((sev == "warning").sum()),
                "level_counts": self._level_counts, "citation": self.citation(), "notes": self.notes}

    # ------------------------------------------------------------------ downloads (bytes, nothing kept on disk)
    def annotated_workbook(self) -> bytes:
        """The Excel report of ``evalkit check --out x.xlsx``."""
        return _to_bytes(lambda p: self.output.to_excel(p), ".xlsx")

    def html_report(self) -> bytes:
        """The self-contained HTML report of ``evalkit check --out x.html``."""
        return _to_bytes(lambda p: self.output.to_html(p), ".html")

    def corrected_roster(self) -> bytes:
        """Every input row with its rating after the proposed calibration (rosters only)."""
        if not self.has_roster:
            raise ValueError("a counts table has no roster to correct")
        final = enforce_cap(self.frame, self.requested_policy, lang=self.lang)
        cols = [c for c in _ROSTER_COLUMNS if c in final.columns] + ["level_final", "reason"]
        final = final[cols].reset_index(drop=True)
        if self.pseudonym_key is not None:
            final["person_id"] = pseudonymize(final["person_id"], self.pseudonym_key)
            final = final.drop(columns=["name"], errors="ignore")
        for col in ("level", "level_final"):
            final[col] = [L.label(c, self.lang) if c in L.LABELS[self.lang] else c for c in final[col].astype(str)]
        sheet = "Danh sách sau điều chỉnh" if self.lang == "vi" else "Roster after calibration"
        return _to_bytes(lambda p: write_workbook({sheet: final.rename(columns=column_labels(self.lang))}, p,
                                                  empty_text=label("no_rows", self.lang)), ".xlsx")


def _to_bytes(write, suffix: str) -> bytes:
    """Run a path-based writer in a private temporary directory and return the bytes (the file is gone)."""
    with tempfile.TemporaryDirectory(prefix="evalkit-out-") as d:
        path = Path(d) / f"out{suffix}"
        write(path)
        return path.read_bytes()


def check_upload(path, *, policy: str = AUTO, sheet: str | None = None, year: int | None = None,
                 lang: str = "vi", pseudonymize_ids: bool = False, suppress_below: int | None = None,
                 display_name: str | None = None) -> CheckResult:
    """Check one file as ``evalkit check`` does and keep everything a page or an API answer needs.

    ``display_name`` replaces the server's path wherever the file is named. Raises
    :class:`InputError` (with every problem) when the file cannot be used, :class:`PolicyError` for
    an unknown policy, and ``ValueError('no_year_column' | 'no_rows_for_year')`` for a year the file
    cannot give.
    """
    path = Path(path)
    name = display_name or path.name
    try:
        if path.suffix.lower() == ".xls":
            path = xls_to_xlsx(path)
        key = None
        if pseudonymize_ids:
            env = os.environ.get("EVALKIT_PSEUDONYM_KEY")
            key = env.encode("utf-8") if env else secrets.token_bytes(16)
        out = check_file(path, policy, sheet=sheet, year=year, lang=lang, pseudonymize_ids=pseudonymize_ids,
                         pseudonym_secret=key, suppress_below=suppress_below)
    except InputError as exc:
        raise InputError(exc.problems.assign(file=name)) from None
    except ValueError as exc:  # the engine's messages name the server's path: say it in our words
        text = str(exc)
        if "no year column" in text:
            raise ValueError("no_year_column") from None
        if "no rows for year" in text:
            raise ValueError("no_rows_for_year") from None
        raise
    out.input_path = name
    if out.report.problems is not None:
        out.report.problems = out.report.problems.assign(file=name)
    return CheckResult(out, source=path, requested_policy=policy, sheet=sheet, year=year, pseudonym_key=key)


def problem_lines(problems: pd.DataFrame, lang: str, limit: int = 200) -> list[str]:
    """The errors of an unusable file, one line each naming file, row and column, in ``lang``."""
    errors = problems[problems["severity"] == "error"]
    return [describe_problem(rec, lang) for rec in errors.head(limit).to_dict("records")]


def localised_problems(problems: pd.DataFrame, lang: str) -> pd.DataFrame:
    return localise_problems(problems, lang).drop(columns=["code", "params"], errors="ignore")


def xls_to_xlsx(path: Path) -> Path:
    """An old .xls workbook rewritten beside it as .xlsx (values only, every sheet, dates as dates)."""
    import xlrd
    from openpyxl import Workbook

    try:
        book = xlrd.open_workbook(path)
    except Exception as exc:  # xlrd raises several types for damaged files
        raise InputError(pd.DataFrame([{"severity": "error", "file": path.name, "sheet": None, "row": None,
                                        "column": None, "value": None, "code": None, "params": None,
                                        "message": f"the .xls workbook cannot be read ({exc})"}],
                                      columns=PROBLEM_COLUMNS)) from None
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


# ---------------------------------------------------------------------------- policies, templates, workbooks
def cap_policies() -> list[P.Policy]:
    """The named cap policies, in the engine's order."""
    return P.list()


def policy_choices(lang: str) -> list[tuple[str, str]]:
    """(name, title) of every rule a check may apply, ``auto`` first (the default of ``evalkit check``)."""
    auto = render("explain.auto", lang).splitlines()[0].removeprefix(f"{AUTO}:").strip()
    return [(AUTO, auto)] + [(p.name, p.one_line(lang)) for p in P.list()]


def explainable() -> dict[str, str]:
    """Every regime ``evalkit explain`` knows, with its kind (cap, recruitment, streamlining, rules)."""
    return P.explain_names()


def explain(name: str, lang: str) -> str:
    """`evalkit explain NAME` as text; raises KeyError for an unknown name."""
    kind = P.explain_names().get(name)
    if name == AUTO:
        lines = [render("explain.auto", lang)]
        for pol in P.list():
            for who, start, end in pol.governs:
                lines.append(f"  {pol.name}: " + render("explain.governs", lang, who=render(f"population.{who}", lang),
                                                        start=str(start), end=str(end) if end else "—"))
        return "\n".join(lines)
    if kind == "recruitment":
        return get_recruitment_policy(name).describe(lang)
    if kind == "cap":
        return P.get(name).describe(lang)
    if kind is not None:
        return P.describe_declared(name, lang)
    raise KeyError(name)


def template_bytes(kind: str, lang: str) -> bytes:
    """A blank input workbook (`evalkit template`)."""
    return _to_bytes(lambda p: write_template(p, kind=kind, lang=lang), ".xlsx")


def workbook_bytes(sheets: dict[str, pd.DataFrame]) -> bytes:
    """Tables as an .xlsx in the house style of the reports (the provincial summary)."""
    return _to_bytes(lambda p: write_workbook(sheets, p), ".xlsx")
