"""Inference that respects clustering, checked against statsmodels/scipy on data with known clustering."""

import numpy as np
import pandas as pd
import pytest
from scipy import stats as sps

from evalkit.analysis import stats as S


def _clustered(seed=0, units=80, size=25, icc_sd=1.0):
    """People in units; the unit effect and a unit-level covariate make ratings correlate within units."""
    rng = np.random.default_rng(seed)
    unit = np.repeat(np.arange(units), size)
    x_unit = rng.normal(size=units)[unit]  # a unit-level covariate (like log unit size)
    u = rng.normal(0, icc_sd, units)[unit]
    latent = 0.3 * x_unit + u + rng.logistic(size=len(unit))
    level = np.select([latent > 1.5, latent > -1, latent > -3], ["EXCELLENT", "GOOD", "COMPLETED"], "NOT_COMPLETED")
    return pd.DataFrame({"unit_id": unit, "x": x_unit, "level": level, "y": (latent > 1.5).astype(float)})


def test_ordinal_model_is_cluster_robust_by_default_and_matches_statsmodels():
    from statsmodels.miscmodels.ordinal_model import OrderedModel

    d = _clustered()
    res = S.ordinal_model(d, ["x"])
    assert res.covariance.startswith("cluster-robust by unit_id (80")
    naive = S.ordinal_model(d, ["x"], cluster=None)
    assert naive.covariance.startswith("model-based")
    assert res.params["x"] == pytest.approx(naive.params["x"], rel=1e-4)
    assert res.bse["x"] > 2 * naive.bse["x"]  # a unit-level covariate: clustering matters a lot
    assert res.bse_independent["x"] == pytest.approx(naive.bse["x"], rel=1e-2)
    # statsmodels directly, same data and groups
    y = pd.Series(pd.Categorical(d["level"], categories=["NOT_COMPLETED", "COMPLETED", "GOOD", "EXCELLENT"],
                                 ordered=True))
    direct = OrderedModel(y, d[["x"]], distr="logit").fit(method="bfgs", disp=False, maxiter=500, cov_type="cluster",
                                                          cov_kwds={"groups": d["unit_id"].to_numpy()})
    assert res.bse["x"] == pytest.approx(direct.bse["x"], rel=1e-3)
    # and by hand: the sandwich H⁻¹ B H⁻¹ with per-cluster score sums and the small-sample factor
    model = OrderedModel(y, d[["x"]], distr="logit")
    params = np.asarray(direct.params)
    score = model.score_obs(params)
    H = model.hessian(params)
    B = sum(np.outer(s, s) for s in pd.DataFrame(score).groupby(d["unit_id"].to_numpy()).sum().to_numpy())
    G, N, K = 80, len(d), len(params)
    V = np.linalg.inv(H) @ B @ np.linalg.inv(H) * G / (G - 1) * (N - 1) / (N - K)
    assert np.sqrt(V[0, 0]) == pytest.approx(res.bse["x"], rel=1e-3)
    t = S.coefficient_table(res, ["x"])
    assert t["covariance"].iloc[0] == res.covariance and t["ci_low"].iloc[0] < res.params["x"] < t["ci_high"].iloc[0]


def test_ordinal_model_without_units_is_model_based():
    d = _clustered().drop(columns="unit_id")
    assert S.ordinal_model(d, ["x"]).covariance.startswith("model-based")


def test_group_metric_bootstraps_clusters_and_matches_the_cluster_robust_se():
    import statsmodels.api as sm

    d = _clustered(seed=3, units=120, size=20)
    d["g"] = np.where(np.arange(len(d)) % 2 == 0, "a", "b")
    m = S.group_metric(d, "y", "g", bootstrap=2000, seed=1)
    assert m.resampling == "clusters of unit_id (120)"
    people = S.group_metric(d, "y", "g", bootstrap=2000, seed=1, cluster=None)
    assert people.resampling == "people"
    wide = m.overall["ci_high"] - m.overall["ci_low"]
    narrow = people.overall["ci_high"] - people.overall["ci_low"]
    assert wide > 1.5 * narrow
    # the width of the cluster bootstrap agrees with the cluster-robust SE of a mean (statsmodels)
    fit = sm.OLS(d["y"], np.ones(len(d))).fit(cov_type="cluster", cov_kwds={"groups": d["unit_id"]})
    assert wide == pytest.approx(2 * 1.96 * fit.bse.iloc[0], rel=0.12)
    naive = sm.OLS(d["y"], np.ones(len(d))).fit()
    assert narrow == pytest.approx(2 * 1.96 * naive.bse.iloc[0], rel=0.12)
    assert m.overall["value"] == pytest.approx(d["y"].mean())


def test_group_metric_callable_metric_resamples_clusters_too():
    d = _clustered(seed=4, units=30, size=10)
    m = S.group_metric(d, lambda f: float(f["y"].mean()), "x", bootstrap=30, seed=2, suppress_below=0)
    assert m.resampling.startswith("clusters of unit_id")
    assert (m.by_group["count"] == 10).all()


def test_design_effect_matches_the_anova_icc():
    rng = np.random.default_rng(5)
    unit = np.repeat(np.arange(400), 10)
    y = rng.normal(0, 1, 400)[unit] + rng.normal(0, 2, len(unit))  # ICC = 1 / (1 + 4) = 0.2
    r = S.design_effect(pd.DataFrame({"unit_id": unit, "y": y}), "y")
    assert r["icc"] == pytest.approx(0.2, abs=0.04)
    assert r["design_effect"] == pytest.approx(1 + 9 * r["icc"])


def test_rao_scott_without_clustering_is_the_plain_test():
    rng = np.random.default_rng(6)
    d = pd.DataFrame({"unit_id": np.arange(3000), "a": rng.integers(0, 3, 3000), "b": rng.integers(0, 2, 3000)})
    r = S.chi_square_clustered(d, "a", "b")
    plain = sps.chi2_contingency(pd.crosstab(d["a"], d["b"]).to_numpy(), correction=False)
    assert r["chi2_uncorrected"] == pytest.approx(plain[0])
    assert r["design_effect"] == pytest.approx(1.0, abs=0.01)  # only the G/(G−1) factor


def test_rao_scott_agrees_with_a_cluster_robust_wald_test():
    import statsmodels.api as sm

    rng = np.random.default_rng(7)
    units, size = 150, 30
    unit = np.repeat(np.arange(units), size)
    kind = rng.integers(0, 2, units)[unit]  # a unit attribute (agency vs service unit)
    p = 1 / (1 + np.exp(-(-1 + 0.4 * kind + rng.normal(0, 0.8, units)[unit])))
    y = (rng.random(len(unit)) < p).astype(int)
    d = pd.DataFrame({"unit_id": unit, "kind": kind, "y": y})
    r = S.chi_square_clustered(d, "kind", "y")
    fit = sm.OLS(d["y"].astype(float), sm.add_constant(d["kind"].astype(float))).fit(
        cov_type="cluster", cov_kwds={"groups": d["unit_id"]})
    wald = float(fit.tvalues["kind"]) ** 2
    assert r["design_effect"] > 3
    assert r["chi2"] == pytest.approx(wald, rel=0.2)


def test_rao_scott_holds_its_size_under_the_null():
    rng = np.random.default_rng(8)
    plain, corrected = [], []
    for _ in range(150):
        unit = np.repeat(np.arange(40), 20)
        kind = rng.integers(0, 2, 40)[unit]
        p = 1 / (1 + np.exp(-(-1 + rng.normal(0, 1.0, 40)[unit])))  # no effect of kind, strong clustering
        y = (rng.random(len(unit)) < p).astype(int)
        r = S.chi_square_clustered(pd.DataFrame({"unit_id": unit, "kind": kind, "y": y}), "kind", "y")
        plain.append(sps.chi2.sf(r["chi2_uncorrected"], 1) < 0.05)
        corrected.append(r["p_value"] < 0.05)
    assert np.mean(plain) > 0.25  # the plain test rejects a true null far too often
    assert np.mean(corrected) < 0.11


def test_exact_binomial_limits_by_hand_and_near_normal_for_large_n():
    # n = 10, target 0.2: F(4) = 0.96721, F(5) = 0.99363 → r = 5, α = (0.99363 − 0.975)/(0.99363 − 0.96721)
    lo, hi = S.binomial_limits(np.array([10]), 0.2, 0.95)
    f4, f5 = sps.binom.cdf(4, 10, 0.2), sps.binom.cdf(5, 10, 0.2)
    assert round(f4, 5) == 0.96721 and round(f5, 5) == 0.99363
    assert hi[0] == pytest.approx((5 - (f5 - 0.975) / (f5 - f4)) / 10)
    assert lo[0] == 0.0
    lo, hi = S.binomial_limits(np.array([100_000]), 0.3, 0.95)
    se = np.sqrt(0.3 * 0.7 / 100_000)
    assert hi[0] == pytest.approx(0.3 + 1.96 * se, abs=2e-4) and lo[0] == pytest.approx(0.3 - 1.96 * se, abs=2e-4)


def test_funnel_overdispersion_recovers_known_between_unit_variance():
    rng = np.random.default_rng(9)
    units, n = 600, 50
    binom = pd.DataFrame({"unit_id": np.arange(units), "n_excellent": rng.binomial(n, 0.3, units)})
    binom["n_good"] = n - binom["n_excellent"]
    f = S.funnel(binom, winsorise=0)
    assert f.attrs["phi"] == pytest.approx(1, abs=0.15) and f.attrs["tau2"] < 0.002
    assert f["outside_95"].mean() < 0.08  # exact limits: about 5% (fewer for a discrete count)
    # beta-binomial with ICC ρ = 0.1: var of true shares = ρ p (1 − p) = 0.021, φ ≈ 1 + (n − 1) ρ = 5.9
    a = 0.3 * (1 / 0.1 - 1)
    true = rng.beta(a, a * 0.7 / 0.3, units)
    over = binom.assign(n_excellent=rng.binomial(n, true))
    over["n_good"] = n - over["n_excellent"]
    g = S.funnel(over, winsorise=0)
    assert g.attrs["phi"] == pytest.approx(5.9, rel=0.2)
    assert g.attrs["tau2"] == pytest.approx(0.021, rel=0.25)
    assert g["outside_99.8"].mean() > 0.15 and g["outside_99.8_adjusted"].mean() < 0.02
    s = S.funnel(over).attrs["summary"]  # winsorised (Spiegelhalter's default): still overdispersed
    assert s["overdispersion_p_value"] < 1e-6 and s["outside_99.8_adjusted"] < s["outside_99.8"]


def test_correlation_intervals_match_scipy_for_pearson():
    rng = np.random.default_rng(10)
    x = rng.normal(size=63)
    y = 0.5 * x + rng.normal(size=63)
    r = S.correlation(x, y, method="pearson")
    ci = sps.pearsonr(x, y).confidence_interval(0.95)
    assert r["ci_low"] == pytest.approx(ci.low, rel=1e-6) and r["ci_high"] == pytest.approx(ci.high, rel=1e-6)
    s = S.correlation(x, y)  # Spearman, Bonett–Wright: a little wider than Fisher's 1/√(n−3)
    assert s["estimate"] == pytest.approx(sps.spearmanr(x, y)[0])
    half = np.sqrt((1 + s["estimate"] ** 2 / 2) / 60) * sps.norm.ppf(0.975)
    assert s["ci_high"] == pytest.approx(np.tanh(np.arctanh(s["estimate"]) + half))


def test_mean_interval_uses_t():
    v = [0.1, 0.3, 0.2, 0.4]
    m, lo, hi = S.mean_interval(v)
    assert hi - m == pytest.approx(sps.t.ppf(0.975, 3) * np.std(v, ddof=1) / 2)


def test_index_series_leaves_top_ranked_years_out_of_the_mean():
    rows = [{"index": "PCI", "province": f"P{i}", "year": 2015, "score": 50.0 + i} for i in range(63)]
    rows += [{"index": "PCI", "province": f"P{i}", "year": 2020, "score": 70.0 + i} for i in range(10)]
    s = S.index_series(pd.DataFrame(rows), "PCI", ["P1"]).set_index("year")
    assert s.loc[2015, "mean_all"] == pytest.approx(50 + 31) and np.isnan(s.loc[2020, "mean_all"])
    assert s.loc[2020, "coverage"] == "partial" and s.loc[2020, "P1"] == 71


def test_group_metric_keeps_rows_with_a_missing_group_in_the_overall_figure():
    df = pd.DataFrame({"unit_id": [1, 1, 2, 2, 3], "g": ["a", None, "a", "b", "b"], "x": [1.0, 0.0, 1.0, 0.0, 0.0]})
    m = S.group_metric(df, "x", "g", bootstrap=20, seed=1)
    assert m.overall["value"] == pytest.approx(0.4) and m.overall["count"] == 5
    assert m.by_group.set_index("g")["value"].to_dict() == {"a": 1.0, "b": 0.0}
