"""Recruitment quotas and streamlining: plan checks, rating-based streamlining grounds, projections.

Resolution 39-NQ/TW limits new recruitment to 50% of the posts freed by streamlining and 50% of
the posts freed by retirement or resignation; Quảng Ninh reserves half of the annual quota left
after streamlining for high-quality candidates; Decree 29/2023 makes two consecutive years with one
COMPLETED and one NOT_COMPLETED rating a ground for streamlining. Every open reading is a field of
:class:`RecruitmentPolicy`.

>>> plan = pd.DataFrame({"unit_id": ["A"], "year": [2026], "payroll_start": [100],
...     "freed_streamlining": [5], "freed_retirement": [3], "freed_resignation": [1], "planned_hires": [5]})
>>> check_recruitment(plan).table[["limit", "holds", "over_by"]].to_dict("records")
[{'limit': 4, 'holds': False, 'over_by': 1}]
"""

from __future__ import annotations

import dataclasses
import sys
from dataclasses import dataclass, field
from fractions import Fraction

import numpy as np
import pandas as pd

from .. import levels as L
from ..io import Column, _cols, _convert, _result, _table, load_raw
from ..parameters import ParameterValue, load
from ..schema import Problems

ROUNDINGS = ("floor", "half_up", "ceil")


class RecruitmentPolicyError(ValueError):
    pass


@dataclass(frozen=True)
class RecruitmentPolicy:
    """Readings of the recruitment rules; every open point of RULES.md §5 is a field."""

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


# --------------------------------------------------------------------------------------------
# Plans
# --------------------------------------------------------------------------------------------

PLAN_COLUMNS = _cols(
    Column("unit_id", "id", ("unit_id", "unit", "don vi", "co quan", "bo nganh dia phuong", "agency"), True),
    Column("year", "year", ("year", "nam", "nam ke hoach"), True),
    Column("payroll_start", "count", ("payroll_start", "payroll", "bien che dau nam", "bien che", "so bien che"), True),
    Column("freed_streamlining", "count", ("freed_streamlining", "streamlined", "so tinh gian", "tinh gian bien che",
                                           "so tinh gian bien che"), True),
    Column("freed_retirement", "count", ("freed_retirement", "retired", "so nghi huu", "nghi huu"), True),
    Column("freed_resignation", "count", ("freed_resignation", "resigned", "so thoi viec", "thoi viec"), True),
    Column("planned_hires", "count", ("planned_hires", "hires", "so tuyen dung", "tuyen dung", "so tuyen moi",
                                      "ke hoach tuyen dung"), True),
    Column("planned_high_quality", "count", ("planned_high_quality", "high_quality", "chat luong cao",
                                             "trong do chat luong cao", "so chat luong cao")),
)
_PLAN_ALIASES = {L._key(a): c.name for c in PLAN_COLUMNS.values() for a in c.aliases}
_COUNT_FIELDS = ["payroll_start", "freed_streamlining", "freed_retirement", "freed_resignation", "planned_hires",
                 "planned_high_quality"]


def read_plan(source, sheet=None, *, errors="raise", with_problems=False):
    """Read a recruitment plan (one row per unit and year) with the same validation as rosters."""
    raw = load_raw(source, sheet)
    problems = Problems(file=raw.file, sheet=raw.sheet)
    body, rows, headers = _table(raw, _PLAN_ALIASES, PLAN_COLUMNS, "recruitment plan", problems)
    frame, bad = _convert(body, rows, PLAN_COLUMNS, headers, problems)
    for name in _COUNT_FIELDS:
        if name in frame.columns and PLAN_COLUMNS[name].required:
            missing = frame[name].isna().to_numpy() & ~bad
            if missing.any():
                problems.add_many(rows[missing], headers[name], [""] * int(missing.sum()), "required count is empty")
                bad |= missing
    if "planned_high_quality" in frame.columns:
        over = (frame["planned_high_quality"] > frame["planned_hires"]).fillna(False).to_numpy()
        if over.any():
            problems.add_many(rows[over], headers["planned_high_quality"], frame.loc[over, "planned_high_quality"],
                              "high-quality hires exceed planned hires")
            bad |= over
    dup = frame.duplicated(["unit_id", "year"], keep="first").to_numpy()
    if dup.any():
        problems.add_many(rows[dup], headers["unit_id"], frame.loc[dup, "unit_id"], "unit listed twice for the same year")
        bad |= dup
    frame.insert(0, "source_row", rows.astype(np.int64))
    return _result(frame, bad, problems, errors, with_problems)


@dataclass
class RecruitmentReport:
    policy: RecruitmentPolicy
    table: pd.DataFrame
    problems: pd.DataFrame | None = None

    @property
    def compliant(self) -> bool:
        return bool(self.table["holds"].all())

    def _repr_html_(self) -> str:
        return f"<p><b>{self.policy.title_en}</b>: {'all rows hold' if self.compliant else 'some rows break the limits'}</p>" \
            + self.table.to_html(index=False)


def check_recruitment(plan, policy: str | RecruitmentPolicy = "resolution-39-2015", *, sheet=None,
                      **readings) -> RecruitmentReport:
    """Limits per plan row, whether each holds, by how much not, and why.

    Columns added: ``freed_for_retirement`` (retirements, plus resignations when they count),
    ``allowance_streamlining``, ``allowance_retirement``, ``limit`` (this year's, carried over under the
    ``cumulative`` reading), ``over_by``, ``holds``; with a high-quality reservation,
    ``reserved_high_quality`` and ``non_hq_limit``; and ``why``.
    """
    pol = get_recruitment_policy(policy, **readings)
    problems = None
    if not isinstance(plan, pd.DataFrame) or "planned_hires" not in plan.columns:
        plan, problems = read_plan(plan, sheet, with_problems=True)
    df = plan.copy()
    if "planned_high_quality" not in df.columns:
        df["planned_high_quality"] = 0 if pol.high_quality_share is None else pd.NA
    if pol.pooling == "pooled":
        agg = {c: "sum" for c in _COUNT_FIELDS if c in df.columns}
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
    return RecruitmentReport(pol, df, problems)


# --------------------------------------------------------------------------------------------
# Streamlining grounds from ratings
# --------------------------------------------------------------------------------------------

STREAMLINING_VARIANTS = {"decree-29-2023": "decree_29_2023.streamlining", "draft-2025": "decree_29_2023.draft_2025"}


def streamlining_candidates(history: pd.DataFrame, policy: str = "decree-29-2023") -> pd.DataFrame:
    """Who meets the rating-based streamlining ground at the end of each year.

    ``history`` has one row per person and year with ``level``. Decree 29/2023: in the two
    consecutive years up to the year considered, one COMPLETED and one NOT_COMPLETED; the 2025 draft:
    one NOT_COMPLETED year. Missing years break the window (never guessed). Returns one row per
    person and window end with ``meets`` and the levels seen.
    """
    if policy == "all":
        return pd.concat([streamlining_candidates(history, p).assign(variant=p) for p in STREAMLINING_VARIANTS],
                         ignore_index=True)
    if policy not in STREAMLINING_VARIANTS:
        raise RecruitmentPolicyError(f"no streamlining variant {policy!r}; known: {', '.join(STREAMLINING_VARIANTS)}")
    tree = load()
    prefix = STREAMLINING_VARIANTS[policy]
    first = tree[f"{prefix}.window_years"].values[0]
    day = first.start
    window = tree.get(f"{prefix}.window_years", day)
    need_c = tree.get(f"{prefix}.needs_completed_years", day)
    need_nc = tree.get(f"{prefix}.needs_not_completed_years", day)
    lv = L.as_levels(history["level"]).astype(object)
    code = np.select([lv.isin([L.COMPLETED, L.COMPLETED_LIMITED]), lv == L.NOT_COMPLETED], [1, 2], 0)
    wide = (pd.DataFrame({"person_id": history["person_id"].to_numpy(), "year": history["year"].astype(int).to_numpy(),
                          "code": code}).pivot(index="person_id", columns="year", values="code"))
    years = sorted(wide.columns)
    wide = wide.reindex(columns=range(years[0], years[-1] + 1))
    levels_wide = (pd.DataFrame({"person_id": history["person_id"].to_numpy(),
                                 "year": history["year"].astype(int).to_numpy(), "level": lv.to_numpy()})
                   .pivot(index="person_id", columns="year", values="level")
                   .reindex(columns=range(years[0], years[-1] + 1)))
    out = []
    arr = wide.to_numpy(dtype=float)
    for j in range(window - 1, arr.shape[1]):
        block = arr[:, j - window + 1: j + 1]
        complete = ~np.isnan(block).any(axis=1)
        n_c = (block == 1).sum(axis=1)
        n_nc = (block == 2).sum(axis=1)
        meets = complete & (n_c >= need_c) & (n_nc >= need_nc)
        block_levels = levels_wide.iloc[:, j - window + 1: j + 1].astype(object)
        seen = block_levels.where(block_levels.notna(), "(no rating)").astype(str).agg(" → ".join, axis=1).to_numpy()
        out.append(pd.DataFrame({"person_id": wide.index, "year": wide.columns[j], "meets": meets,
                                 "complete_window": complete, "levels": seen}))
    res = pd.concat(out, ignore_index=True)
    res["ground"] = f"{policy}: {window} year(s), ≥{need_c} COMPLETED and ≥{need_nc} NOT_COMPLETED"
    return res


# --------------------------------------------------------------------------------------------
# CLI
# --------------------------------------------------------------------------------------------


RECRUITMENT_TEXT = {
    "en": {"title": "Recruitment plan check", "summary": "Summary", "rows": "Plan rows", "problems": "Input problems",
           "verdict": "Verdict", "policy": "Policy", "ok": "ALL ROWS HOLD", "bad": "{n} ROW(S) BREAK THE LIMITS",
           "holds": "holds"},
    "vi": {"title": "Kiểm tra kế hoạch tuyển dụng", "summary": "Tổng hợp", "rows": "Các dòng kế hoạch",
           "problems": "Lỗi dữ liệu đầu vào", "verdict": "Kết luận", "policy": "Quy định áp dụng",
           "ok": "ĐẠT: mọi dòng trong giới hạn", "bad": "KHÔNG ĐẠT: {n} dòng vượt giới hạn", "holds": "đạt"},
}


def run_recruitment_cli(args) -> int:
    """`evalkit check-recruitment`: the same exit codes and report style as `evalkit check`."""
    import json
    from pathlib import Path

    from ..export import file_sha256, write_page, write_workbook

    report = check_recruitment(args.input, args.policy, sheet=args.sheet)
    table = report.table
    t = RECRUITMENT_TEXT[args.lang]
    n_bad = int((~table["holds"]).sum())
    verdict = t["ok"] if report.compliant else t["bad"].format(n=n_bad)
    summary = pd.DataFrame(
        [(t["verdict"], verdict), (t["policy"], f"{report.policy.name}: "
                                   f"{report.policy.title_vi if args.lang == 'vi' else report.policy.title_en}")]
        + [(k, str(getattr(report.policy, k))) for k in report.policy.READINGS]
        + [("references", "; ".join(f"{r.name}: {r.reference} [{r.status}]" for r in report.policy.references)),
           ("input", str(args.input)), ("SHA-256", file_sha256(args.input))],
        columns=["item", "value"])
    problems = report.problems if report.problems is not None else pd.DataFrame()
    sections = {t["summary"]: summary, t["rows"]: table.rename(columns={"holds": t["holds"]}),
                t["problems"]: problems}
    if args.out:
        suffix = Path(args.out).suffix.lower()
        if suffix == ".xlsx":
            write_workbook(sections, args.out, status_column=t["holds"], verdict=report.compliant)
        elif suffix in (".html", ".htm"):
            write_page(sections, args.out, title=t["title"], verdict_text=verdict, verdict=report.compliant,
                       status_column=t["holds"], lang=args.lang)
        else:
            raise ValueError(f"--out {args.out}: expected a .xlsx or .html file name")
    if args.json:
        from ..cli import _records

        json.dump({"compliant": report.compliant, "policy": report.policy.name, "rows": _records(table),
                   "problems": _records(report.problems) if report.problems is not None else []},
                  sys.stdout, ensure_ascii=False, indent=1, default=str)
        sys.stdout.write("\n")
    else:
        print(f"{verdict} ({report.policy.name})")
        for rec in table[~table["holds"]].head(30).to_dict("records"):
            print(f"  {rec['unit_id']} {rec['year']}: {rec['why']}")
        if args.out:
            print(f"report written to {args.out}")
    return 0 if report.compliant else 1
