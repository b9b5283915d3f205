"""Statistics for rating data: distributions, inflation indices, group metrics with counts and
intervals, tests of difference, difference-in-differences, an ordinal model, and a funnel statistic.

Every table carries a count beside each figure; floats are for statistics only (caps are exact in
:mod:`evalkit.rules.cap`).

>>> import pandas as pd
>>> counts = pd.DataFrame({"org": ["A", "B"], "n_excellent": [30, 5], "n_good": [100, 50],
...                        "n_completed": [5, 5], "n_not_completed": [0, 1]})
>>> inflation_indices(counts, by="org")[["org", "share_excellent", "excellent_to_good", "over_cap_ratio"]].round(3).to_dict("records")
[{'org': 'A', 'share_excellent': 0.222, 'excellent_to_good': 0.3, 'over_cap_ratio': 1.5}, {'org': 'B', 'share_excellent': 0.082, 'excellent_to_good': 0.1, 'over_cap_ratio': 0.5}]
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction

import numpy as np
import pandas as pd
from scipy import stats as sps

from .. import levels as L

COUNTS = ["n_excellent", "n_good", "n_completed", "n_not_completed"]


def level_counts(roster: pd.DataFrame, by: str | list[str] | None = None) -> pd.DataFrame:
    """Counts per rating level (one row per group) from a roster; NOT_RATED kept apart."""
    by = [by] if isinstance(by, str) else list(by or [])
    lv = L.as_levels(roster["level"]).astype(str).replace({L.COMPLETED_LIMITED: L.COMPLETED})
    frame = roster[by].copy() if by else pd.DataFrame(index=roster.index)
    for col, code in (("n_excellent", L.EXCELLENT), ("n_good", L.GOOD), ("n_completed", L.COMPLETED),
                      ("n_not_completed", L.NOT_COMPLETED), ("n_not_rated", L.NOT_RATED)):
        frame[col] = (lv == code).to_numpy().astype(np.int64)
    if not by:
        return frame.sum().to_frame().T
    return frame.groupby(by, observed=True, sort=True).sum().reset_index()


def distribution(data: pd.DataFrame, by: str | list[str] | None = None) -> pd.DataFrame:
    """Long table: group, level, count, share of the rated (n beside every share)."""
    counts = data if "n_excellent" in data.columns else level_counts(data, by)
    by = [by] if isinstance(by, str) else list(by or [])
    long = counts.melt(id_vars=by, value_vars=[c for c in COUNTS if c in counts.columns], var_name="level",
                       value_name="count")
    long["level"] = long["level"].map({"n_excellent": L.EXCELLENT, "n_good": L.GOOD, "n_completed": L.COMPLETED,
                                       "n_not_completed": L.NOT_COMPLETED})
    total = long.groupby(by, observed=True)["count"].transform("sum") if by else long["count"].sum()
    long["rated"] = total
    long["share"] = long["count"] / total
    long["level"] = pd.Categorical(long["level"], categories=list(L.LEVELS), ordered=True)
    return long.sort_values(by + ["level"]).reset_index(drop=True)


def inflation_indices(counts: pd.DataFrame, by: str | list[str] | None = None, cap_ratio: Fraction = Fraction(1, 5),
                      from_shares: bool = True) -> pd.DataFrame:
    """Share excellent, excellent-to-good ratio, top-two share and how far over a ratio-of-good cap.

    ``over_cap_ratio`` = (excellent / good) ÷ ``cap_ratio``: 1.0 sits exactly at the cap. With
    ``from_shares`` the ``pct_*`` columns stand in where counts are missing (published figures);
    ``basis`` says which was used.
    """
    by = [by] if isinstance(by, str) else list(by or [])
    df = counts.copy()
    out = df[by].copy() if by else pd.DataFrame(index=df.index)
    e = pd.to_numeric(df.get("n_excellent"), errors="coerce").astype(float)
    g = pd.to_numeric(df.get("n_good"), errors="coerce").astype(float)
    rated = sum(pd.to_numeric(df[c], errors="coerce").astype(float) for c in COUNTS if c in df.columns)
    basis = pd.Series("counts", index=df.index, dtype=object)
    if from_shares and {"pct_excellent", "pct_good"} <= set(df.columns):
        use = (e.isna() | g.isna() | rated.isna()) & df["pct_excellent"].notna() & df["pct_good"].notna()
        e = e.where(~use, df["pct_excellent"].astype(float))
        g = g.where(~use, df["pct_good"].astype(float))
        pct_total = sum(df[c].astype(float).fillna(0) for c in ("pct_excellent", "pct_good", "pct_completed",
                                                                 "pct_not_completed") if c in df.columns)
        rated = rated.where(~use, pct_total)
        basis[use] = "published percentages"
    basis[e.isna() | g.isna()] = "insufficient"
    out["n_rated"] = rated.where(basis == "counts")
    out["share_excellent"] = e / rated
    out["excellent_to_good"] = e / g
    out["top_two_share"] = (e + g) / rated
    out["over_cap_ratio"] = out["excellent_to_good"] / float(cap_ratio)
    out["excess_over_cap"] = (e - g * float(cap_ratio)).where(basis == "counts")
    out["basis"] = basis
    return out


# --------------------------------------------------------------------------------------------
# Group metrics in the spirit of fairlearn's MetricFrame
# --------------------------------------------------------------------------------------------


@dataclass
class GroupMetric:
    """A metric overall and by group, each with its count and a bootstrap interval."""

    name: str
    overall: pd.Series  # value, count, ci_low, ci_high
    by_group: pd.DataFrame  # group columns, value, count, ci_low, ci_high, suppressed

    def difference(self) -> float:
        v = self.by_group.loc[~self.by_group["suppressed"], "value"]
        return float(v.max() - v.min())

    def ratio(self) -> float:
        v = self.by_group.loc[~self.by_group["suppressed"], "value"]
        return float(v.min() / v.max()) if v.max() else float("nan")


def group_metric(frame: pd.DataFrame, metric: Callable[[pd.DataFrame], float] | str, by: str | list[str], *,
                 bootstrap: int = 200, seed: int = 0, level: float = 0.95, suppress_below: int = 0,
                 name: str | None = None) -> GroupMetric:
    """``metric`` (a function of a sub-frame, or a column whose mean is taken) overall and per group.

    Percentile bootstrap intervals resample rows within each group (seeded). Groups with fewer than
    ``suppress_below`` rows are marked suppressed and their values blanked.
    """
    by = [by] if isinstance(by, str) else list(by)
    fn = (lambda d: float(d[metric].mean())) if isinstance(metric, str) else metric
    rng = np.random.default_rng(seed)
    a = (1 - level) / 2

    def interval(d: pd.DataFrame) -> tuple[float, float]:
        if bootstrap <= 0 or len(d) < 2:
            return (np.nan, np.nan)
        vals = [fn(d.iloc[rng.integers(0, len(d), len(d))]) for _ in range(bootstrap)]
        return tuple(np.nanquantile(vals, [a, 1 - a]))

    lo, hi = interval(frame)
    overall = pd.Series({"value": fn(frame), "count": len(frame), "ci_low": lo, "ci_high": hi})
    rows = []
    for key, d in frame.groupby(by, observed=True, sort=True):
        key = key if isinstance(key, tuple) else (key,)
        small = len(d) < suppress_below
        lo, hi = (np.nan, np.nan) if small else interval(d)
        rows.append({**dict(zip(by, key, strict=True)), "value": np.nan if small else fn(d), "count": len(d),
                     "ci_low": lo, "ci_high": hi, "suppressed": small})
    return GroupMetric(name or (metric if isinstance(metric, str) else getattr(metric, "__name__", "metric")),
                       overall, pd.DataFrame(rows))


# --------------------------------------------------------------------------------------------
# Tests and models
# --------------------------------------------------------------------------------------------


def chi_square(table) -> dict:
    """Chi-square test of independence on a contingency table, with Cramér's V.

    >>> r = chi_square([[10, 20], [20, 10]])
    >>> round(r["chi2"], 4), r["dof"]
    (6.6667, 1)
    """
    t = np.asarray(table, dtype=float)
    chi2, p, dof, expected = sps.chi2_contingency(t, correction=False)
    n = t.sum()
    v = np.sqrt(chi2 / (n * (min(t.shape) - 1))) if n else np.nan
    return {"chi2": float(chi2), "p_value": float(p), "dof": int(dof), "cramers_v": float(v), "n": int(n),
            "min_expected": float(expected.min())}


def compare_distributions(a: pd.DataFrame, b: pd.DataFrame) -> dict:
    """Chi-square test of two rosters' (or count rows') level distributions."""
    ca = a if "n_excellent" in a.columns else level_counts(a)
    cb = b if "n_excellent" in b.columns else level_counts(b)
    table = np.vstack([ca[COUNTS].sum().to_numpy(), cb[COUNTS].sum().to_numpy()])
    table = table[:, table.sum(axis=0) > 0]
    return chi_square(table)


def diff_in_diff(frame: pd.DataFrame, outcome: str, treated: str, post: str, cluster: str | None = None,
                 level: float = 0.95) -> dict:
    """Difference-in-differences by OLS ``outcome ~ treated * post`` with cluster-robust errors.

    Returns the interaction estimate, its standard error, interval and p-value.
    """
    import statsmodels.formula.api as smf

    d = frame[[outcome, treated, post] + ([cluster] if cluster else [])].dropna().copy()
    d[treated] = d[treated].astype(int)
    d[post] = d[post].astype(int)
    d[outcome] = d[outcome].astype(float)
    model = smf.ols(f"{outcome} ~ {treated} * {post}", data=d)
    if cluster:
        groups = pd.factorize(d[cluster])[0]
        fit = model.fit(cov_type="cluster", cov_kwds={"groups": groups})
    else:
        fit = model.fit(cov_type="HC1")
    term = f"{treated}:{post}"
    lo, hi = fit.conf_int(alpha=1 - level).loc[term]
    return {"estimate": float(fit.params[term]), "se": float(fit.bse[term]), "ci_low": float(lo),
            "ci_high": float(hi), "p_value": float(fit.pvalues[term]), "n": int(fit.nobs),
            "clusters": int(d[cluster].nunique()) if cluster else None}


def ordinal_model(roster: pd.DataFrame, covariates: list[str], distr: str = "logit"):
    """An ordered logit (or probit) of the rating level on covariates (statsmodels ``OrderedModel``).

    The outcome runs from NOT_COMPLETED (lowest) to EXCELLENT; positive coefficients mean better
    ratings. Rows NOT_RATED or with missing covariates are left out (the result says how many).
    """
    from statsmodels.miscmodels.ordinal_model import OrderedModel

    lv = L.as_levels(roster["level"]).astype(str).replace({L.COMPLETED_LIMITED: L.COMPLETED})
    keep = lv.isin(list(L.LEVELS)) & roster[covariates].notna().all(axis=1)
    y = pd.Categorical(lv[keep], categories=list(reversed(L.LEVELS)), ordered=True)
    present = [c for c in reversed(L.LEVELS) if (y == c).any()]
    X = roster.loc[keep, covariates].astype(float)
    y = pd.Series(pd.Categorical(np.asarray(y, dtype=object), categories=present, ordered=True), index=X.index)
    res = OrderedModel(y, X, distr=distr).fit(method="bfgs", disp=False, maxiter=500)
    res.n_left_out = int((~keep).sum())
    return res


def funnel(counts: pd.DataFrame, by: str = "unit_id", target: float | None = None,
           limits: tuple[float, ...] = (0.95, 0.998)) -> pd.DataFrame:
    """Funnel-plot statistics: each unit's excellent share against binomial limits for its size.

    ``target`` defaults to the pooled share. ``z`` is the unit's standardised distance from it;
    ``outside_95`` / ``outside_99.8`` flag units out of line for their size.
    """
    c = counts if "n_excellent" in counts.columns else level_counts(counts, by)
    n = c[[k for k in COUNTS if k in c.columns]].sum(axis=1).astype(float)
    e = c["n_excellent"].astype(float)
    p0 = float(e.sum() / n.sum()) if target is None else target
    out = c[[by]].copy()
    out["n"] = n
    out["excellent"] = e
    out["share"] = e / n
    se = np.sqrt(p0 * (1 - p0) / n)
    out["z"] = (out["share"] - p0) / se
    for lim in limits:
        z = sps.norm.ppf(0.5 + lim / 2)
        out[f"lower_{lim:g}"] = np.clip(p0 - z * se, 0, 1)
        out[f"upper_{lim:g}"] = np.clip(p0 + z * se, 0, 1)
        out[f"outside_{lim * 100:g}"] = (out["z"].abs() > z)
    out.attrs["target"] = p0
    return out


# --------------------------------------------------------------------------------------------
# Governance indices
# --------------------------------------------------------------------------------------------


def index_series(indices: pd.DataFrame, index: str, provinces: list[str] | None = None) -> pd.DataFrame:
    """One index by province and year, with the national average across provinces beside it."""
    d = indices[(indices["index"] == index) & ~indices["province"].str.contains(":|NATIONAL|MINISTR", regex=True)]
    wide = d.pivot_table(index="year", columns="province", values="score", aggfunc="mean")
    out = pd.DataFrame({"provinces": wide.notna().sum(axis=1), "mean_all": wide.mean(axis=1)})
    for p in provinces or []:
        out[p] = wide[p] if p in wide.columns else np.nan
        out[f"{p} rank"] = wide.rank(axis=1, ascending=False)[p] if p in wide.columns else np.nan
    return out.reset_index()


def rank_stability(indices: pd.DataFrame, index: str) -> pd.DataFrame:
    """Spearman correlation of province scores between consecutive years (with the provinces in both)."""
    d = indices[(indices["index"] == index) & ~indices["province"].str.contains(":|NATIONAL|MINISTR", regex=True)]
    wide = d.pivot_table(index="province", columns="year", values="score", aggfunc="mean")
    rows = []
    years = sorted(wide.columns)
    for y0, y1 in zip(years[:-1], years[1:], strict=True):
        both = wide[[y0, y1]].dropna()
        rho = sps.spearmanr(both[y0], both[y1])[0] if len(both) > 2 else np.nan
        rows.append({"from": y0, "to": y1, "provinces": len(both), "spearman": rho})
    return pd.DataFrame(rows)


def papi_totals(papi: pd.DataFrame) -> pd.DataFrame:
    """PAPI total per province and year: the published total where given (2011–2016 ``PAPI_total``…),
    otherwise the sum of the ``PAPI_SC*`` sub-dimensions (2017 on), as the data README says."""
    d = papi[~papi["province"].str.contains(":|NATIONAL|MINISTR", regex=True)]
    sc = d[d["index"].str.startswith("PAPI_SC")]
    sums = sc.groupby(["province", "year"])["score"].agg(["sum", "count"]).reset_index()
    sums = sums.rename(columns={"sum": "score", "count": "components"})
    dims = d[d["index"].str.startswith("PAPI_dim")].groupby(["province", "year"])["score"].agg(["sum", "count"])
    dims = dims.reset_index().rename(columns={"sum": "score", "count": "components"})
    early = dims[dims["year"] <= 2016]
    late = sums[sums["year"] > 2016]
    out = pd.concat([early.assign(source="sum of 6 dimensions"), late.assign(source="sum of PAPI_SC sub-dimensions")],
                    ignore_index=True)
    return out.sort_values(["year", "province"]).reset_index(drop=True)


def index_correlation(a: pd.DataFrame, b: pd.DataFrame, years) -> pd.DataFrame:
    """Spearman correlation across provinces between two indices, year by year.

    ``a`` and ``b`` are long tables with ``province, year, score`` (one index each).
    """
    wa = a.pivot_table(index="province", columns="year", values="score")
    wb = b.pivot_table(index="province", columns="year", values="score")
    rows = []
    for year in years:
        if year in wa.columns and year in wb.columns:
            both = pd.concat([wa[year], wb[year]], axis=1, keys=["a", "b"]).dropna()
            rho = sps.spearmanr(both["a"], both["b"])[0] if len(both) > 2 else np.nan
            rows.append({"year": year, "provinces": len(both), "spearman": rho})
    return pd.DataFrame(rows, columns=["year", "provinces", "spearman"])
