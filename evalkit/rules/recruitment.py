"""Recruitment quotas: the limits on new hires that streamlining and retirement free, exactly.

Resolution 39-NQ/TW limits new recruitment to 50% of the posts freed by streamlining and 50% of
the posts freed by retirement or resignation; Quảng Ninh reserves half of the annual quota left
after streamlining for high-quality candidates; Decree 29/2023 makes two consecutive years with one
COMPLETED and one NOT_COMPLETED rating a ground for streamlining. Every open reading is a field of
:class:`RecruitmentPolicy`.

>>> plan = pd.DataFrame({"unit_id": ["A"], "year": [2026], "payroll_start": [100],
...     "freed_streamlining": [5], "freed_retirement": [3], "freed_resignation": [1], "planned_hires": [5]})
>>> recruitment_limits(plan, get_recruitment_policy())[["limit", "holds", "over_by"]].to_dict("records")
[{'limit': 4, 'holds': False, 'over_by': 1}]
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from fractions import Fraction

import numpy as np
import pandas as pd

from ..parameters import ParameterValue, load

#: The count columns of a recruitment plan.
PLAN_COUNT_FIELDS = ["payroll_start", "freed_streamlining", "freed_retirement", "freed_resignation", "planned_hires",
                     "planned_high_quality"]

ROUNDINGS = ("floor", "half_up", "ceil")


class RecruitmentPolicyError(ValueError):
    pass


@dataclass(frozen=True)
class RecruitmentPolicy:
    """Readings of the recruitment rules; every open point of the rule is a field (docs/rules/recruitment.md)."""

    name: str
    title_en: str
    title_vi: str
    share_of_streamlined: Fraction
    share_of_retired: Fraction
    resignations_count: bool = True  #: do resignations free posts like retirements?
    freed_posts: str = "same_year"  #: 'same_year' or 'cumulative' (unused allowance carries over)
    pooling: str = "per_unit"  #: 'per_unit' or 'pooled' (one province-wide limit per year)
    rounding: str = "floor"  #: rounding of 50% of an odd count
    round_each: bool = True  #: round each source's allowance, or their sum once
    high_quality_share: Fraction | None = None  #: share of the quota reserved for high-quality candidates
    high_quality_rounding: str = "half_up"
    references: tuple[ParameterValue, ...] = field(default=(), compare=False)

    READINGS = ("share_of_streamlined", "share_of_retired", "resignations_count", "freed_posts", "pooling",
                "rounding", "round_each", "high_quality_share", "high_quality_rounding")

    def replace(self, **readings) -> "RecruitmentPolicy":
        problems = []
        for k, v in readings.items():
            if k not in self.READINGS:
                problems.append(f"unknown reading {k!r}")
            elif k in ("rounding", "high_quality_rounding") and v not in ROUNDINGS:
                problems.append(f"{k}={v!r} is not one of {', '.join(ROUNDINGS)}")
            elif k == "freed_posts" and v not in ("same_year", "cumulative"):
                problems.append(f"freed_posts={v!r} is not 'same_year' or 'cumulative'")
            elif k == "pooling" and v not in ("per_unit", "pooled"):
                problems.append(f"pooling={v!r} is not 'per_unit' or 'pooled'")
            elif k in ("resignations_count", "round_each") and not isinstance(v, bool):
                problems.append(f"{k}={v!r} must be True or False")
            elif k in ("share_of_streamlined", "share_of_retired", "high_quality_share") and v is not None:
                if isinstance(v, float):
                    problems.append(f"{k}={v!r}: give an exact fraction such as '1/2'")
        if problems:
            raise RecruitmentPolicyError(f"invalid readings for {self.name}: " + "; ".join(problems))
        conv = {k: (Fraction(v) if k.endswith("share") or k.startswith("share") else v) if v is not None else None
                for k, v in readings.items()}
        return dataclasses.replace(self, **conv)

    def describe(self, lang: str = "en") -> str:
        lines = [self.title_vi if lang == "vi" else self.title_en, ""]
        for k in self.READINGS:
            lines.append(f"  {k}: {getattr(self, k)}")
        lines += ["", "Căn cứ:" if lang == "vi" else "Sources:"]
        for ref in self.references:
            lines.append(f"  {ref.name} = {ref.value} — {ref.reference} [{ref.status}], from {ref.start}")
        return "\n".join(lines)


def recruitment_policy_names() -> list[str]:
    return ["quang-ninh-2022-recruitment", "resolution-39-2015"]


def get_recruitment_policy(name: str | RecruitmentPolicy = "resolution-39-2015", **readings) -> RecruitmentPolicy:
    if isinstance(name, RecruitmentPolicy):
        return name.replace(**readings) if readings else name
    tree = load()
    r39 = tuple(tree.value(f"resolution_39_2015.recruitment.{k}", "2015-04-17")
                for k in ("hires_share_of_streamlined", "hires_share_of_retired"))
    if name == "resolution-39-2015":
        pol = RecruitmentPolicy(name, "Resolution 39-NQ/TW: new hires ≤ 50% of posts freed by streamlining and by retirement/resignation",
                                "Nghị quyết 39-NQ/TW: tuyển mới ≤ 50% số tinh giản và ≤ 50% số nghỉ hưu, thôi việc",
                                r39[0].value, r39[1].value, references=r39)
    elif name == "quang-ninh-2022-recruitment":
        hq = tree.value("quang_ninh.high_quality_recruitment.reserved_share", "2022-01-01")
        pol = RecruitmentPolicy(name, "Quảng Ninh 2022: Resolution 39 limits, and 50% of the quota reserved for high-quality candidates",
                                "Quảng Ninh 2022: giới hạn theo Nghị quyết 39, dành 50% chỉ tiêu cho nguồn chất lượng cao",
                                r39[0].value, r39[1].value, high_quality_share=hq.value, references=r39 + (hq,))
    else:
        raise RecruitmentPolicyError(f"no recruitment policy {name!r}; known: {', '.join(recruitment_policy_names())}")
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
    if pol.round_each or pol.share_of_streamlined != pol.share_of_retired:
        yearly = a_s + a_r
    else:
        yearly = share_of(S + R, pol.share_of_streamlined, pol.rounding)
    if pol.freed_posts == "cumulative":
        # allowance carries over within a unit: limit_t = Σ_{τ≤t} yearly_τ − Σ_{τ<t} hires_τ
        cum_allow = pd.Series(yearly).groupby(df["unit_id"]).cumsum().to_numpy()
        prev_hires = (pd.Series(H).groupby(df["unit_id"]).cumsum() - H).to_numpy()
        limit = cum_allow - prev_hires
    else:
        limit = yearly
    df["freed_for_retirement"] = R
    df["allowance_streamlining"] = a_s
    df["allowance_retirement"] = a_r
    df["limit"] = limit
    df["over_by"] = np.maximum(H - limit, 0)
    holds = H <= limit
    why = [f"hires {h} ≤ limit {lim}" if h <= lim else f"hires {h} exceed the limit {lim} by {h - lim}"
           for h, lim in zip(H, limit, strict=True)]
    if pol.high_quality_share is not None:
        quota = np.maximum(limit, 0)
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
            why[i] += (f"; {non_hq[i]} hires are not high-quality but only {non_hq_limit[i]} may be "
                       f"({reserved[i]} of the quota {quota[i]} reserved)")
        for i in np.flatnonzero(~known):
            why[i] += "; high-quality hires not given: reservation not checked"
        holds = holds & hq_ok
    df["holds"] = holds
    df["why"] = why
    df["reference"] = "; ".join(str(r.reference) for r in pol.references)
    return df
