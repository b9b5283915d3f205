"""A whole check as an HR office runs it: read the file, check the cap, propose the calibration,
list ratings above the Decree 90 ceiling and score-band contradictions, apply privacy options.

:func:`check_file` is the engine behind ``evalkit check`` and the web page: both show its
:class:`CheckResult` (tables, workbook, page, JSON) and nothing else.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .. import levels as L
from .. import policies as P
from ..io import Problems, read_any
from ..io.periods import is_period_workbook, read_periods
from ..io.problems import PROBLEM_COLUMNS, localise_problems
from ..io.writers import file_sha256, records
from ..messages import CATALOGUE, Message, column_label, label, render
from ..rules.bands import bands_govern, rate_by_score, rate_roster_by_score
from ..rules.eligibility import check_ceilings
from .cap import CapReport, check_cap, enforce_cap
from .privacy import pseudonym_key, pseudonymize, suppress_small
from ..version import __version__
from .results import Result

#: Facts about a person that Decree 90's ceilings read; a roster with none of them is not checked for ceilings.
FACT_COLUMNS = ("months_worked", "leave_months", "disciplined", "maternity_leave", "targets_exceeded_share",
                "on_time_share", "managed_units_completed_share", "managed_units_good_share",
                "tasks_overcompleted_share", "criteria_failed_share")
CALIBRATION_COLUMNS = ("source_row", "person_id", "name", "unit_id", "task_group", "title_group", "score", "level",
                       "level_final", "reason")


@dataclass
class CheckResult(Result):
    """What a person gets back from a check: the cap report, the calibration, the input facts."""

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
    generated_key: bytes | None = None  #: the pseudonymisation key made for this run, when none was given
    title_code = "title"

    @property
    def compliant(self) -> bool | None:
        return self.report.compliant

    def verdict(self, lang: str | None = None) -> str:
        return self.report.verdict(lang or self.lang)

    @property
    def problems(self) -> pd.DataFrame:
        p = self.report.problems
        return p if p is not None else pd.DataFrame(columns=PROBLEM_COLUMNS)

    def total_demotions(self) -> int:
        """Demotions in the proposed calibration (rosters), else the largest per-scope total (counts)."""
        if self.calibration is not None:
            return int(len(self.calibration))
        per_scope = self.report.summary["minimal_demotions"]
        return int(per_scope.max()) if len(per_scope) else 0

    def fix_texts(self, groups: pd.DataFrame, lang: str) -> np.ndarray:
        """"To comply" per group: compliant, unknown, or how many of how many excellent to demote."""
        before, middle_after = label("fix_text", lang, n="\0", e="\1").split("\0")
        middle, after = middle_after.split("\1")
        demote = (before + groups["minimal_demotions"].astype(str) + middle + groups["n_excellent"].astype(str)
                  + after).to_numpy(dtype=object)
        comp = groups["compliant"]
        return np.where(comp.isna().to_numpy(), label("unknown_text", lang),
                        np.where(comp.fillna(False).to_numpy(dtype=bool), label("ok_text", lang), demote))

    def tables(self, lang: str | None = None) -> dict[str, pd.DataFrame]:
        """Summary, groups, violations, calibration (rosters), ceilings (when the file has facts), problems."""
        lang = lang or self.lang
        groups = self.report.groups.copy()
        groups["fix"] = self.fix_texts(groups, lang)
        groups["scope"] = groups["scope"].map(lambda sc: " × ".join(column_label(k, lang) for k in str(sc).split(" × ")))
        if self.suppress_below:
            groups = suppress_small(groups, self.suppress_below, lang)
        violations = groups[self.report.groups["compliant"].eq(False).fillna(False).to_numpy()]
        tables = {"summary": self.summary_table(lang), "groups": groups, "violations": violations}
        if self.calibration is not None:
            tables["calibration"] = self.calibration
        if self.ceilings is not None:
            tables["ceilings"] = self.ceilings.assign(ceiling_reason=[  # reasons are catalogue messages
                r.text(lang) if isinstance(r, Message) else r for r in self.ceilings["ceiling_reason"]])
        problems = localise_problems(self.problems, lang).drop(columns=["code", "params"], errors="ignore")
        problems["severity"] = [label_severity(v, lang) for v in problems["severity"]]
        tables["problems"] = problems
        return tables

    def summary_table(self, lang: str | None = None) -> pd.DataFrame:
        lang = lang or self.lang
        r = self.report
        s = r.summary
        pol = r.policy
        readings = (f"ratio={pol.ratio}, base={pol.base}, rounding={pol.rounding}, min_one={pol.min_one}, "
                    f"timing={pol.timing}, scopes={' AND '.join(' × '.join(x) for x in pol.scopes)}")
        rows = [
            ("verdict", r.verdict(lang)),
            ("policy", f"{pol.name}: {pol.title_vi if lang == 'vi' else pol.title_en}"),
            ("readings", readings),
            ("references", "; ".join(f"{v.name}: {v.reference} [{v.status}]" for v in pol.references)),
            ("input", self.input_path or "<DataFrame>"),
            ("sha256", self.sha256 or ""),
            ("rows", self.input_rows),
            ("kind", r.kind),
            ("groups_checked", int(s["groups"].sum())),
            ("groups_over", int(s["over_cap"].sum())),
            ("excess", int(s["excess"].sum())),
            ("demotions", self.total_demotions()),
            ("date", self.checked_on),
            ("version", __version__),
        ]
        rows = [(label(k, lang), v) for k, v in rows]
        rows += [(label("notes", lang), note.text(lang)) for note in r.notes]
        if self.pseudonymized:
            rows.append((label("notes", lang), label("pseudonym", lang)))
        return pd.DataFrame(rows, columns=["item", "value"])

    def to_json(self, lang: str | None = None) -> str:
        lang = lang or self.lang
        groups = self.report.groups
        if self.suppress_below:
            groups = suppress_small(groups, self.suppress_below, lang)
        keep = ["scope"] + self.report.key_columns + ["n_excellent", "n_good", "base", "cap", "excess", "headroom",
                                                      "compliant", "minimal_demotions"] + (
            ["suppressed"] if self.suppress_below else [])
        doc = {"compliant": self.compliant, "policy": self.report.policy.name, "groups": records(groups[keep]),
               "problems": records(localise_problems(self.problems, lang).drop(columns=["params"])),
               "notes": [n.text(lang) for n in self.report.notes]}
        return json.dumps(doc, ensure_ascii=False, indent=1, default=str)


def label_severity(value: str, lang: str) -> str:
    """'error' / 'warning' in ``lang``."""
    code = f"severity.{value}"
    return render(code, lang) if code in CATALOGUE else value


def band_contradictions(frame: pd.DataFrame) -> pd.DataFrame:
    """Warnings for ratings that differ from the Decree 335 score band with no recorded override."""
    problems = Problems(**frame.attrs.get("source", {}))
    if "score" not in frame.columns:
        return problems.frame()
    has = ~np.isnan(frame["score"].to_numpy(dtype=float, na_value=np.nan)) & frame["level"].notna().to_numpy()
    has &= frame["level"].isin(list(L.LEVELS)).to_numpy()
    has &= bands_govern(frame)  # the Decree 335 bands only where in force (civil servants from 2026)
    if not has.any():
        return problems.frame()
    flags = {k: frame[k].to_numpy()[has] for k in ("disciplined", "is_leader", "degradation", "unit_corruption")
             if k in frame.columns}
    # the overrides the file records (discipline, …) explain a NOT_COMPLETED: no warning for those
    banded = rate_by_score(frame["score"].to_numpy()[has], **flags).astype(object).to_numpy()
    given = frame["level"].astype(object).to_numpy()[has]
    differ = banded != given
    idx = np.flatnonzero(has)[differ]
    column = frame.attrs.get("headers", {}).get("level", "level")
    for i, b in zip(idx, banded[differ], strict=True):
        problems.add("input.band_contradiction", row=int(frame["source_row"].iloc[i]), column=column,
                     value=frame["level"].iloc[i], severity="warning", given=str(frame["level"].iloc[i]),
                     banded=str(b), score=f"{frame['score'].iloc[i]:g}")
    return problems.frame()


def above_ceilings(frame: pd.DataFrame) -> pd.DataFrame | None:
    """Ratings above the Decree 90 ceiling the file's own facts allow (None when it records no facts)."""
    if not any(c in frame.columns for c in FACT_COLUMNS):
        return None
    flagged = check_ceilings(frame)
    flagged = flagged[flagged["above_ceiling"]]
    cols = [c for c in ("source_row", "person_id", "name", "unit_id", "level", "ceiling", "ceiling_reason")
            if c in flagged.columns]
    out = flagged[cols].reset_index(drop=True)
    for c in ("level", "ceiling"):
        out[c] = out[c].astype(str)
    return out


def check_file(source, policy: str | P.Policy = P.AUTO, *, sheet: str | None = None,
               year: int | None = None, lang: str = "en", pseudonymize_ids: bool = False,
               pseudonym_secret: bytes | None = None, suppress_below: int | None = None,
               **readings) -> CheckResult:
    """Read, check, calibrate: everything ``evalkit check`` reports about one file.

    Raises :class:`~evalkit.io.InputError` when the file cannot be used and ``ValueError`` for a
    ``year`` the file does not have. With ``pseudonymize_ids`` person ids are replaced by a keyed
    hash (``pseudonym_secret``, else ``EVALKIT_PSEUDONYM_KEY``, else a new key: then
    ``result.generated_key`` holds it) and names are dropped.
    """
    pol: str | P.Policy
    if isinstance(policy, str) and policy == P.AUTO:
        pol, cap_readings = P.AUTO, readings  # routed by year and population in check_cap (notes name the choice)
    else:
        chosen = P.get(policy, **readings)
        chosen.require_ratio()
        pol, cap_readings = chosen, {}
    periods = not isinstance(source, pd.DataFrame) and is_period_workbook(source, sheet)
    if periods:  # monthly/quarterly scores → exact annual score → band → overrides, then the cap
        frame = rate_roster_by_score(read_periods(source, sheet))
        kind, problems = "roster", frame.evalkit.problems
    else:
        frame, kind, problems = read_any(source, sheet)
    n_rows = len(frame)
    if year is not None:
        if "year" not in frame.columns:
            raise ValueError(f"{source}: --year given but the file has no year column")
        frame = frame[frame["year"] == year]
        if not len(frame):
            raise ValueError(f"{source}: no rows for year {year}")
    report = check_cap(frame, pol, **cap_readings)
    if periods:
        report.notes.insert(0, Message("note.periods_averaged", {
            "n": str(frame.attrs.get("periods", {}).get("n", "")), "kind": frame["period_kind"].iloc[0] if len(frame) else "",
            "partial": ""}))
    calibration = ceilings = None
    if kind == "roster":
        final = enforce_cap(frame, pol, **cap_readings)
        cols = [c for c in CALIBRATION_COLUMNS if c in final.columns]
        calibration = final.loc[final["demoted"], cols].reset_index(drop=True)
        calibration["level"] = calibration["level"].astype(str)
        calibration["level_final"] = calibration["level_final"].astype(str)
        ceilings = above_ceilings(frame)
        bands = band_contradictions(frame)
        if len(bands):
            problems = pd.concat([problems, bands], ignore_index=True) if problems is not None and len(problems) \
                else bands
    report.problems = problems
    generated_key = None
    if pseudonymize_ids:
        key = pseudonym_secret
        if key is None:
            key, generated = pseudonym_key()
            generated_key = key if generated else None
        for table in (calibration, ceilings):
            if table is not None and len(table):
                table["person_id"] = pseudonymize(table["person_id"], key)
        calibration = calibration.drop(columns=["name"], errors="ignore") if calibration is not None else None
        ceilings = ceilings.drop(columns=["name"], errors="ignore") if ceilings is not None else None
        if problems is not None and len(problems):
            pid_mask = (problems["code"] == "input.person_twice").to_numpy()
            problems.loc[pid_mask, "value"] = pseudonymize(problems.loc[pid_mask, "value"], key)
    path = source if isinstance(source, (str, bytes)) or hasattr(source, "__fspath__") else None
    return CheckResult(report, calibration, str(path) if path is not None else None, n_rows,
                       file_sha256(path) if path is not None else None, lang, pseudonymize_ids, suppress_below,
                       ceilings=ceilings, generated_key=generated_key)


__all__ = ["CheckResult", "Message", "above_ceilings", "band_contradictions", "check_file"]
