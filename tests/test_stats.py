"""Statistics against hand-worked and textbook values."""

import numpy as np
import pandas as pd
import pytest
from scipy import stats as sps

import evalkit as ek
from evalkit.analysis import stats as S
from evalkit.resources import PACKAGE_DIR as ROOT


def test_chi_square_textbook():
    # 2x2 table [[10, 20], [20, 10]]: expected 15 everywhere, chi2 = 4 * 25/15 = 6.667 without correction
    r = S.chi_square([[10, 20], [20, 10]])
    assert r["chi2"] == pytest.approx(4 * 25 / 15)
    assert r["dof"] == 1 and r["cramers_v"] == pytest.approx(np.sqrt((4 * 25 / 15) / 60))
    assert r["p_value"] == pytest.approx(sps.chi2.sf(4 * 25 / 15, 1))


def test_inflation_indices_published_national():
    counts = ek.read_counts(ROOT / "published/rating_aggregates.csv")
    ix = S.inflation_indices(counts, by=["unit_id", "population", "year"])
    both = ix[ix["population"] == "civil servants + public employees"].iloc[0]
    assert both["excellent_to_good"] == pytest.approx(590120 / 1418800)  # ≈ 41.6% of good
    assert both["over_cap_ratio"] == pytest.approx(590120 / 1418800 / 0.2)
    hcm = ix[ix["unit_id"].str.startswith("TP. Hồ Chí Minh")].iloc[0]
    assert hcm["basis"] == "published percentages" and hcm["excellent_to_good"] == pytest.approx(32.03 / 65.48)


def test_level_counts_and_distribution():
    r = pd.DataFrame({"unit_id": ["A", "A", "B"], "level": ["EXCELLENT", "GOOD", "NOT_RATED"]})
    c = S.level_counts(r, "unit_id")
    assert c.set_index("unit_id").loc["A", ["n_excellent", "n_good"]].tolist() == [1, 1]
    assert c.set_index("unit_id").loc["B", "n_not_rated"] == 1
    d = S.distribution(r, "unit_id")
    assert d[(d.unit_id == "A") & (d.level == "EXCELLENT")]["share"].iloc[0] == 0.5


def test_group_metric_counts_and_suppression():
    df = pd.DataFrame({"g": ["a"] * 50 + ["b"] * 50 + ["c"] * 3, "x": [1] * 50 + [0] * 50 + [1] * 3})
    m = S.group_metric(df, "x", "g", bootstrap=100, seed=1, suppress_below=5)
    bg = m.by_group.set_index("g")
    assert bg.loc["a", "value"] == 1 and bg.loc["b", "value"] == 0 and bg.loc["c", "suppressed"]
    assert np.isnan(bg.loc["c", "value"]) and bg.loc["c", "count"] == 3
    assert m.difference() == 1 and m.ratio() == 0
    assert m.overall["count"] == 103


def test_did_recovers_planted_effect():
    rng = np.random.default_rng(0)
    units = np.repeat(np.arange(60), 40)
    treated = (units < 30).astype(int)
    unit_fx = rng.normal(0, 0.5, 60)[units]
    rows = []
    for post in (0, 1):
        y = 1.0 + 0.3 * treated + 0.2 * post - 0.5 * treated * post + unit_fx + rng.normal(0, 1, len(units))
        rows.append(pd.DataFrame({"y": y, "treated": treated, "post": post, "unit": units}))
    d = pd.concat(rows)
    r = S.diff_in_diff(d, "y", "treated", "post", cluster="unit")
    assert r["ci_low"] <= -0.5 <= r["ci_high"] and r["clusters"] == 60


def test_ordinal_model_sign():
    rng = np.random.default_rng(1)
    x = rng.normal(size=800)
    latent = 1.5 * x + rng.logistic(size=800)
    level = np.select([latent > 2, latent > 0, latent > -2], ["EXCELLENT", "GOOD", "COMPLETED"], "NOT_COMPLETED")
    res = S.ordinal_model(pd.DataFrame({"level": level, "x": x}), ["x"])
    assert 1.2 < res.params["x"] < 1.8


def test_funnel_flags_outliers():
    c = pd.DataFrame({"unit_id": ["big_ok", "big_high", "small"], "n_excellent": [200, 600, 2],
                      "n_good": [800, 400, 3], "n_completed": [0, 0, 0], "n_not_completed": [0, 0, 0]})
    f = S.funnel(c, target=0.2).set_index("unit_id")
    assert not f.loc["big_ok", "outside_99.8"] and f.loc["big_high", "outside_99.8"]
    assert f.loc["big_high", "z"] == pytest.approx((0.6 - 0.2) / np.sqrt(0.2 * 0.8 / 1000))


def test_index_helpers():
    pci = pd.read_csv(ROOT / "published/indices_pci.csv")
    s = S.index_series(pci, "PCI", ["Quảng Ninh"])
    assert s.set_index("year").loc[2010, "provinces"] == 63
    rs = S.rank_stability(pci, "PCI")
    assert rs["spearman"].dropna().between(-1, 1).all()
    assert (rs.loc[rs["spearman"].isna(), "provinces"] <= 2).all()
    assert rs.set_index("from").loc[2010, "provinces"] == 63
    papi = pd.read_csv(ROOT / "published/indices_papi.csv")
    tot = S.papi_totals(papi)
    qn = tot[(tot.province == "Quảng Ninh") & (tot.year == 2012)].iloc[0]
    dims = papi[(papi.province == "Quảng Ninh") & (papi.year == 2012) & papi["index"].str.startswith("PAPI_dim")]
    assert qn["score"] == pytest.approx(dims["score"].sum()) and qn["components"] == 6


def test_plots_return_figures():
    import matplotlib

    from evalkit.analysis import plots

    roster = ek.read_roster(ROOT / "sample/so_noi_vu_2026_xep_loai.xlsx")
    fig, ax = plots.level_bars(S.distribution(roster, "task_group"), "task_group", lang="vi")
    assert isinstance(fig, matplotlib.figure.Figure) and ax.get_legend() is not None
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert "Hoàn thành xuất sắc nhiệm vụ" in labels
    fig, _ = plots.excellent_vs_cap(ek.check_cap(roster).groups, "task_group")
    fig, _ = plots.funnel_plot(S.funnel(S.level_counts(roster, "unit_id")))
    matplotlib.pyplot.close("all")


def test_compare_distributions_between_years():
    a = pd.DataFrame({"n_excellent": [30], "n_good": [60], "n_completed": [10], "n_not_completed": [0]})
    b = pd.DataFrame({"n_excellent": [10], "n_good": [80], "n_completed": [10], "n_not_completed": [0]})
    r = S.compare_distributions(a, b)
    expected = sps.chi2_contingency([[30, 60, 10], [10, 80, 10]], correction=False)
    assert r["chi2"] == pytest.approx(expected[0]) and r["dof"] == 2  # the empty level is dropped


def test_index_correlation_by_hand():
    a = pd.DataFrame({"province": list("ABCD"), "year": 2012, "score": [1, 2, 3, 4]})
    b = pd.DataFrame({"province": list("ABCD"), "year": 2012, "score": [10, 30, 20, 40]})
    r = S.index_correlation(a, b, [2011, 2012])
    assert r["year"].tolist() == [2012] and r["provinces"].tolist() == [4]
    assert r["spearman"].iloc[0] == pytest.approx(0.8)  # d² = 0+1+1+0 → 1 − 6·2/(4·15)


def test_simulation_plots():
    import matplotlib

    from evalkit.analysis import plots
    from evalkit.simulate import ProvinceSpec, compare

    exp = compare(ProvinceSpec(n_staff=2000, n_communes=10, n_districts=2), replicates=3, seed=1)
    fig, ax = plots.size_penalty(exp.by_size)
    table = exp.summary().pivot(index="policy", columns="metric", values="mean")
    fig2, ax2 = plots.accuracy_vs_strictness(table)
    assert len(ax2.collections[0].get_offsets()) == len(table)
    matplotlib.pyplot.close("all")


def test_pci_on_the_34_current_provinces():
    pci = pd.read_csv(ROOT / "published/indices_pci.csv")
    current = S.on_current_provinces(pci, "PCI", 2016)
    assert current["province_34"].nunique() == 34 and current["n_former"].sum() == 63
    raw = pci[(pci["index"] == "PCI") & (pci["year"] == 2016)].set_index("province")["score"]
    # Quảng Ninh was not merged: its row is its own score; Đà Nẵng absorbed Quảng Nam: the plain mean of the two
    row = current.set_index("province_34")
    assert row.loc["Quảng Ninh", "score"] == raw["Quảng Ninh"]
    assert row.loc["Đà Nẵng", "score"] == pytest.approx((raw["Đà Nẵng"] + raw["Quảng Nam"]) / 2)
    assert current["rank"].tolist() == list(range(1, 35))
