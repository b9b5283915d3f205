"""Recruitment quotas: the limits on new hires that streamlining and retirement free, exactly.

Resolution 39-NQ/TW limits new recruitment by the posts freed by streamlining and by retirement
or resignation; Decree 113/2018's wording pools the two counts before taking the share (the
default reading, ``pool_sources``); Quảng Ninh reserves part of the quota left after streamlining
for high-quality candidates. The named policies are declared in ``params/policies/recruitment.yaml``
and every open reading is a field of :class:`RecruitmentPolicy`.

>>> plan = pd.DataFrame({"unit_id": ["A"], "year": [2026], "payroll_start": [100],
...     "freed_streamlining": [5], "freed_retirement": [3], "freed_resignation": [1], "planned_hires": [5]})
>>> recruitment_limits(plan, get_recruitment_policy())[["limit", "holds", "over_by"]].to_dict("records")
[{'limit': 4, 'holds': False, 'over_by': 1}]

Cumulative reading: one over-hire leaves no room later, never a negative limit.

>>> plan = pd.DataFrame({"unit_id": "A", "year": [2024, 2025, 2026], "payroll_start": 100,
...     "freed_streamlining": [10, 0, 0], "freed_retirement": [0, 4, 1], "freed_resignation": 0,
...     "planned_hires": [9, 0, 0]})
>>> t = recruitment_limits(plan, get_recruitment_policy(freed_posts="cumulative"))
>>> t[["limit", "holds", "earlier_over_hire"]].to_dict("list")
{'limit': [5, 0, 0], 'holds': [False, True, True], 'earlier_over_hire': [0, 2, 2]}
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

import numpy as np
import pandas as pd

from ..messages import LocalisedError, Message, cite, date_text, render
from ..parameters import ParameterValue, as_date, load
from ..policies import policy_file, reading_text

#: The count columns of a recruitment plan.
PLAN_COUNT_FIELDS = ["payroll_start", "freed_streamlining", "freed_retirement", "freed_resignation", "planned_hires",
                     "planned_high_quality"]

ROUNDINGS = ("floor", "half_up", "ceil")


class RecruitmentPolicyError(LocalisedError):
    """A recruitment policy name or reading that does not exist: ``str(exc)`` English, ``exc.text(lang)``."""


def _problem(code: str, **params) -> Message:
    return Message(f"policy.{code}", params)


@dataclass(frozen=True)
class RecruitmentPolicy:
    """Readings of the recruitment rules; every open point of the rule is a field (docs/rules/recruitment.md).

    Declared in ``params/policies/recruitment.yaml``: each reading names a parameter, looked up at
    the plan's date. ``round_each`` is the old name of ``not pool_sources``.
    """

    name: str
    titles: tuple[str, str]
    share_of_streamlined: Fraction
    share_of_retired: Fraction
    resignations_count: bool = True  #: do resignations free posts like retirements?
    freed_posts: str = "same_year"  #: 'same_year' or 'cumulative' (unused allowance carries over)
    pooling: str = "per_unit"  #: 'per_unit' or 'pooled' (one province-wide limit per year)
    rounding: str = "floor"  #: rounding of the share of an odd count
    pool_sources: bool = True  #: pool streamlined and retired posts before taking the share (Decree 113/2018)
    high_quality_share: Fraction | None = None  #: share of the quota reserved for high-quality candidates
    high_quality_rounding: str = "half_up"
    high_quality_reserve_on: str = "limit"  #: the reserve is a share of the 'limit' or of the 'planned_hires'
    article: tuple[str, str] = ("", "")
    references: tuple[ParameterValue, ...] = field(default=(), compare=False)
    sources: tuple[tuple[str, ParameterValue], ...] = field(default=(), compare=False)

    READINGS = ("share_of_streamlined", "share_of_retired", "resignations_count", "freed_posts", "pooling",
                "rounding", "pool_sources", "high_quality_share", "high_quality_rounding", "high_quality_reserve_on")

    @property
    def title_en(self) -> str:
        return self.titles[0]

    @property
    def title_vi(self) -> str:
        return self.titles[1]

    @property
    def round_each(self) -> bool:
        """Each source's share rounded on its own (the opposite of ``pool_sources``)."""
        return not self.pool_sources

    def replace(self, **readings) -> "RecruitmentPolicy":
        if "round_each" in readings:
            readings["pool_sources"] = not readings.pop("round_each")
        problems = []
        for k, v in readings.items():
            if k not in self.READINGS:
                problems.append(_problem("unknown_reading", key=k, known=", ".join(self.READINGS)))
            elif k in ("rounding", "high_quality_rounding") and v not in ROUNDINGS:
                problems.append(_problem("not_one_of", key=k, value=v, choices=", ".join(ROUNDINGS)))
            elif k == "freed_posts" and v not in ("same_year", "cumulative"):
                problems.append(_problem("not_one_of", key=k, value=v, choices="same_year, cumulative"))
            elif k == "pooling" and v not in ("per_unit", "pooled"):
                problems.append(_problem("not_one_of", key=k, value=v, choices="per_unit, pooled"))
            elif k == "high_quality_reserve_on" and v not in ("limit", "planned_hires"):
                problems.append(_problem("not_one_of", key=k, value=v, choices="limit, planned_hires"))
            elif k in ("resignations_count", "pool_sources") and not isinstance(v, bool):
                problems.append(_problem("not_bool", key=k, value=v))
            elif k in ("share_of_streamlined", "share_of_retired", "high_quality_share") and v is not None:
                if isinstance(v, float):
                    problems.append(_problem("float_fraction_short", key=k, value=v))
        if problems:
            raise RecruitmentPolicyError(_problem("invalid_readings", name=self.name, problems=problems))
        conv: dict[str, Any] = {k: (Fraction(v) if "share" in k and k != "share_kind" else v) if v is not None else None
                for k, v in readings.items()}
        return dataclasses.replace(self, **conv)

    def summary(self, lang: str = "en") -> str:
        """The rule in words, built from its readings."""
        text = render("recruitment.summary", lang, share_s=_pct(self.share_of_streamlined),
                      share_r=_pct(self.share_of_retired),
                      resign=render("recruitment.resignations", lang) if self.resignations_count else "",
                      pooled=render("recruitment.pooled" if self.pool_sources else "recruitment.separate", lang),
                      freed=render(f"recruitment.freed.{self.freed_posts}", lang))
        if self.high_quality_share is not None:
            text += render("recruitment.hq", lang, share=_pct(self.high_quality_share),
                           on=render(f"reading.high_quality_reserve_on.{self.high_quality_reserve_on}", lang))
        return text

    def describe(self, lang: str = "en") -> str:
        """Title, article, status, the rule in words, each reading with its source (evalkit defaults marked)."""
        statuses = {v.status for v in self.references}
        status = next((s for s in ("to_verify", "single", "confirmed") if s in statuses), "default")
        lines = [f"{self.name}: {self.title_vi if lang == 'vi' else self.title_en}",
                 render("explain.article", lang, article=self.article[1] if lang == "vi" else self.article[0]),
                 render("explain.status", lang, status=render(f"status.{status}", lang)), "", self.summary(lang), "",
                 render("explain.readings", lang)]
        given = dict(self.sources)
        for k in self.READINGS:
            src = given.get(k)
            origin = (render("explain.evalkit_default", lang) if src is not None and src.status == "default" else
                      render("explain.from_source", lang, ref=cite(src.reference, lang),
                             status=render(f"status.{src.status}", lang)) if src is not None
                      else render("explain.set_here", lang))
            lines.append(f"  {render(f'reading.name.{k}', lang)} ({k}) = {reading_text(k, getattr(self, k), lang)}  ({origin})")
        lines += ["", render("explain.sources", lang)]
        for ref in self.references:
            lines.append(render("explain.parameter", lang, name=ref.name, ref=cite(ref.reference, lang),
                                value=reading_text(ref.name.rsplit(".", 1)[-1], ref.value, lang),
                                status=render(f"status.{ref.status}", lang), start=date_text(ref.start, lang)))
        return "\n".join(lines)


def _pct(share: Fraction) -> str:
    pct = share * 100
    return f"{pct.numerator}%" if pct.denominator == 1 else str(share)


def _declared() -> dict:
    return policy_file("recruitment")


def recruitment_policy_names() -> list[str]:
    return sorted(_declared())


def get_recruitment_policy(name: str | RecruitmentPolicy = "resolution-39-2015", date=None,
                           **readings) -> RecruitmentPolicy:
    """A declared recruitment policy with its parameters as in force on ``date`` (default: its start)."""
    if isinstance(name, RecruitmentPolicy):
        return name.replace(**readings) if readings else name
    if name not in _declared():
        raise RecruitmentPolicyError(_problem("unknown_recruitment", name=name,
                                                       known=", ".join(recruitment_policy_names())))
    spec = _declared()[name]
    start = as_date(spec["from"])
    day = max(as_date(date), start) if date is not None else start
    tree = load()
    sources = tuple((k, tree.value(param, day)) for k, param in spec["readings"].items())
    pol = RecruitmentPolicy(name, (spec["title"]["en"], spec["title"]["vi"]),
                            article=(spec["article"]["en"], spec["article"]["vi"]),
                            references=tuple(v for _, v in sources if v.status != "default"), sources=sources,
                            **dict[str, Any]({k: v.value for k, v in sources}))
    return pol.replace(**readings) if readings else pol


def _round(num: np.ndarray, den: int, how: str) -> np.ndarray:
    num = np.asarray(num, dtype=np.int64)
    if how == "floor":
        return num // den
    if how == "ceil":
        return -((-num) // den)
    return (2 * num + den) // (2 * den)


def share_of(count, share: Fraction, how: str) -> np.ndarray:
    """``share × count`` rounded, exactly. >>> share_of(np.array([5, 4]), Fraction(1, 2), 'floor').tolist()
    [2, 2]
    """
    return _round(np.asarray(count, dtype=np.int64) * share.numerator, share.denominator, how)


class WhyText(tuple):
    """The messages that explain one plan row; ``str()`` gives English, :meth:`text` any language."""

    def text(self, lang: str = "en") -> str:
        return "; ".join(m.text(lang) for m in self)

    def __str__(self) -> str:
        return self.text("en")

    def __contains__(self, item) -> bool:  # "not high-quality" in why
        return item in str(self) if isinstance(item, str) else tuple.__contains__(self, item)


def recruitment_limits(plan: pd.DataFrame, pol: RecruitmentPolicy) -> pd.DataFrame:
    """Limits per plan row, whether each holds, by how much not, and why.

    Columns added: ``freed_for_retirement`` (retirements, plus resignations when they count),
    ``allowance_streamlining``, ``allowance_retirement``, ``limit`` (this year's, carried over under the
    ``cumulative`` reading), ``over_by``, ``holds``; with a high-quality reservation,
    ``reserved_high_quality`` and ``non_hq_limit``; and ``why``.
    """
    df = plan.copy()
    if "planned_high_quality" not in df.columns:
        df["planned_high_quality"] = 0 if pol.high_quality_share is None else pd.NA
    if pol.pooling == "pooled":
        agg = {c: "sum" for c in PLAN_COUNT_FIELDS if c in df.columns}
        df = df.groupby("year", as_index=False, sort=True).agg(agg)
        df.insert(0, "unit_id", "(pooled)")
    df = df.sort_values(["unit_id", "year"], kind="stable").reset_index(drop=True)
    S = df["freed_streamlining"].to_numpy(dtype=np.int64)
    R = df["freed_retirement"].to_numpy(dtype=np.int64) + (
        df["freed_resignation"].to_numpy(dtype=np.int64) if pol.resignations_count else 0)
    H = df["planned_hires"].to_numpy(dtype=np.int64)
    a_s = share_of(S, pol.share_of_streamlined, pol.rounding)
    a_r = share_of(R, pol.share_of_retired, pol.rounding)
    pooled = pol.pool_sources and pol.share_of_streamlined == pol.share_of_retired
    yearly = share_of(S + R, pol.share_of_streamlined, pol.rounding) if pooled else a_s + a_r
    deficit = np.zeros(len(df), dtype=np.int64)
    if pol.freed_posts == "cumulative":
        # allowance to date (pooled: the share of all posts freed to date, rounded once) less earlier hires;
        # an earlier over-hire leaves no room, never a negative limit
        unit = df["unit_id"]
        if pooled:
            freed_to_date = pd.Series(S + R).groupby(unit).cumsum().to_numpy()
            cum_allow = share_of(freed_to_date, pol.share_of_streamlined, pol.rounding)
        else:
            cum_allow = pd.Series(yearly).groupby(unit).cumsum().to_numpy()
        prev_hires = (pd.Series(H).groupby(unit).cumsum() - H).to_numpy()
        room = cum_allow - prev_hires
        deficit = np.maximum(-room, 0)
        limit = np.maximum(room, 0)
    else:
        limit = yearly
    df["freed_for_retirement"] = R
    df["allowance_streamlining"] = a_s
    df["allowance_retirement"] = a_r
    df["limit"] = limit
    df["earlier_over_hire"] = deficit
    df["over_by"] = np.maximum(H - limit, 0)
    holds = H <= limit
    why = [[Message("recruitment.holds", {"hires": int(h), "limit": int(lim)}) if h <= lim else
            Message("recruitment.exceeds", {"hires": int(h), "limit": int(lim), "over": int(h - lim)})]
           for h, lim in zip(H, limit, strict=True)]
    for i in np.flatnonzero(deficit > 0):
        why[i].append(Message("recruitment.deficit", {"deficit": int(deficit[i])}))
    if pol.high_quality_share is not None:
        quota = np.maximum(limit, 0) if pol.high_quality_reserve_on == "limit" else H
        reserved = share_of(quota, pol.high_quality_share, pol.high_quality_rounding)
        hq = df["planned_high_quality"]
        known = hq.notna().to_numpy()
        hq_v = hq.fillna(0).to_numpy(dtype=np.int64)
        non_hq_limit = quota - reserved
        non_hq = H - hq_v
        hq_ok = ~known | (non_hq <= non_hq_limit)
        df["reserved_high_quality"] = reserved
        df["non_hq_limit"] = non_hq_limit
        df["non_hq_over_by"] = np.where(known, np.maximum(non_hq - non_hq_limit, 0), 0)
        for i in np.flatnonzero(~hq_ok):
            why[i].append(Message("recruitment.hq_exceeds", {"non_hq": int(non_hq[i]), "allowed": int(non_hq_limit[i]),
                                                             "reserved": int(reserved[i]), "quota": int(quota[i])}))
        for i in np.flatnonzero(~known):
            why[i].append(Message("recruitment.hq_unknown"))
        holds = holds & hq_ok
    df["holds"] = holds
    df["why"] = [WhyText(w) for w in why]
    df["reference"] = "; ".join(str(r.reference) for r in pol.references)
    return df
