"""A whole check as an HR office runs it: read the file, check the cap, propose the calibration,
list ratings above the Decree 90 ceiling and score-band contradictions, apply privacy options.

:func:`check_file` is the engine behind ``evalkit check`` and the web page: both show its
:class:`CheckResult` (tables, workbook, page, JSON) and nothing else.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import dataclass, field
from types import SimpleNamespace

import numpy as np
import pandas as pd

from .. import levels as L
from .. import policies as P
from ..io import InputError, Problems, load_raw, read_any
from ..io.columns import ROSTER_ALIASES, ROSTER_COLUMNS
from ..io.periods import is_period_workbook, read_periods
from ..io.problems import PROBLEM_COLUMNS, localise_problems
from ..io.writers import file_sha256, records, write_workbook
from ..levels import match_key
from ..messages import CATALOGUE, Message, cite, column_label, column_labels, label, percent, render, yes_no
from ..rules.bands import bands_govern, rate_by_score, rate_roster_by_score
from ..rules.eligibility import check_ceilings
from ..version import __version__
from .cap import CapReport, check_cap, enforce_cap, resolve_policies
from .privacy import pseudonym_key, pseudonymize, small_groups, suppress_small
from .results import Result

#: Facts about a person that Decree 90's ceilings read; a roster with none of them is not checked for ceilings.
FACT_COLUMNS = ("months_worked", "leave_months", "disciplined", "maternity_leave", "targets_exceeded_share",
                "on_time_share", "managed_units_completed_share", "managed_units_good_share",
                "tasks_overcompleted_share", "criteria_failed_share")
CALIBRATION_COLUMNS = ("source_row", "person_id", "name", "unit_id", "task_group", "title_group", "score", "level",
                       "level_final", "reason")


@dataclass
class CheckResult(Result):
    """What a person gets back from a check: the cap report, the calibration, the input facts.

    ``calibration`` lists the demotions that are certain; ``council`` the candidates where the cut
    falls inside a tie (or there is no score), for the assessment council to choose; ``roster`` the
    input rows with the rating after calibration.
    """

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
    council: pd.DataFrame | None = None  #: tied candidates: the council chooses who moves
    roster: pd.DataFrame | None = None  #: the input rows with ``level_final`` (rosters, not suppressed)
    sheet: str | None = None
    excellent_total: int = 0  #: people rated excellent in the policy's scope, each counted once
    demotions: int | None = None  #: people who must move (certain + council's), each counted once
    place: str | None = None
    generated_key: bytes | None = None  #: the pseudonymisation key made for this run, when none was given
    title_code = "title"

    @property
    def compliant(self) -> bool | None:
        return self.report.compliant

    def verdict(self, lang: str | None = None) -> str:
        lang = lang or self.lang
        text = self.report.verdict(lang)
        if self.council is not None and len(self.council):
            text += render("verdict.council", lang, groups=self.council_groups(), people=self.council_moves())
        return text

    def council_groups(self) -> int:
        return int(self.council["council_group"].nunique()) if self.council is not None and len(self.council) else 0

    def council_moves(self) -> int:
        if self.council is None or not len(self.council):
            return 0
        return int(self.council.groupby("council_group")["must_move"].first().sum())

    @property
    def problems(self) -> pd.DataFrame:
        p = self.report.problems
        return p if p is not None else pd.DataFrame(columns=PROBLEM_COLUMNS)

    def total_demotions(self) -> int:
        """People who must move to good, each counted once (rosters), else the largest per-scope total (counts)."""
        if self.demotions is not None:
            return self.demotions
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

    def _small(self) -> np.ndarray:
        if not self.suppress_below:
            return np.zeros(len(self.report.groups), dtype=bool)
        return small_groups(self.report.groups, self.suppress_below)

    def tables(self, lang: str | None = None) -> dict[str, pd.DataFrame]:
        """Summary, groups, violations, calibration and council (rosters), the corrected roster, ceilings, problems."""
        lang = lang or self.lang
        groups = self.report.groups.copy()
        groups["fix"] = self.fix_texts(groups, lang)
        if self.report.policy.reference is not None:
            groups["reference"] = cite(self.report.policy.reference, lang)
        small = self._small()
        groups["scope"] = groups["scope"].map(lambda sc: " × ".join(column_label(k, lang) for k in str(sc).split(" × ")))
        if self.suppress_below:
            groups = suppress_small(groups, self.suppress_below, lang)
            groups.loc[small, "fix"] = None  # "demote 2 of 3" would tell the count
        groups = _printable(groups, self.report.policy)
        violations = groups[self.report.groups["compliant"].eq(False).fillna(False).to_numpy()]
        tables = {"summary": self.summary_table(lang), "groups": groups, "violations": violations}
        if self.calibration is not None:
            tables["calibration"] = self.calibration
        if self.council is not None and len(self.council):
            council = self.council.drop(columns=["council_group", "must_move", "candidates"])
            tables["council"] = council
        if self.roster is not None and not self.suppress_below:
            tables["roster"] = self.roster_table(lang)
        if self.ceilings is not None:
            tables["ceilings"] = self.ceilings.assign(ceiling_reason=[  # reasons are catalogue messages
                r.text(lang) if isinstance(r, Message) else r for r in self.ceilings["ceiling_reason"]])
        problems = localise_problems(self.problems, lang).drop(columns=["code", "params"], errors="ignore")
        problems["severity"] = [label_severity(v, lang) for v in problems["severity"]]
        tables["problems"] = problems
        return tables

    def roster_table(self, lang: str) -> pd.DataFrame:
        """The input rows as read, with the rating after calibration, headers as the officer wrote them."""
        if self.roster is None:
            raise ValueError("this result holds no roster (a counts table, or small groups suppressed)")
        r = self.roster.copy()
        headers = self.roster.attrs.get("headers", {})
        yes, no = yes_no(lang)
        for c in r.columns:
            if c in ("level", "level_final"):
                r[c] = [L.label(v, lang) if v in L.LABELS[lang] else v for v in r[c].astype(object)]
            elif str(r[c].dtype) == "boolean" or r[c].dtype == bool:
                r[c] = r[c].map({True: yes, False: no}).astype(object)
        r.attrs = {}
        names = {c: headers.get(c, column_label(c, lang)) for c in r.columns if c not in ("source_row", "level_final")}
        return r.rename(columns=names)

    def method(self, lang: str) -> str:
        """The cap in one sentence: ratio, base, rounding, scopes."""
        pol = self.report.policy
        scopes = render("method.and", lang).join(" × ".join(column_label(c, lang) for c in sc) for sc in pol.scopes)
        return render("method.cap", lang, ratio=percent(pol.require_ratio(), lang),
                      base=render(f"reason.base.{pol.base}", lang), rounding=render(f"method.rounding.{pol.rounding}", lang),
                      scopes=render("method.scopes", lang, scopes=scopes),
                      min_one=render("method.min_one", lang) if pol.min_one else "")

    def citations(self, lang: str) -> str:
        seen = []
        for v in self.report.policy.references:
            text = cite(v.reference, lang, v.status)
            if text not in seen:
                seen.append(text)
        return "; ".join(seen)

    def summary_table(self, lang: str | None = None) -> pd.DataFrame:
        lang = lang or self.lang
        r = self.report
        s = r.summary
        pol = r.policy
        where = self.input_path or "<DataFrame>"
        if self.sheet:
            where = label("in_sheet", lang, file=where, sheet=self.sheet)
        rows = [
            ("verdict", self.verdict(lang)),
            ("policy", pol.title_vi if lang == "vi" else f"{pol.name}: {pol.title_en}"),
            ("method", self.method(lang)),
            ("references", self.citations(lang)),
            ("input", where),
            ("sha256", self.sha256 or ""),
            ("rows", self.input_rows),
            ("kind", render(f"kind.{r.kind}", lang)),
            ("groups_checked", int(s["groups"].sum())),
            ("groups_over", int(s["over_cap"].sum())),
            ("excellent_total", self.excellent_total),
        ]
        rows = [(label(k, lang), v) for k, v in rows]
        for scope, excess in zip(s["scope"], s["excess"], strict=True):
            scope_text = " × ".join(column_label(k, lang) for k in str(scope).split(" × "))
            rows.append((label("excess_scope", lang, scope=scope_text), int(excess)))
        rows.append((label("demotions", lang), self.total_demotions()))
        if self.council is not None and len(self.council):
            rows.append((label("council_groups", lang), self.council_groups()))
        rows += [(label("date", lang), self.checked_on), (label("version", lang), __version__)]
        if len(s) > 1 or int(s["excess"].sum()) != self.total_demotions():
            rows.append((label("notes", lang), label("excess_note", lang, d=self.total_demotions())))
        rows += [(label("notes", lang), note_text(note, lang, pol)) for note in r.notes]
        if self.pseudonymized:
            rows.append((label("notes", lang), label("pseudonym", lang)))
        if self.suppress_below:
            rows.append((label("notes", lang), label("suppressed_note", lang, k=self.suppress_below)))
        return pd.DataFrame(rows, columns=["item", "value"])

    def signature(self, lang: str) -> dict:
        """The block an office signs under the summary: place and date, who prepared it, the head of unit."""
        day = dt.date.fromisoformat(self.checked_on)
        return {"place_date": label("place_date", lang, place=self.place or label("place_blank", lang), day=day.day,
                                    month=day.month, year=day.year),
                "left": (label("signed_by", lang), label("sign_hint", lang)),
                "right": (label("head", lang), label("sign_hint_head", lang))}

    def to_excel(self, path, lang: str | None = None):
        lang = lang or self.lang
        return write_workbook(self.localised_tables(lang), path, status_column=column_labels(lang)["compliant"],
                              verdict=self.compliant, empty_text=label("no_rows", lang), signature=self.signature(lang),
                              bool_words=yes_no(lang))

    def to_json(self, lang: str | None = None) -> str:
        lang = lang or self.lang
        groups = self.report.groups
        small = self._small()
        if self.suppress_below:
            groups = suppress_small(groups, self.suppress_below, lang)
        keep = ["scope"] + self.report.key_columns + ["n_excellent", "n_good", "base", "cap", "excess", "headroom",
                                                      "compliant", "minimal_demotions"] + (
            ["suppressed"] if self.suppress_below else [])
        s = self.report.summary
        # the fix text is blank where a group is too small to show; numpy's stubs reject None as a
        # np.where value, though it is valid for an object array
        fixes = np.where(small, None, self.fix_texts(self.report.groups, lang))  # type: ignore[call-overload]
        group_records = records(groups[keep].assign(fix=fixes))
        calibration = records(self.calibration) if self.calibration is not None else None
        doc = {"compliant": self.compliant, "verdict": self.verdict(lang), "policy": self.report.policy.name,
               "method": self.method(lang), "references": self.citations(lang),
               "input": {"file": self.input_path, "sheet": self.sheet, "sha256": self.sha256, "rows": self.input_rows},
               "totals": {"excellent": self.excellent_total, "demotions": self.total_demotions(),
                          "excess_by_scope": {str(k): int(v) for k, v in zip(s["scope"], s["excess"], strict=True)},
                          "groups_checked": int(s["groups"].sum()), "groups_over": int(s["over_cap"].sum())},
               "groups": group_records,
               "calibration": calibration,
               "council": (records(self.council.drop(columns=["council_group"]))
                           if self.council is not None else None),
               "problems": records(localise_problems(self.problems, lang).drop(columns=["params"])),
               "notes": [note_text(n, lang, self.report.policy) for n in self.report.notes]}
        big = len(group_records) + len(calibration or []) > 2000  # the indenting encoder is pure Python
        return json.dumps(doc, ensure_ascii=False, indent=None if big else 1, default=str)


def _printable(groups: pd.DataFrame, pol: P.Policy) -> pd.DataFrame:
    """The groups without columns that repeat the summary for every row (rule code, citation, the
    policy's own ratio, no exception): the table fits a printed page."""
    drop = ["rule_id"]
    if groups["reference"].astype(str).nunique() <= 1:
        drop.append("reference")
    if groups["exception"].isna().all() or (groups["exception"].astype(str) == "").all():
        drop.append("exception")
    if (groups["ratio"].astype(str) == str(pol.ratio)).all():
        drop.append("ratio")
    return groups.drop(columns=drop)


def policy_name(pol: P.Policy, lang: str) -> str:
    """The policy as a reader names it: its code in English, its legal instrument in Vietnamese."""
    if lang == "vi" and pol.reference is not None:
        return cite(SimpleNamespace(instrument=pol.reference.instrument, article=None), lang)
    return pol.name


def _value_words(text: str, lang: str) -> str:
    """Column names and staff-type codes inside a note (``population ∈ {civil_servant}``) in ``lang``."""
    def word(m):
        w = m.group(0)
        code = f"population.{w}"
        return render(code, lang) if code in CATALOGUE else column_label(w, lang)
    return re.sub(r"[a-z]+(?:_[a-z]+)+|\b(?:population|cadre|True)\b", word, str(text))


def note_text(note: Message, lang: str, policy: P.Policy | None = None) -> str:
    """A note with column names, staff types and the policy in ``lang`` (``unit_id × task_group`` →
    ``Đơn vị × Nhóm nhiệm vụ``, ``civil_servant`` → ``công chức``)."""
    params = dict(note.params)
    for key in ("scope", "missing", "column"):
        if key in params:
            params[key] = ", ".join(" × ".join(column_label(c.strip(), lang) for c in part.split(" × "))
                                    for part in str(params[key]).split(", "))
    for key in ("allowed", "filters", "population", "populations"):
        if key in params:
            params[key] = _value_words(params[key], lang)
    if "policy" in params:
        if policy is not None and params["policy"] == policy.name:
            params["policy"] = policy_name(policy, lang)
        elif params["policy"] in P.names():
            params["policy"] = policy_name(P.get(params["policy"]), lang)
    return render(note.code, lang, **params)


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
    if not len(idx):
        return problems.frame()
    column = frame.attrs.get("headers", {}).get("level", "level")
    scores = frame["score"].to_numpy(dtype=float, na_value=np.nan)[idx]
    distinct, at = np.unique(scores.view(np.int64), return_inverse=True)  # each score (bit for bit) written once
    score_text = np.array([f"{v:g}" for v in distinct.view(np.float64).tolist()], dtype=object)[at.reshape(-1)]
    given_text = given[differ].astype(str)
    problems.add_each(frame["source_row"].to_numpy()[idx], column, given_text, "input.band_contradiction",
                      severity="warning", given=given_text, banded=banded[differ].astype(str), score=score_text)
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


def _in_policy(frame: pd.DataFrame, pol: P.Policy) -> np.ndarray:
    """Rows the policy covers (its ``applies_to`` filters; a missing column covers everyone)."""
    mask = np.ones(len(frame), dtype=bool)
    for col, allowed in pol.applies_to:
        if col in frame.columns:
            values = frame[col].astype("boolean").fillna(False) if col == "is_leader" else frame[col]
            mask &= values.isin(list(allowed)).to_numpy()
    return mask


def council_choices(final: pd.DataFrame, covered: np.ndarray, keys: list[str], lang: str = "en"):
    """Where the proposed demotions are a choice among equals: the candidates and how many must move.

    In each group of ``keys`` with demotions, the cut falls inside a tie when someone kept has the
    score of someone demoted (the highest demoted score); every excellent person with that score
    is a candidate. With no score, every excellent person of the group is. Returns the council
    table (one row per candidate) and the mask of candidates in ``final``.

    >>> final = pd.DataFrame({"person_id": list("abcd"), "unit_id": "U", "score": [95, 91, 91, 80],
    ...                       "level": "EXCELLENT", "demoted": [False, False, True, True]})
    >>> table, mask = council_choices(final, np.ones(4, bool), ["unit_id"])
    >>> table[["person_id", "must_move", "candidates"]].values.tolist(), mask.tolist()
    ([['b', 1, 2], ['c', 1, 2]], [False, True, True, False])
    """
    level = final["level"].astype(object).to_numpy()
    exc = covered & (level == L.EXCELLENT)
    demoted = final["demoted"].to_numpy(dtype=bool)
    mask = np.zeros(len(final), dtype=bool)
    idx = np.flatnonzero(exc)
    empty = pd.DataFrame(columns=["council_group"] + keys + ["person_id", "score", "level", "council", "why",
                                                             "must_move", "candidates"])
    if not len(idx) or not demoted.any():
        return empty, mask
    g = final.iloc[idx].groupby(keys, sort=False, dropna=False, observed=True).ngroup().to_numpy()
    dem = demoted[idx]
    has_score = "score" in final.columns and final["score"].notna().any()
    if has_score:
        score = pd.to_numeric(final["score"], errors="coerce").to_numpy(dtype=float, na_value=np.nan)[idx]
        score = np.where(np.isnan(score), -np.inf, score)
        cut = np.full(g.max() + 1, np.nan)
        np.fmax.at(cut, g[dem], score[dem])
        tied = score == cut[g]
    else:
        tied = np.ones(len(idx), dtype=bool)
    kept_tied = np.bincount(g[tied & ~dem], minlength=g.max() + 1) > 0
    chosen = kept_tied[g] & tied
    if not chosen.any():
        return empty, mask
    must = np.bincount(g[chosen & dem], minlength=g.max() + 1)
    size = np.bincount(g[chosen], minlength=g.max() + 1)
    rows = idx[chosen]
    mask[rows] = True
    cols = [c for c in ["source_row"] + keys + ["person_id", "name", "score", "level"] if c in final.columns]
    table = final.iloc[rows][cols].copy()
    table.insert(0, "council_group", g[chosen])
    table["level"] = table["level"].astype(str)
    k, m = must[g[chosen]], size[g[chosen]]
    must_move, tie = {}, {}  # one text per distinct count and score
    for pair in zip(k.tolist(), m.tolist(), strict=True):
        if pair not in must_move:
            must_move[pair] = render("council.must_move", lang, k=pair[0], m=pair[1])
    table["council"] = [must_move[pair] for pair in zip(k.tolist(), m.tolist(), strict=True)]
    shown = [f"{v:g}" for v in score[chosen].tolist()] if has_score else []
    for v in shown:
        if v not in tie:
            tie[v] = render("council.tie", lang, score=v)
    table["why"] = [tie[v] for v in shown] if has_score else render("council.no_score", lang)
    table["must_move"] = k
    table["candidates"] = m
    order = ["council_group"] + [c for c in table.columns if c != "council_group"]
    table = table[order].sort_values(["council_group"] + (["score"] if has_score else []), kind="stable")
    return table.reset_index(drop=True), mask


def _no_rated_person(frame: pd.DataFrame, kind: str, source) -> bool:
    if kind == "roster":
        return not len(frame) or not frame["level"].isin(list(L.LEVELS)).any()
    rated = [c for c in ("n_excellent", "n_good", "n_completed", "n_not_completed") if c in frame.columns]
    return not len(frame) or not (frame[rated].fillna(0).to_numpy(dtype=np.int64) > 0).any()


def _input_error(frame: pd.DataFrame, code: str, **params) -> InputError:
    p = Problems(**frame.attrs.get("source", {}))
    p.add(code, **params)
    return InputError(p.frame())


def mask_problems(problems: pd.DataFrame, key: bytes) -> pd.DataFrame:
    """Problems with no name or real person id: ids pseudonymised, names and skipped lines blanked."""
    if problems is None or not len(problems):
        return problems
    out = problems.copy()
    canon = out["column"].map(lambda c: ROSTER_ALIASES.get(match_key(str(c))) if isinstance(c, str) else None)
    ids = (canon == "person_id").to_numpy() | (out["code"] == "input.person_twice").to_numpy()
    ids &= out["value"].notna().to_numpy()
    if ids.any():
        out.loc[ids, "value"] = pseudonymize(out.loc[ids, "value"], key).to_numpy()
    personal = (canon == "name").to_numpy() | out["code"].isin(
        ["input.row_skipped_no_required", "input.person_row_incomplete", "input.row_skipped_total"]).to_numpy()
    out.loc[personal & ~ids, "value"] = None
    return out


def check_file(source, policy: str | P.Policy = P.AUTO, *, sheet: str | None = None,
               year: int | None = None, lang: str = "en", pseudonymize_ids: bool = False,
               pseudonym_secret: bytes | None = None, suppress_below: int | None = None,
               merge_similar_units: bool = False, place: str | None = None, **readings) -> CheckResult:
    """Read, check, calibrate: everything ``evalkit check`` reports about one file.

    Raises :class:`~evalkit.io.InputError` when the file cannot be used — including a file with no
    rated person, and a ``year`` the file does not have. With ``pseudonymize_ids`` person ids are
    replaced by a keyed hash (``pseudonym_secret``, else ``EVALKIT_PSEUDONYM_KEY``, else a new key:
    then ``result.generated_key`` holds it) and names are dropped, everywhere (tables, warnings,
    JSON). With ``suppress_below`` groups of fewer people show no count, and the people of those
    groups are left out of the calibration, council and ceilings lists.

    Three excellent and five good: the cap is 1 and two must move; A3 (80) surely does, and one of
    A1 and A2 (both 95), which the council chooses:

    >>> import pandas as pd
    >>> raw = pd.DataFrame({"Mã CB": [f"A{i}" for i in range(1, 9)], "Năm": 2026, "Đơn vị": "U",
    ...                     "Điểm": [95, 95, 80, 75, 75, 75, 75, 75], "Xếp loại": ["HTXSNV"] * 3 + ["HTTNV"] * 5})
    >>> result = check_file(raw)
    >>> result.compliant, result.calibration["person_id"].tolist(), result.council["person_id"].tolist()
    (False, ['A3'], ['A1', 'A2'])
    """
    pol: str | P.Policy
    if isinstance(policy, str) and policy == P.AUTO:
        pol, cap_readings = P.AUTO, readings  # routed by year and population in check_cap (notes name the choice)
    else:
        chosen = P.get(policy, **readings)
        chosen.require_ratio()
        pol, cap_readings = chosen, {}
    raw = None if isinstance(source, pd.DataFrame) else load_raw(source, sheet)  # the file is read once
    periods = raw is not None and is_period_workbook(raw)
    if periods:  # monthly/quarterly scores → exact annual score → band → overrides, then the cap
        frame = rate_roster_by_score(read_periods(source, sheet))
        kind, problems = "roster", frame.evalkit.problems
    else:
        frame, kind, problems = read_any(source if raw is None else raw, merge_similar_units=merge_similar_units)
    n_rows = len(frame)
    if year is not None:
        if "year" not in frame.columns:
            raise _input_error(frame, "input.no_year_column")
        frame = frame[frame["year"] == year]
        if not len(frame):
            raise _input_error(frame, "input.no_year_rows", year=year)
    if _no_rated_person(frame, kind, source):
        raise _input_error(frame, "input.no_rated_person")
    report = check_cap(frame, pol, **cap_readings)
    if periods:
        report.notes.insert(0, Message("note.periods_averaged", {
            "n": str(frame.attrs.get("periods", {}).get("n", "")), "kind": frame["period_kind"].iloc[0] if len(frame) else "",
            "partial": ""}))
    calibration = ceilings = council = roster = None
    excellent = 0
    demotions = None
    if kind == "roster":
        covered = np.zeros(len(frame), dtype=bool)
        for regime, rows in resolve_policies(frame, pol, cap_readings, []):
            covered |= _in_policy(frame, regime) & (True if rows is None else rows)
        excellent = int((covered & (frame["level"].astype(object) == L.EXCELLENT).to_numpy()).sum())
        final = enforce_cap(frame, pol, lang=lang, **cap_readings)
        demotions = int(final["demoted"].sum())
        keys = (["year"] if "year" in final.columns else []) + [
            c for c in dict.fromkeys(c for sc in report.policy.scopes for c in sc) if c in final.columns]
        council, tied = council_choices(final, covered, keys, lang)
        cols = [c for c in CALIBRATION_COLUMNS if c in final.columns]
        calibration = final.loc[final["demoted"].to_numpy() & ~tied, cols].reset_index(drop=True)
        calibration["level"] = calibration["level"].astype(str)
        calibration["level_final"] = calibration["level_final"].astype(str)
        roster = final.drop(columns=["demoted", "reason"])
        roster["level_final"] = roster["level_final"].astype(object).where(~tied, render("council.level_final", lang))
        roster.attrs = {"headers": frame.attrs.get("headers", {})}
        ceilings = above_ceilings(frame)
        bands = band_contradictions(frame)
        if len(bands):
            problems = pd.concat([problems, bands], ignore_index=True) if problems is not None and len(problems) \
                else bands
    else:
        s = report.summary
        excellent = int(s["n_excellent"].iloc[0]) if len(s) else 0
    generated_key = None
    if pseudonymize_ids:
        key = pseudonym_secret
        if key is None:
            key, generated = pseudonym_key()
            generated_key = key if generated else None
        for table in (calibration, ceilings, council):
            if table is not None and len(table):
                table["person_id"] = pseudonymize(table["person_id"], key).to_numpy()
        calibration, ceilings, council = (t.drop(columns=["name"], errors="ignore") if t is not None else None
                                          for t in (calibration, ceilings, council))
        if roster is not None:
            known = [c for c in roster.columns if c in ROSTER_COLUMNS or c in ("source_row", "level_final")]
            roster = roster[[c for c in known if c != "name"]].copy()
            roster.attrs = {"headers": frame.attrs.get("headers", {})}
            roster["person_id"] = pseudonymize(roster["person_id"], key).to_numpy()
        problems = mask_problems(problems, key)
    if suppress_below:
        small = small_groups(report.groups, suppress_below)
        calibration, ceilings, council = (_drop_hidden(t, report, small) for t in (calibration, ceilings, council))
        roster = None
    report.problems = problems
    path = source if isinstance(source, (str, bytes)) or hasattr(source, "__fspath__") else None
    result = CheckResult(report, calibration, str(path) if path is not None else None, n_rows,
                         file_sha256(path) if path is not None else None, lang, pseudonymize_ids, suppress_below,
                         ceilings=ceilings, council=council, roster=roster,
                         sheet=frame.attrs.get("source", {}).get("sheet"), excellent_total=excellent,
                         demotions=demotions, place=place, generated_key=generated_key)
    return result


def _drop_hidden(table: pd.DataFrame | None, report: CapReport, small: np.ndarray) -> pd.DataFrame | None:
    """``table`` without the people of suppressed groups (their rows would tell the group's size)."""
    if table is None or not len(table) or not small.any():
        return table
    hide = np.zeros(len(table), dtype=bool)
    groups = report.groups[small]
    for _, part in groups.groupby("scope", sort=False, observed=True):
        keys = [k for k in report.key_columns if part[k].notna().all() and k in table.columns]
        if not keys:
            hide[:] = True  # cannot tell which people belong to a hidden group: hide them all
            continue
        hidden = part[keys].astype(str).drop_duplicates().assign(_hidden=True)
        m = table[keys].astype(str).merge(hidden, on=keys, how="left")["_hidden"].fillna(False).to_numpy(dtype=bool)
        hide |= m
    return table[~hide].reset_index(drop=True)


__all__ = ["CheckResult", "Message", "above_ceilings", "band_contradictions", "check_file", "council_choices", "note_text",
           "policy_name",
           "mask_problems"]
