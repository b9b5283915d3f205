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
from ..compliance import check_file
from ..compliance.check import CheckResult as EngineResult
from ..io import InputError, describe_problem, localise_problems
from ..io.writers import write_workbook
from ..messages import cite, label, render
from ..report import write_template
from ..rules.recruitment import get_recruitment_policy

__all__ = ["AUTO", "CheckResult", "InputError", "PolicyError", "check_upload", "cap_policies", "policy_choices",
           "explainable", "explain", "template_bytes", "describe_problem", "problem_lines", "workbook_bytes"]

PolicyError = P.PolicyError
AUTO = P.AUTO  #: the rule chosen per row by year and staff type, as ``evalkit check`` does by default
LEVEL_COUNT_COLUMNS = ("n_excellent", "n_good", "n_completed", "n_not_completed", "n_not_rated")
_LEVEL_GROUPS = ((L.EXCELLENT,), (L.GOOD,), (L.COMPLETED, L.COMPLETED_LIMITED), (L.NOT_COMPLETED,), (L.NOT_RATED,))


@dataclass
class CheckResult:
    """What one checked file gives: verdict, numbers, tables and the writers of its three downloads."""

    output: EngineResult                     #: the engine's result (the same object ``evalkit check`` shows)
    _tables: dict[str, pd.DataFrame] | None = field(default=None, repr=False)

    @property
    def kind(self) -> str:
        """'roster' or 'counts'."""
        return self.output.report.kind

    @property
    def level_counts(self) -> dict[str, int]:
        """People per level (rosters: every row read, COMPLETED_LIMITED counted as completed; counts
        tables: the counts summed over one scope's groups, unknown counts as 0)."""
        if self.kind == "roster" and self.output.roster is not None:
            counts = L.as_levels(self.output.roster["level"]).value_counts()
            return {col: int(sum(counts.get(c, 0) for c in group))
                    for col, group in zip(LEVEL_COUNT_COLUMNS, _LEVEL_GROUPS, strict=True)}
        groups = self.output.report.groups
        first = groups[groups["scope"] == groups["scope"].iloc[0]] if len(groups) else groups
        return {c: int(pd.to_numeric(first[c], errors="coerce").fillna(0).sum()) if c in first.columns else 0
                for c in LEVEL_COUNT_COLUMNS}

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
        """Whether the corrected roster can be given (rosters; the engine omits it when small groups are blanked)."""
        return self.output.roster is not None and not self.output.suppress_below

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
        """Candidates where the cut falls inside a tie (or there is no score): the council chooses."""
        return self.tables().get("council")

    @property
    def problems(self) -> pd.DataFrame:
        return self.output.problems

    @property
    def notes(self) -> list[str]:
        return [n.text(self.lang) if hasattr(n, "text") else str(n) for n in self.output.report.notes]

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
        council (ties), roster (corrected), ceilings, problems — those the engine gives for this file."""
        if self._tables is None:
            canonical = {}
            for name in ("summary", "groups", "violations", "calibration", "council", "roster", "ceilings", "problems"):
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
                "level_counts": self.level_counts, "citation": self.citation(), "notes": self.notes}

    # ------------------------------------------------------------------ downloads (bytes, nothing kept on disk)
    def annotated_workbook(self) -> bytes:
        """The Excel report of ``evalkit check --out x.xlsx``."""
        return _to_bytes(lambda p: self.output.to_excel(p), ".xlsx")

    def html_report(self) -> bytes:
        """The self-contained HTML report of ``evalkit check --out x.html``."""
        return _to_bytes(lambda p: self.output.to_html(p), ".html")

    def corrected_roster(self) -> bytes:
        """The input rows with the rating after calibration (rosters), as the engine gives them."""
        if not self.has_roster:
            raise ValueError("no corrected roster: a counts table, or small groups blanked")
        sheet = "Danh sách sau điều chỉnh" if self.lang == "vi" else "Roster after calibration"
        return _to_bytes(lambda p: write_workbook({sheet: self.tables()["roster"]}, p,
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
        # a pseudonym key per request unless the operator set EVALKIT_PSEUDONYM_KEY (never printed or kept)
        key = secrets.token_bytes(16) if pseudonymize_ids and not os.environ.get("EVALKIT_PSEUDONYM_KEY") else None
        out = check_file(path, policy, sheet=sheet, year=year, lang=lang, pseudonymize_ids=pseudonymize_ids,
                         pseudonym_secret=key, suppress_below=suppress_below)
    except InputError as exc:
        codes = set(exc.problems.loc[exc.problems["severity"] == "error", "code"])
        if codes in ({"input.no_year_column"}, {"input.no_year_rows"}):  # the form's year, in the form's words
            raise ValueError("no_year_column" if codes == {"input.no_year_column"} else "no_rows_for_year") from None
        raise InputError(exc.problems.assign(file=name)) from None
    out.input_path = name
    if out.report.problems is not None:
        out.report.problems = out.report.problems.assign(file=name)
    return CheckResult(out)


def problem_lines(problems: pd.DataFrame, lang: str, limit: int = 200) -> list[str]:
    """The errors of an unusable file, one line each naming file, row and column, in ``lang``."""
    errors = problems[problems["severity"] == "error"]
    return [describe_problem(rec, lang) for rec in errors.head(limit).to_dict("records")]


def localised_problems(problems: pd.DataFrame, lang: str) -> pd.DataFrame:
    return localise_problems(problems, lang).drop(columns=["code", "params"], errors="ignore")


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
                lines.append(f"  {pol.name}: " + P.governs_text(who, start, end, lang))
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
