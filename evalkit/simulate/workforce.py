"""Workforce models: a seeded Monte Carlo stock-and-flow of the payroll under the quota rules, and
a multi-year model of rating-based removal.

Payroll projection. Each year: retirements (everyone at ``retirement_age`` when ages are given,
else a rate), resignations and streamlining exits (binomial draws), then hiring — the demand to
refill freed posts, limited by the recruitment policy's quota (``None``: no quota, the baseline).
Exit rates are :class:`ExitRate` parameters with a source and an interval; each replicate draws its
own rates from them, so the fan chart carries the uncertainty about the rates as well as the
binomial noise. With ``units`` the quota is computed per unit (the plan check's ``per_unit``
pooling) and summed. The identity ``start + hires − exits = end`` holds every year by construction
and is tested.

>>> out = project_headcount(1000, years=(2025, 2027), replicates=50, seed=1)
>>> bool((out.paths["hires"] <= out.paths["limit"]).all())
True
>>> out.quantiles["year"].tolist()
[2025, 2026, 2027]
"""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction

import numpy as np
import pandas as pd

from ..rules.recruitment import RecruitmentPolicy, get_recruitment_policy, share_of


@dataclass(frozen=True)
class ExitRate:
    """A yearly exit rate with its uncertainty and where it comes from.

    Each replicate draws its rate from a Beta distribution with mean ``mean`` whose central 95 %
    lies about ``[low, high]`` (sd = (high − low) / 3.92). ``status`` is ``cited`` or ``assumption``.
    """

    mean: float
    low: float
    high: float
    source: str
    status: str = "assumption"

    def draw(self, rng: np.random.Generator, size: int) -> np.ndarray:
        if self.high <= self.low or self.mean <= 0:
            return np.full(size, self.mean)
        sd = (self.high - self.low) / 3.92
        nu = self.mean * (1 - self.mean) / sd**2 - 1
        if nu <= 0:
            raise ValueError(f"the interval [{self.low}, {self.high}] is too wide for a rate with mean {self.mean}")
        return rng.beta(self.mean * nu, (1 - self.mean) * nu, size)


#: Default exit rates (docs/research.md discusses each). Rates apply to the staff at the start of a year.
EXIT_RATES = {
    "retirement": ExitRate(0.028, 0.022, 0.035,
                           "1 / length of a career: entry at 24–30, retirement at 60–62 (Decree 135/2020 "
                           "roadmap), for a flat age structure; use ages= when the age profile is known",
                           "assumption"),
    "resignation": ExitRate(0.012, 0.006, 0.02,
                            "MOHA figure reported in the press, July 2023: 39,552 cadres, civil servants and "
                            "public employees left 2022 – mid-2023, about 1.1–1.3 % a year of about 2 million "
                            "[single source, to verify]; interval widened for provincial variation",
                            "cited"),
    "streamlining": ExitRate(0.01, 0.003, 0.02,
                             "streamlining exits under Decree 29/2023 then Decree 154/2025: no published "
                             "yearly rate found; 1 % a year, 0.3–2 %", "assumption"),
}


def _rate(value, rng: np.random.Generator, size: int) -> np.ndarray:
    return value.draw(rng, size) if isinstance(value, ExitRate) else np.full(size, float(value))


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

    >>> for t in targets_in_force(1000):
    ...     print(t.label, t.target_year, t.cut)
    Resolution 39-NQ/TW: −10% by 2021 vs 2015 2021 1/10
    Conclusion 40-KL/TW: −5% by 2026 vs 2021 2026 1/20
    """
    from ..parameters import ParameterError, load

    tree = load()

    def target(source: str, prefix: str, keys: tuple[str, str, str]) -> PayrollTarget:
        cut, year, base_year = (tree.first(f"{prefix}.{k}").value for k in keys)  # each as of its own date
        if not isinstance(cut, Fraction) or not isinstance(year, int) or not isinstance(base_year, int):
            raise ParameterError(f"{prefix}: expected a cut share and two years for {keys}, "
                                 f"got {cut!r}, {year!r}, {base_year!r}")
        return PayrollTarget(f"{source}: −{float(cut):.0%} by {year} vs {base_year}", base_payroll, year, cut)

    key = {"cadres_civil_servants": "cut_cadres_civil_servants", "public_employees": "cut_public_employees"}[population]
    return [target("Resolution 39-NQ/TW", "resolution_39_2015.recruitment",
                   ("payroll_cut_target", "payroll_cut_target_year", "payroll_cut_base_year")),
            target("Conclusion 40-KL/TW", "conclusion_40_2022.payroll_cut", (key, "target_year", "base_year"))]


@dataclass
class Projection:
    paths: pd.DataFrame  # one row per replicate and year
    quantiles: pd.DataFrame  # per year: end-of-year payroll quantiles
    targets: pd.DataFrame  # probability of meeting each target
    seed: int
    policy: str
    rates: pd.DataFrame = field(default_factory=pd.DataFrame)  # per replicate: the exit rates drawn
    pooling: str = "pooled"


def project_headcount(start_payroll: int, years: tuple[int, int] = (2025, 2030), *, policy="resolution-39-2015",
                      ages: np.ndarray | None = None, retirement_age: int = 62,
                      retirement_rate: float | ExitRate = EXIT_RATES["retirement"],
                      resignation_rate: float | ExitRate = EXIT_RATES["resignation"],
                      streamlining_rate: float | ExitRate = EXIT_RATES["streamlining"], hire_fill: float = 1.0,
                      entry_ages: tuple[int, int] = (24, 35), targets: list[PayrollTarget] | None = None,
                      units=None, replicates: int = 1000, seed: int = 2026, progress: bool = False) -> Projection:
    """Project the payroll from ``years[0]`` to ``years[1]`` (inclusive) over ``replicates`` paths.

    Parameters
    ----------
    start_payroll : headcount at the start of the first year (ignored when ``ages`` is given)
    policy : a recruitment policy name or object, or ``None`` for no quota (the baseline)
    ages : one age per person at the start; then retirement is by ``retirement_age``
    hire_fill : share of freed posts the agencies want to refill each year (demand)
    *_rate : a fixed rate, or an :class:`ExitRate` (default :data:`EXIT_RATES`) drawn per replicate
    units : start payroll per unit; with a ``per_unit`` policy the quota is rounded per unit and
        summed, as the plan check does (``start_payroll`` is then ignored)
    """
    if replicates < 1:
        raise ValueError(f"replicates must be at least 1, got {replicates}")
    pol: RecruitmentPolicy | None = None if policy is None else get_recruitment_policy(policy)
    rng = np.random.default_rng(seed)
    y0, y1 = years
    n_years = y1 - y0 + 1
    R = replicates
    rates = {"retirement": _rate(retirement_rate, rng, R), "resignation": _rate(resignation_rate, rng, R),
             "streamlining": _rate(streamlining_rate, rng, R)}
    if units is not None and ages is not None:
        raise ValueError("give either ages or units, not both")
    per_unit = units is not None and pol is not None and pol.pooling == "per_unit"
    if ages is not None:
        ages = np.asarray(ages, dtype=np.int64)
        max_age = max(int(ages.max()), retirement_age) + 1
        counts = np.zeros((R, max_age + 1), dtype=np.int64)
        counts[:] = np.bincount(ages, minlength=max_age + 1)
        headcount = counts.sum(axis=1)
    else:
        counts = None
        start_units = np.asarray(units if units is not None else [start_payroll], dtype=np.int64)
        if (start_units < 0).any():
            raise ValueError("unit payrolls must not be negative")
        if not per_unit:
            start_units = start_units.sum(keepdims=True)
        heads = np.repeat(start_units[None, :], R, axis=0)  # (R, units)
        headcount = heads.sum(axis=1)
    carry = np.zeros(R if counts is not None else heads.shape, dtype=np.int64)
    def col(a):
        return a[:, None]  # a rate per replicate against (replicates, units or ages)

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
            resign_by_age = rng.binomial(counts, col(rates["resignation"]))
            counts -= resign_by_age
            stream_by_age = rng.binomial(counts, col(rates["streamlining"]))
            counts -= stream_by_age
            retire_u, resign_u, stream_u = retire, resign_by_age.sum(axis=1), stream_by_age.sum(axis=1)
        else:
            retire_u = rng.binomial(heads, col(rates["retirement"]))
            resign_u = rng.binomial(heads - retire_u, col(rates["resignation"]))
            stream_u = rng.binomial(heads - retire_u - resign_u, col(rates["streamlining"]))
        exits_u = retire_u + resign_u + stream_u
        demand_u = np.floor(hire_fill * exits_u).astype(np.int64)
        if pol is None:
            limit_u = np.full(np.shape(exits_u), np.iinfo(np.int64).max // 4)
            hires_u = demand_u
            hq_u = np.zeros(np.shape(exits_u), dtype=np.int64)
        else:
            freed_ret = retire_u + (resign_u if pol.resignations_count else 0)
            a_s = share_of(stream_u, pol.share_of_streamlined, pol.rounding)
            a_r = share_of(freed_ret, pol.share_of_retired, pol.rounding)
            yearly = a_s + a_r if pol.round_each else share_of(stream_u + freed_ret, pol.share_of_streamlined,
                                                                pol.rounding)
            limit_u = yearly + (carry if pol.freed_posts == "cumulative" else 0)
            hires_u = np.minimum(demand_u, limit_u)
            carry = limit_u - hires_u
            if pol.high_quality_share is not None:
                reserved = share_of(limit_u, pol.high_quality_share, pol.high_quality_rounding)
                hq_u = np.minimum(hires_u, reserved)
            else:
                hq_u = np.zeros(np.shape(exits_u), dtype=np.int64)

        def total(a, by_age=counts is not None):
            return a if by_age else a.sum(axis=1)

        retire, resign, stream, exits = total(retire_u), total(resign_u), total(stream_u), total(exits_u)
        demand, hires, hq = total(demand_u), total(hires_u), total(hq_u)
        limit = total(limit_u) if pol is not None else None
        if counts is not None:
            counts[:, 1:] = counts[:, :-1].copy()  # everyone a year older
            counts[:, 0] = 0
            lo, hi = entry_ages
            entry = rng.multinomial(hires, np.full(hi - lo + 1, 1 / (hi - lo + 1)))
            counts[:, lo:hi + 1] += entry
            headcount = counts.sum(axis=1)
        else:
            heads = heads - exits_u + hires_u
            headcount = heads.sum(axis=1)
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
                      seed, "no quota" if pol is None else pol.name,
                      pd.DataFrame({"replicate": np.arange(R), **{f"{k}_rate": v for k, v in rates.items()}}),
                      "per unit" if per_unit else "pooled")


# --------------------------------------------------------------------------------------------
# Rating-based removal over years (Decree 154/2025: one year rated NOT_COMPLETED is a ground)
# --------------------------------------------------------------------------------------------


@dataclass
class RemovalResult:
    """Workforce mean true performance by year with and without removal, and their paired difference.

    ``by_year``: per year and arm (``removal`` / ``no removal``) the mean over replicates with a t
    interval; ``gain``: the paired difference (removal − no removal) per year with its t interval;
    ``removed_share``: mean share removed each year. Performance is in sd units of the applicant pool.
    """

    by_year: pd.DataFrame
    gain: pd.DataFrame
    settings: dict


def _t_rows(values: np.ndarray, level: float) -> dict:
    """Mean over axis 0 with a t interval (n − 1 degrees of freedom)."""
    from scipy import stats as sps

    n = values.shape[0]
    m, sd = values.mean(axis=0), values.std(axis=0, ddof=1)
    half = sps.t.ppf(0.5 + level / 2, n - 1) * sd / np.sqrt(n)
    return {"mean": m, "ci_low": m - half, "ci_high": m + half}


def removal_model(n_staff: int = 1000, years: int = 10, *, hiring_validity: float = 0.3,
                  selection_ratio: float = 0.2, rating_reliability: float = 0.52,
                  not_completed_share: float = 0.0042, removal_probability: float = 1.0,
                  voluntary_turnover: float = 0.012, replicates: int = 200, seed: int = 2026,
                  level: float = 0.95) -> RemovalResult:
    """A multi-year model of removing those rated not completed, in the style of the
    forced-distribution simulation literature (Scullen, Bergey & Aiman-Smith 2005).

    Applicants' true performance is N(0, 1). Hiring takes the top ``selection_ratio`` on a predictor
    correlated ``hiring_validity`` with performance. Each year every member gets a rating
    ``√ρ·perf + √(1 − ρ)·noise`` (ρ = ``rating_reliability``); a rating below the cut-off that rates
    ``not_completed_share`` of the starting workforce *not completed* (an absolute standard, as the
    score bands are) makes the person removed with probability ``removal_probability``; others leave
    at random at ``voluntary_turnover``; every leaver is replaced by a hire. The no-removal arm uses
    the same draws (common random numbers), so the yearly gain is paired.

    Defaults: ρ = 0.52, the inter-rater reliability of supervisory ratings (Viswesvaran, Ones &
    Schmidt 1996); 0.42 % rated not completed (MOHA 2018: 8,930 of 2,129,000); voluntary turnover
    as :data:`EXIT_RATES` ``resignation``; validity 0.3 and selection ratio 0.2 are assumptions.

    >>> r = removal_model(n_staff=300, years=3, replicates=20, seed=1)
    >>> r.by_year["year"].unique().tolist(), sorted(r.by_year["arm"].unique())
    ([1, 2, 3], ['no removal', 'removal'])
    """
    from scipy.stats import norm

    for name, v in (("hiring_validity", hiring_validity), ("rating_reliability", rating_reliability),
                    ("not_completed_share", not_completed_share), ("removal_probability", removal_probability),
                    ("voluntary_turnover", voluntary_turnover)):
        if not 0 <= v <= 1:
            raise ValueError(f"{name} must lie in [0, 1], got {v!r}")
    if not 0 < selection_ratio <= 1:
        raise ValueError(f"selection_ratio must lie in (0, 1], got {selection_ratio!r}")
    rng = np.random.default_rng(seed)
    R, N = replicates, n_staff
    z_sel = norm.ppf(1 - selection_ratio)

    def hires(size):
        x = norm.ppf(rng.uniform(norm.cdf(z_sel), 1.0, size))  # predictor of those selected
        return hiring_validity * x + np.sqrt(1 - hiring_validity**2) * rng.standard_normal(size)

    a, b = np.sqrt(rating_reliability), np.sqrt(1 - rating_reliability)
    start = hires((R, N))
    ratings0 = a * start + b * rng.standard_normal((R, N))
    cutoff = np.quantile(ratings0, not_completed_share) if not_completed_share > 0 else -np.inf
    arms = {"removal": start.copy(), "no removal": start.copy()}
    means: dict[str, list[np.ndarray]] = {k: [] for k in arms}  # per arm, each year's mean per replicate
    removed_share: list[np.ndarray] = []
    for _ in range(years):
        noise = rng.standard_normal((R, N))
        remove_u = rng.random((R, N))
        leave = rng.random((R, N)) < voluntary_turnover
        new = hires((R, N))  # the candidate for each post this year, used only if the post is vacated
        for arm, perf in arms.items():
            out = leave.copy()
            if arm == "removal":
                removed = ((a * perf + b * noise) < cutoff) & (remove_u < removal_probability)
                out |= removed
                removed_share.append(removed.mean(axis=1))
            perf[out] = new[out]
            means[arm].append(perf.mean(axis=1))
    rows = []
    for arm, m in means.items():
        t = _t_rows(np.stack(m, axis=1), level)
        rows.append(pd.DataFrame({"year": np.arange(1, years + 1), "arm": arm, **t}))
    diff = np.stack(means["removal"], axis=1) - np.stack(means["no removal"], axis=1)
    gain = pd.DataFrame({"year": np.arange(1, years + 1), **_t_rows(diff, level),
                         "removed_share": np.stack(removed_share, axis=1).mean(axis=0)})
    settings = {"n_staff": n_staff, "years": years, "hiring_validity": hiring_validity,
                "selection_ratio": selection_ratio, "rating_reliability": rating_reliability,
                "not_completed_share": not_completed_share, "removal_probability": removal_probability,
                "voluntary_turnover": voluntary_turnover, "replicates": replicates, "seed": seed}
    return RemovalResult(pd.concat(rows, ignore_index=True), gain, settings)
