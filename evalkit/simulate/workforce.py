"""Workforce projection: a seeded Monte Carlo stock-and-flow of the payroll under the quota rules.

Each year: retirements (everyone at ``retirement_age`` when ages are given, else a rate),
resignations and streamlining exits (binomial draws), then hiring — the demand to refill freed
posts, limited by the recruitment policy's quota (``None``: no quota, the baseline). The identity
``start + hires − exits = end`` holds every year by construction and is tested.

>>> out = project_headcount(1000, years=(2025, 2027), replicates=50, seed=1)
>>> bool((out.paths["hires"] <= out.paths["limit"]).all())
True
>>> out.quantiles["year"].tolist()
[2025, 2026, 2027]
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

import numpy as np
import pandas as pd

from ..rules.recruitment import RecruitmentPolicy, get_recruitment_policy, share_of


@dataclass(frozen=True)
class PayrollTarget:
    """A cut target: payroll in ``target_year`` at most ``(1 − cut) × base_payroll``."""

    label: str
    base_payroll: int
    target_year: int
    cut: Fraction

    @property
    def allowed(self) -> Fraction:
        return self.base_payroll * (1 - Fraction(self.cut))


def targets_in_force(base_payroll: int, population: str = "cadres_civil_servants") -> list[PayrollTarget]:
    """Payroll-cut targets from the parameter tree, for a payroll counted in the base year.

    ``population``: ``cadres_civil_servants`` or ``public_employees`` (Conclusion 40-KL/TW);
    Resolution 39-NQ/TW's 10% by 2021 against 2015 applies to both.

    >>> [(t.label, t.target_year, t.cut) for t in targets_in_force(1000)]
    [('Resolution 39-NQ/TW: −10% by 2021 vs 2015', 2021, Fraction(1, 10)), ('Conclusion 40-KL/TW: −5% by 2026 vs 2021', 2026, Fraction(1, 20))]
    """
    from ..parameters import load

    tree = load()
    r39 = (tree.get("resolution_39_2015.recruitment.payroll_cut_target", "2015-04-17"),
           tree.get("resolution_39_2015.recruitment.payroll_cut_target_year", "2015-04-17"),
           tree.get("resolution_39_2015.recruitment.payroll_cut_base_year", "2015-04-17"))
    key = {"cadres_civil_servants": "cut_cadres_civil_servants", "public_employees": "cut_public_employees"}[population]
    c40 = (tree.get(f"conclusion_40_2022.payroll_cut.{key}", "2022-07-18"),
           tree.get("conclusion_40_2022.payroll_cut.target_year", "2022-07-18"),
           tree.get("conclusion_40_2022.payroll_cut.base_year", "2022-07-18"))
    return [PayrollTarget(f"Resolution 39-NQ/TW: −{float(r39[0]):.0%} by {r39[1]} vs {r39[2]}", base_payroll, r39[1], r39[0]),
            PayrollTarget(f"Conclusion 40-KL/TW: −{float(c40[0]):.0%} by {c40[1]} vs {c40[2]}", base_payroll, c40[1], c40[0])]


@dataclass
class Projection:
    paths: pd.DataFrame  # one row per replicate and year
    quantiles: pd.DataFrame  # per year: end-of-year payroll quantiles
    targets: pd.DataFrame  # probability of meeting each target
    seed: int
    policy: str


def project_headcount(start_payroll: int, years: tuple[int, int] = (2025, 2030), *, policy="resolution-39-2015",
                      ages: np.ndarray | None = None, retirement_age: int = 62, retirement_rate: float = 0.03,
                      resignation_rate: float = 0.015, streamlining_rate: float = 0.01, hire_fill: float = 1.0,
                      entry_ages: tuple[int, int] = (24, 35), targets: list[PayrollTarget] | None = None,
                      replicates: int = 1000, seed: int = 2026, progress: bool = False) -> Projection:
    """Project the payroll from ``years[0]`` to ``years[1]`` (inclusive) over ``replicates`` paths.

    Parameters
    ----------
    start_payroll : headcount at the start of the first year (ignored when ``ages`` is given)
    policy : a recruitment policy name or object, or ``None`` for no quota (the baseline)
    ages : one age per person at the start; then retirement is by ``retirement_age``
    hire_fill : share of freed posts the agencies want to refill each year (demand)
    """
    pol: RecruitmentPolicy | None = None if policy is None else get_recruitment_policy(policy)
    rng = np.random.default_rng(seed)
    y0, y1 = years
    n_years = y1 - y0 + 1
    R = replicates
    if ages is not None:
        ages = np.asarray(ages, dtype=np.int64)
        max_age = max(int(ages.max()), retirement_age) + 1
        counts = np.zeros((R, max_age + 1), dtype=np.int64)
        counts[:] = np.bincount(ages, minlength=max_age + 1)
        headcount = counts.sum(axis=1)
    else:
        counts = None
        headcount = np.full(R, int(start_payroll), dtype=np.int64)
    carry = np.zeros(R, dtype=np.int64)
    rows = []
    year_iter = range(y0, y1 + 1)
    if progress:
        from .progress import progress_bar

        year_iter = progress_bar(year_iter, total=n_years, desc="projection years")
    for year in year_iter:
        start = headcount.copy()
        if counts is not None:
            retire = counts[:, retirement_age:].sum(axis=1)
            counts[:, retirement_age:] = 0
            resign_by_age = rng.binomial(counts, resignation_rate)
            counts -= resign_by_age
            stream_by_age = rng.binomial(counts, streamlining_rate)
            counts -= stream_by_age
            resign, stream = resign_by_age.sum(axis=1), stream_by_age.sum(axis=1)
        else:
            retire = rng.binomial(start, retirement_rate)
            resign = rng.binomial(start - retire, resignation_rate)
            stream = rng.binomial(start - retire - resign, streamlining_rate)
        exits = retire + resign + stream
        demand = np.floor(hire_fill * exits).astype(np.int64)
        if pol is None:
            limit = np.full(R, np.iinfo(np.int64).max // 4)
            hires = demand
            hq = np.zeros(R, dtype=np.int64)
        else:
            freed_ret = retire + (resign if pol.resignations_count else 0)
            a_s = share_of(stream, pol.share_of_streamlined, pol.rounding)
            a_r = share_of(freed_ret, pol.share_of_retired, pol.rounding)
            yearly = a_s + a_r if pol.round_each else share_of(stream + freed_ret, pol.share_of_streamlined, pol.rounding)
            limit = yearly + (carry if pol.freed_posts == "cumulative" else 0)
            hires = np.minimum(demand, limit)
            carry = limit - hires
            if pol.high_quality_share is not None:
                reserved = share_of(limit, pol.high_quality_share, pol.high_quality_rounding)
                hq = np.minimum(hires, reserved)
            else:
                hq = np.zeros(R, dtype=np.int64)
        if counts is not None:
            counts[:, 1:] = counts[:, :-1].copy()  # everyone a year older
            counts[:, 0] = 0
            lo, hi = entry_ages
            entry = rng.multinomial(hires, np.full(hi - lo + 1, 1 / (hi - lo + 1))) if R else np.zeros((0, hi - lo + 1))
            counts[:, lo:hi + 1] += entry
            headcount = counts.sum(axis=1)
        else:
            headcount = start - exits + hires
        rows.append(pd.DataFrame({"replicate": np.arange(R), "year": year, "start": start, "retirements": retire,
                                  "resignations": resign, "streamlined": stream, "exits": exits, "demand": demand,
                                  "limit": limit if pol is not None else pd.NA, "hires": hires,
                                  "high_quality_hires": hq, "end": headcount}))
    paths = pd.concat(rows, ignore_index=True)
    if pol is None:
        paths["limit"] = pd.array([pd.NA] * len(paths), dtype="Int64")
    q = paths.groupby("year")["end"].quantile([0.05, 0.25, 0.5, 0.75, 0.95]).unstack()
    q.columns = ["q05", "q25", "q50", "q75", "q95"]
    quant = q.reset_index()
    quant["mean"] = paths.groupby("year")["end"].mean().to_numpy()
    trows = []
    for t in targets or []:
        end = paths.loc[paths["year"] == t.target_year, "end"].to_numpy()
        if not len(end):
            raise ValueError(f"target year {t.target_year} is outside the projection {y0}–{y1}")
        met = end * t.allowed.denominator <= t.allowed.numerator  # exact: end ≤ allowed
        trows.append({"target": t.label, "target_year": t.target_year, "allowed_max": float(t.allowed),
                      "probability_met": float(met.mean()), "replicates": len(end)})
    return Projection(paths, quant, pd.DataFrame(trows, columns=["target", "target_year", "allowed_max",
                                                                 "probability_met", "replicates"]),
                      seed, "no quota" if pol is None else pol.name)
