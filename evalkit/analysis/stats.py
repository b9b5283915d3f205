"""Statistics for rating data: distributions, inflation indices, group metrics with counts and
intervals, tests of difference, difference-in-differences, an ordinal model, and a funnel statistic.

Every table carries a count beside each figure; floats are for statistics only (caps are exact in
:mod:`evalkit.rules.cap`).

>>> import pandas as pd
>>> counts = pd.DataFrame({"org": ["A", "B"], "n_excellent": [30, 5], "n_good": [100, 50],
...                        "n_completed": [5, 5], "n_not_completed": [0, 1]})
>>> ix = inflation_indices(counts, by="org")
>>> print(ix[["org", "share_excellent", "excellent_to_good", "over_cap_ratio"]].round(3).to_string(index=False))
org  share_excellent  excellent_to_good  over_cap_ratio
  A            0.222                0.3             1.5
  B            0.082                0.1             0.5
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction

import numpy as np
import pandas as pd
from scipy import stats as sps

from .. import levels as L
from ..io.provinces import to_34

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


def split_good_or_above(rows: pd.DataFrame) -> pd.DataFrame:
    """Excellent and good from a published "good or above" total and its excellent part.

    Some sources give only the share (or number) rated good-or-above and, within it, excellent; the
    good count is their difference. ``rows`` has ``excellent`` and ``good_or_above`` (both shares or
    both counts, same basis) and optionally ``total``. Adds ``good`` and ``excellent_to_good`` and a
    ``derivation`` column stating the arithmetic, so the derived figure can be checked by hand.

    >>> r = split_good_or_above(pd.DataFrame({"excellent": [858], "good_or_above": [4740]}))
    >>> r[["good", "excellent_to_good"]].round(4).values.tolist()
    [[3882.0, 0.221]]
    """
    out = rows.copy()
    e = out["excellent"].astype(float)
    goa = out["good_or_above"].astype(float)
    if (e > goa).any():
        raise ValueError("excellent is part of good-or-above and cannot exceed it")
    out["good"] = goa - e
    out["excellent_to_good"] = e / out["good"]
    out["derivation"] = [f"good = {g:g} − {x:g} = {g - x:g}; excellent ÷ good = {x:g} ÷ {g - x:g} = {x / (g - x):.3f}"
                         for x, g in zip(e, goa, strict=True)]
    return out


#: Access dates of the bundled published figures were not recorded when they were collected; they
#: were added to evalkit on this date, which bounds the access date from above.
PUBLISHED_ADDED = "2026-11-28"


def source_list(frame: pd.DataFrame, column: str = "source_url", accessed: str = PUBLISHED_ADDED) -> pd.DataFrame:
    """The distinct sources of a published table with the number of rows each supports and the
    access date (``accessed no later than …`` when only an upper bound is known).

    >>> source_list(pd.DataFrame({"source_url": ["a", "a", "b"]}))["rows"].tolist()
    [2, 1]
    """
    counts = frame[column].fillna("(no source given)").value_counts(sort=False)
    out = counts.rename_axis("source").reset_index(name="rows")
    out["accessed"] = f"no later than {accessed}" if accessed == PUBLISHED_ADDED else accessed
    return out.sort_values(["rows", "source"], ascending=[False, True]).reset_index(drop=True)


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
    """A metric overall and by group, each with its count and a bootstrap interval.

    ``resampling`` says what the bootstrap resampled (clusters of a column, or people).
    """

    name: str
    overall: pd.Series  # value, count, ci_low, ci_high
    by_group: pd.DataFrame  # group columns, value, count, ci_low, ci_high, suppressed
    resampling: str = "people"

    def difference(self) -> float:
        v = self.by_group.loc[~self.by_group["suppressed"], "value"]
        return float(v.max() - v.min())

    def ratio(self) -> float:
        v = self.by_group.loc[~self.by_group["suppressed"], "value"]
        return float(v.min() / v.max()) if v.max() else float("nan")


def cluster_column(frame: pd.DataFrame, cluster: str | None) -> str | None:
    """The cluster column in use: ``"auto"`` means ``unit_id`` when the data has it, else none."""
    if cluster == "auto":
        return "unit_id" if "unit_id" in frame.columns else None
    if cluster is not None and cluster not in frame.columns:
        raise KeyError(f"cluster column {cluster!r} is not in the data (columns: {', '.join(map(str, frame.columns))})")
    return cluster


def group_metric(frame: pd.DataFrame, metric: Callable[[pd.DataFrame], float] | str, by: str | list[str], *,
                 cluster: str | None = "auto", bootstrap: int = 200, seed: int = 0, level: float = 0.95,
                 suppress_below: int = 0, name: str | None = None) -> GroupMetric:
    """``metric`` (a function of a sub-frame, or a column whose mean is taken) overall and per group.

    Percentile bootstrap intervals (seeded). Staff sit in units, so by default (``cluster="auto"``)
    the bootstrap resamples whole units (``unit_id``) when the data has them — resampling people
    would treat colleagues' ratings as independent and give intervals far too narrow. For a column
    mean the bootstrap is one matrix product (replicates × clusters); a callable metric is
    recomputed per replicate. Groups with fewer than ``suppress_below`` rows are suppressed.

    >>> df = pd.DataFrame({"unit_id": [1, 1, 2, 2, 3, 3], "g": list("ababab"), "x": [1, 0, 1, 1, 0, 0]})
    >>> m = group_metric(df, "x", "g", bootstrap=50, seed=1)
    >>> m.resampling, m.by_group["value"].round(3).tolist()
    ('clusters of unit_id (3)', [0.667, 0.333])
    """
    by = [by] if isinstance(by, str) else list(by)
    col = cluster_column(frame, cluster)
    cl, _ = pd.factorize(frame[col], use_na_sentinel=False) if col else (np.arange(len(frame)), None)
    n_cl = int(cl.max()) + 1 if len(cl) else 0
    gi = frame.groupby(by, observed=True, sort=True).ngroup().fillna(-1).to_numpy().astype(np.int64)
    keys = frame.groupby(by, observed=True, sort=True).size()
    k = len(keys)
    rng = np.random.default_rng(seed)
    a = (1 - level) / 2
    if isinstance(metric, str):
        x = pd.to_numeric(frame[metric], errors="coerce").to_numpy(dtype=float)
        ok = ~np.isnan(x)
        g = np.where(gi >= 0, gi, k)  # rows with a missing group: in the overall figure, in no group
        sums = np.bincount(cl[ok] * (k + 1) + g[ok], weights=x[ok], minlength=n_cl * (k + 1)).reshape(n_cl, k + 1)
        cnts = np.bincount(cl[ok] * (k + 1) + g[ok], minlength=n_cl * (k + 1)).reshape(n_cl, k + 1).astype(float)
        value_all = float(x[ok].mean()) if ok.any() else np.nan
        with np.errstate(invalid="ignore", divide="ignore"):
            values = sums.sum(0)[:k] / cnts.sum(0)[:k]
        if bootstrap > 0 and n_cl > 1:
            w = rng.multinomial(n_cl, np.full(n_cl, 1 / n_cl), size=bootstrap).astype(float)  # times each cluster drawn
            with np.errstate(invalid="ignore", divide="ignore"):
                boot = (w @ sums[:, :k]) / (w @ cnts[:, :k])
                boot_all = (w @ sums.sum(1)) / (w @ cnts.sum(1))
        else:
            boot, boot_all = np.full((1, k), np.nan), np.full(1, np.nan)
    else:
        fn = metric
        value_all = fn(frame)
        values = np.array([fn(frame[gi == j]) for j in range(k)])
        order = np.argsort(cl, kind="stable")
        starts = np.r_[0, np.cumsum(np.bincount(cl, minlength=n_cl))]
        boot, boot_all = np.full((max(bootstrap, 1), k), np.nan), np.full(max(bootstrap, 1), np.nan)
        for b in range(bootstrap if n_cl > 1 else 0):
            pick = rng.integers(0, n_cl, n_cl)
            rows = np.concatenate([order[starts[c]:starts[c + 1]] for c in pick])
            d = frame.iloc[rows]
            boot_all[b] = fn(d)
            g = gi[rows]
            for j in range(k):
                boot[b, j] = fn(d[g == j]) if (g == j).any() else np.nan
    with np.errstate(all="ignore"):
        lo_all, hi_all = (np.nanquantile(boot_all, [a, 1 - a]) if np.isfinite(boot_all).any() else (np.nan, np.nan))
    overall = pd.Series({"value": value_all, "count": len(frame), "ci_low": lo_all, "ci_high": hi_all})
    out = keys.reset_index(name="count")
    small = out["count"].to_numpy() < suppress_below
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        q = np.nanquantile(boot, [a, 1 - a], axis=0)
    out["value"] = np.where(small, np.nan, values)
    out["ci_low"], out["ci_high"] = np.where(small, np.nan, q[0]), np.where(small, np.nan, q[1])
    out["suppressed"] = small
    out = out[by + ["value", "count", "ci_low", "ci_high", "suppressed"]]
    resampling = f"clusters of {col} ({n_cl})" if col else "people"
    label = name or (metric if isinstance(metric, str) else str(getattr(metric, "__name__", "metric")))
    return GroupMetric(label, overall, out, resampling)


# --------------------------------------------------------------------------------------------
# Tests and models
# --------------------------------------------------------------------------------------------


def chi_square(table, design_effect: float | None = None) -> dict:
    """Chi-square test of independence on a contingency table, with Cramér's V.

    ``design_effect``: divide the statistic by it (a design-effect correction for clustered counts,
    e.g. ``1 + (m̄ − 1) × ICC`` or the Rao–Scott δ̄ of :func:`chi_square_clustered`); ``correction``
    says which was applied.

    >>> r = chi_square([[10, 20], [20, 10]])
    >>> round(r["chi2"], 4), r["dof"], r["correction"]
    (6.6667, 1, 'none (independent observations assumed)')
    >>> round(chi_square([[10, 20], [20, 10]], design_effect=2.0)["chi2"], 4)
    3.3333
    """
    t = np.asarray(table, dtype=float)
    chi2, p, dof, expected = sps.chi2_contingency(t, correction=False)
    n = t.sum()
    v = np.sqrt(chi2 / (n * (min(t.shape) - 1))) if n else np.nan
    out = {"chi2_uncorrected": float(chi2), "design_effect": 1.0,
           "correction": "none (independent observations assumed)"}
    if design_effect is not None:
        if not design_effect > 0:
            raise ValueError(f"design_effect must be positive, got {design_effect!r}")
        chi2 = chi2 / design_effect
        p = float(sps.chi2.sf(chi2, dof))
        out.update(design_effect=float(design_effect), correction=f"divided by a design effect of {design_effect:.3g}")
    return {"chi2": float(chi2), "p_value": float(p), "dof": int(dof), "cramers_v": float(v), "n": int(n),
            "min_expected": float(expected.min()), **out}


def _proportion_deffs(counts: np.ndarray, sizes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Proportions and their design effects from per-cluster counts (clusters × categories).

    Linearised (ratio-estimator) variance with the G/(G−1) factor, over the binomial variance.
    """
    g = len(sizes)
    total = sizes.sum()
    p = counts.sum(0) / total
    resid = counts - sizes[:, None] * p[None, :]
    var_design = g / (g - 1) * (resid**2).sum(0) / total**2
    var_srs = p * (1 - p) / total
    with np.errstate(invalid="ignore", divide="ignore"):
        d = np.where(var_srs > 0, var_design / var_srs, 1.0)
    return p, d


def chi_square_clustered(frame: pd.DataFrame, row: str, col: str, cluster: str = "unit_id") -> dict:
    """Pearson's chi-square for ``row`` × ``col`` with the first-order Rao–Scott correction for clustering.

    People rated in the same unit are not independent, so the plain test overstates the evidence.
    The statistic is divided by the mean generalised design effect (Rao & Scott 1984)::

        δ̄ = [Σᵢⱼ (1 − pᵢⱼ) dᵢⱼ − Σᵢ (1 − pᵢ.) dᵢ. − Σⱼ (1 − p.ⱼ) d.ⱼ] / ((r − 1)(c − 1))

    where the d's are the design effects of the cell and margin proportions under cluster sampling.
    Returns the corrected test beside the uncorrected statistic, δ̄ and the number of clusters.

    >>> df = pd.DataFrame({"unit_id": [1, 1, 2, 2, 3, 3, 4, 4], "a": list("xxyyxxyy"), "b": list("ppqqpqpq")})
    >>> r = chi_square_clustered(df, "a", "b")
    >>> r["dof"], r["clusters"], r["chi2_uncorrected"] == 2.0
    (1, 4, True)
    """
    d = frame[[row, col, cluster]].dropna()
    ri, rows = pd.factorize(d[row], sort=True)
    ci, cols = pd.factorize(d[col], sort=True)
    cl, clusters = pd.factorize(d[cluster])
    r, c, g = len(rows), len(cols), len(clusters)
    if g < 2:
        raise ValueError(f"a clustered test needs at least two clusters of {cluster!r}, found {g}")
    cells = np.bincount(cl * (r * c) + ri * c + ci, minlength=g * r * c).reshape(g, r * c).astype(float)
    sizes = cells.sum(1)
    p, d_cell = _proportion_deffs(cells, sizes)
    by_row = cells.reshape(g, r, c)
    p_r, d_r = _proportion_deffs(by_row.sum(2), sizes)
    p_c, d_c = _proportion_deffs(by_row.sum(1), sizes)
    dof = (r - 1) * (c - 1)
    delta = ((1 - p) * d_cell).sum() - ((1 - p_r) * d_r).sum() - ((1 - p_c) * d_c).sum()
    delta = float(delta / dof) if dof else np.nan
    table = cells.sum(0).reshape(r, c)
    out = chi_square(table, design_effect=delta)
    out.update(clusters=g, correction=f"first-order Rao–Scott, clusters of {cluster} ({g}); δ̄ = {delta:.3g}",
               rows=list(rows), columns=list(cols))
    return out


def design_effect(frame: pd.DataFrame, outcome: str, cluster: str = "unit_id") -> dict:
    """Intraclass correlation (one-way ANOVA estimator) of ``outcome`` within ``cluster`` and the
    design effect ``1 + (m₀ − 1) ICC`` with m₀ the size-adjusted mean cluster size.

    >>> df = pd.DataFrame({"unit_id": [1, 1, 2, 2], "y": [1.0, 1.0, 0.0, 0.0]})
    >>> design_effect(df, "y")["icc"]
    1.0
    """
    d = frame[[outcome, cluster]].dropna()
    y = d[outcome].astype(float).to_numpy()
    cl, _ = pd.factorize(d[cluster])
    g, n = int(cl.max()) + 1, len(y)
    m = np.bincount(cl, minlength=g).astype(float)
    means = np.bincount(cl, weights=y, minlength=g) / m
    ssb = (m * (means - y.mean()) ** 2).sum()
    ssw = ((y - means[cl]) ** 2).sum()
    msb, msw = ssb / (g - 1), ssw / (n - g) if n > g else 0.0
    m0 = (n - (m**2).sum() / n) / (g - 1)
    icc = (msb - msw) / (msb + (m0 - 1) * msw) if (msb + (m0 - 1) * msw) > 0 else 0.0
    return {"icc": float(icc), "mean_cluster_size": float(m0), "design_effect": float(1 + (m0 - 1) * icc),
            "clusters": g, "n": n}


def compare_distributions(a: pd.DataFrame, b: pd.DataFrame) -> dict:
    """Chi-square test of two rosters' (or count rows') level distributions (independent draws assumed;
    for people clustered in units use :func:`chi_square_clustered`)."""
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
            "clusters": int(d[cluster].nunique()) if cluster else None,
            "covariance": f"cluster-robust by {cluster}" if cluster else "heteroskedasticity-robust (HC1)"}


def ordinal_model(roster: pd.DataFrame, covariates: list[str], distr: str = "logit", cluster: str | None = "auto"):
    """An ordered logit (or probit) of the rating level on covariates (statsmodels ``OrderedModel``).

    The outcome runs from NOT_COMPLETED (lowest) to EXCELLENT; positive coefficients mean better
    ratings. Rows NOT_RATED or with missing covariates are left out (``n_left_out`` says how many).

    ``cluster``: staff in one unit share a rater, so by default (``"auto"``) the covariance is
    cluster-robust by ``unit_id`` when the data has it; a column name clusters by that column,
    ``None`` gives the model-based covariance. ``covariance`` on the result says which was used;
    ``bse_independent`` holds the model-based standard errors beside the robust ones;
    :func:`coefficient_table` puts both beside the estimates.
    """
    from statsmodels.miscmodels.ordinal_model import OrderedModel

    col = cluster_column(roster, cluster)
    lv = L.as_levels(roster["level"]).astype(str).replace({L.COMPLETED_LIMITED: L.COMPLETED})
    keep = lv.isin(list(L.LEVELS)) & roster[covariates].notna().all(axis=1)
    if col:
        keep &= roster[col].notna()
    y = pd.Categorical(lv[keep], categories=list(reversed(L.LEVELS)), ordered=True)
    present = [c for c in reversed(L.LEVELS) if (y == c).any()]
    X = roster.loc[keep, covariates].astype(float)
    y = pd.Series(pd.Categorical(np.asarray(y, dtype=object), categories=present, ordered=True), index=X.index)
    model = OrderedModel(y, X, distr=distr)
    if col:
        groups = pd.factorize(roster.loc[keep, col])[0]
        res = model.fit(method="bfgs", disp=False, maxiter=500, cov_type="cluster", cov_kwds={"groups": groups})
        res.covariance = f"cluster-robust by {col} ({groups.max() + 1} clusters)"
        # what the model-based covariance would say, for comparison (inverse of the observed information)
        info = -model.hessian(np.asarray(res.params))
        res.bse_independent = pd.Series(np.sqrt(np.diag(np.linalg.inv(info))), index=res.params.index)
    else:
        res = model.fit(method="bfgs", disp=False, maxiter=500)
        res.covariance = "model-based (observations assumed independent)"
        res.bse_independent = res.bse
    res.n_left_out = int((~keep).sum())
    return res


def coefficient_table(res, terms: list[str] | None = None, level: float = 0.95) -> pd.DataFrame:
    """Estimates, standard errors, z, p and interval of a statsmodels result, with the covariance used."""
    ci = np.asarray(res.conf_int(alpha=1 - level))
    names = list(res.params.index)
    t = pd.DataFrame({"term": names, "estimate": np.asarray(res.params), "se": np.asarray(res.bse),
                      "z": np.asarray(res.tvalues), "p_value": np.asarray(res.pvalues),
                      "ci_low": ci[:, 0], "ci_high": ci[:, 1]})
    if terms is not None:
        t = t.set_index("term").loc[terms].reset_index()
    if hasattr(res, "bse_independent"):
        t["se_if_independent"] = t["term"].map(res.bse_independent)
    t["covariance"] = getattr(res, "covariance", getattr(res, "cov_type", ""))
    t["n"] = int(res.nobs)
    return t


def binomial_limits(n, target: float, coverage: float) -> tuple[np.ndarray, np.ndarray]:
    """Exact binomial control limits for a proportion at sizes ``n`` (Spiegelhalter 2005, appendix A.1.1).

    The limit at tail probability q is ``(r_q − α) / n`` with ``r_q`` the smallest count whose
    binomial CDF reaches q and ``α = (F(r_q) − q) / (F(r_q) − F(r_q − 1))``, interpolating so the
    limits are smooth in n.

    >>> lo, hi = binomial_limits(np.array([10]), 0.2, 0.95)
    >>> round(float(lo[0]), 3), round(float(hi[0]), 3)
    (0.0, 0.429)
    """
    n = np.asarray(n, dtype=float)

    def limit(q):
        r = sps.binom.ppf(q, n, target)
        f_r, f_below = sps.binom.cdf(r, n, target), sps.binom.cdf(r - 1, n, target)
        with np.errstate(invalid="ignore", divide="ignore"):
            alpha = np.where(f_r > f_below, (f_r - q) / (f_r - f_below), 0.0)
        return np.clip((r - alpha) / n, 0, 1)

    tail = (1 - coverage) / 2
    return limit(tail), limit(1 - tail)


def funnel(counts: pd.DataFrame, by: str = "unit_id", target: float | None = None,
           limits: tuple[float, ...] = (0.95, 0.998), winsorise: float = 0.1) -> pd.DataFrame:
    """Funnel-plot statistics: each unit's excellent share against exact binomial limits for its size,
    with an overdispersion estimate and limits adjusted for it (Spiegelhalter 2005).

    ``target`` defaults to the pooled share. ``z`` is the unit's standardised distance from it;
    ``outside_95`` / ``outside_99.8`` flag units beyond the exact binomial limits. Real units differ
    for reasons the binomial model does not know (leniency, real strength), so the share flagged is
    usually far above 5 %: ``attrs["phi"]`` is the overdispersion factor (mean of the z², winsorised
    at ``winsorise`` and ``1 − winsorise``; 1 = binomial), ``attrs["tau2"]`` the additive
    between-unit variance, and ``*_adjusted`` columns use the limits ``target ± z √(s² + τ²)``.
    ``attrs["summary"]`` counts the units flagged each way.
    """
    c = counts if "n_excellent" in counts.columns else level_counts(counts, by)
    n = c[[k for k in COUNTS if k in c.columns]].sum(axis=1).astype(float)
    c, n = c[n > 0], n[n > 0]
    e = c["n_excellent"].astype(float)
    p0 = float(e.sum() / n.sum()) if target is None else target
    out = c[[by]].copy()
    out["n"] = n
    out["excellent"] = e
    out["share"] = e / n
    s2 = p0 * (1 - p0) / n
    out["z"] = (out["share"] - p0) / np.sqrt(s2)
    z = out["z"].to_numpy()
    units = len(z)
    zw = np.clip(z, *np.quantile(z, [winsorise, 1 - winsorise])) if winsorise and units else z
    phi = float(np.mean(zw**2)) if units else np.nan
    w = 1 / s2.to_numpy()
    tau2 = max(0.0, (units * phi - (units - 1)) / (w.sum() - (w**2).sum() / w.sum())) if units > 1 else 0.0
    summary = {"units": units, "target": p0, "phi": phi, "tau2": tau2,
               "overdispersion_p_value": float(sps.chi2.sf(units * phi, units - 1)) if units > 1 else np.nan}
    for lim in limits:
        lo, hi = binomial_limits(n.to_numpy(), p0, lim)
        zq = sps.norm.ppf(0.5 + lim / 2)
        out[f"lower_{lim:g}"], out[f"upper_{lim:g}"] = lo, hi
        out[f"outside_{lim * 100:g}"] = (out["share"] < lo) | (out["share"] > hi)
        sd = np.sqrt(s2 + tau2)
        out[f"lower_{lim:g}_adjusted"] = np.clip(p0 - zq * sd, 0, 1)
        out[f"upper_{lim:g}_adjusted"] = np.clip(p0 + zq * sd, 0, 1)
        out[f"outside_{lim * 100:g}_adjusted"] = (out["z"].abs() * np.sqrt(s2) > zq * sd)
        summary[f"outside_{lim * 100:g}"] = int(out[f"outside_{lim * 100:g}"].sum())
        summary[f"outside_{lim * 100:g}_adjusted"] = int(out[f"outside_{lim * 100:g}_adjusted"].sum())
    out.attrs.update(target=p0, phi=phi, tau2=tau2, summary=summary)
    return out


def mean_interval(values, level: float = 0.95) -> tuple[float, float, float]:
    """Mean and its t interval (``n − 1`` degrees of freedom) over replicates.

    >>> m, lo, hi = mean_interval([1.0, 2.0, 3.0])
    >>> m, round(hi - m, 4)   # t(0.975, 2) × 1/√3
    (2.0, 2.4841)
    """
    v = np.asarray(values, dtype=float)
    v = v[~np.isnan(v)]
    if len(v) < 2:
        return (float(v.mean()) if len(v) else np.nan, np.nan, np.nan)
    half = sps.t.ppf(0.5 + level / 2, len(v) - 1) * v.std(ddof=1) / np.sqrt(len(v))
    return float(v.mean()), float(v.mean() - half), float(v.mean() + half)


def correlation(x, y, method: str = "spearman", level: float = 0.95) -> dict:
    """A correlation with its interval by Fisher's z: standard error ``1/√(n − 3)`` for Pearson and
    Bonett & Wright's ``√((1 + r²/2)/(n − 3))`` for Spearman.

    >>> r = correlation([1, 2, 3, 4, 5], [2, 1, 4, 3, 5], method="pearson")
    >>> round(r["estimate"], 2), r["n"]
    (0.8, 5)
    """
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    ok = ~(np.isnan(x) | np.isnan(y))
    x, y = x[ok], y[ok]
    n = len(x)
    if n < 4:
        return {"estimate": np.nan, "ci_low": np.nan, "ci_high": np.nan, "n": n, "method": method}
    if method == "spearman":
        r = float(sps.spearmanr(x, y)[0])
        se = np.sqrt((1 + r * r / 2) / (n - 3))
    elif method == "pearson":
        r = float(sps.pearsonr(x, y)[0])
        se = 1 / np.sqrt(n - 3)
    else:
        raise ValueError(f"method must be 'spearman' or 'pearson', got {method!r}")
    zq = sps.norm.ppf(0.5 + level / 2)
    zr = np.arctanh(np.clip(r, -0.999999, 0.999999))
    return {"estimate": r, "ci_low": float(np.tanh(zr - zq * se)), "ci_high": float(np.tanh(zr + zq * se)), "n": n,
            "method": method}


# --------------------------------------------------------------------------------------------
# Governance indices
# --------------------------------------------------------------------------------------------


def on_current_provinces(indices: pd.DataFrame, index: str, year: int) -> pd.DataFrame:
    """One year of an index on today's 34 provinces: the former provinces' scores mapped through the
    63 → 34 crosswalk (:func:`evalkit.io.provinces.to_34`) and averaged, unweighted, with the rank.

    An unweighted mean of the former provinces is the plain reading of a merged unit's index when no
    population or firm weights are at hand; ``former`` names what went into each row so a reader can
    weigh them differently.

    >>> d = pd.DataFrame({"province": ["Hà Giang", "Tuyên Quang", "Quảng Ninh"], "year": 2016, "index": "PCI",
    ...                   "score": [50.0, 60.0, 70.0]})
    >>> on_current_provinces(d, "PCI", 2016)[["province_34", "score", "n_former", "rank"]].values.tolist()
    [['Quảng Ninh', 70.0, 1, 1], ['Tuyên Quang', 55.0, 2, 2]]
    """
    d = indices[(indices["index"] == index) & (indices["year"] == year)].copy()
    d["province_34"] = to_34(d["province"]).to_numpy()
    unmatched = d.loc[d["province_34"].isna(), "province"].tolist()
    if unmatched:
        raise ValueError(f"{index} {year}: provinces not in the 63 → 34 crosswalk: {unmatched}")
    out = (d.groupby("province_34", sort=False)
           .agg(score=("score", "mean"), n_former=("province", "size"), former=("province", lambda s: ", ".join(s)))
           .reset_index().sort_values("score", ascending=False, kind="stable").reset_index(drop=True))
    out["rank"] = np.arange(1, len(out) + 1)
    return out


def index_series(indices: pd.DataFrame, index: str, provinces: list[str] | None = None,
                 min_provinces: int = 60) -> pd.DataFrame:
    """One index by province and year, with the mean across provinces beside it.

    ``mean_all`` is given only for years with at least ``min_provinces`` provinces: in years where
    the source published only its top-ranked provinces a "mean" would be the mean of the best, so it
    is left blank (``coverage`` is ``all provinces`` or ``partial``).
    """
    d = indices[(indices["index"] == index) & ~indices["province"].str.contains(":|NATIONAL|MINISTR", regex=True)]
    wide = d.pivot_table(index="year", columns="province", values="score", aggfunc="mean")
    count = wide.notna().sum(axis=1)
    full = count >= min_provinces
    out = pd.DataFrame({"provinces": count, "coverage": np.where(full, "all provinces", "partial"),
                        "mean_all": wide.mean(axis=1).where(full)})
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
    """PAPI total per province and year: the sum of the six dimensions 2011–2016, the sum of the
    ``PAPI_SC*`` sub-dimensions from 2017 (eight dimensions from 2018), as the data README says.

    The methodology changed between 2016 and 2018, so totals on either side are not comparable:
    ``segment`` names the comparable stretch, and plots draw a break between segments.
    """
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
    out["segment"] = np.select([out["year"] <= 2016, out["year"] == 2017],
                               ["2011–2016 (6 dimensions)", "2017 (sub-dimensions)"], "2018– (8 dimensions)")
    return out.sort_values(["year", "province"]).reset_index(drop=True)


def index_correlation(a: pd.DataFrame, b: pd.DataFrame, years, level: float = 0.95) -> pd.DataFrame:
    """Spearman correlation across provinces between two indices, year by year, with an interval
    (:func:`correlation`).

    ``a`` and ``b`` are long tables with ``province, year, score`` (one index each).
    """
    wa = a.pivot_table(index="province", columns="year", values="score")
    wb = b.pivot_table(index="province", columns="year", values="score")
    rows = []
    for year in years:
        if year in wa.columns and year in wb.columns:
            both = pd.concat([wa[year], wb[year]], axis=1, keys=["a", "b"]).dropna()
            r = correlation(both["a"], both["b"], "spearman", level)
            rows.append({"year": year, "provinces": len(both), "spearman": r["estimate"], "ci_low": r["ci_low"],
                         "ci_high": r["ci_high"]})
    return pd.DataFrame(rows, columns=["year", "provinces", "spearman", "ci_low", "ci_high"])
