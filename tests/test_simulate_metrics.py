"""Every metric :func:`compare` reports, recomputed the slow, obvious way from the same replicate's
roster (:func:`simulate_roster` draws exactly what ``compare`` draws): pandas and scipy per replicate
and policy. The vectorised engine must agree with this reference on every number."""

import numpy as np
import pandas as pd
import pytest
from scipy import stats as sps

from evalkit import policies as P
from evalkit.simulate import ProvinceSpec, compare, generate_province, simulate_roster
from evalkit.simulate.experiment import SIZE_BANDS, SIZE_LABELS

SMALL = ProvinceSpec(n_staff=1800, n_departments=3, service_units_per_department=3, n_districts=2,
                     offices_per_district=4, n_communes=12)
CODE = {"EXCELLENT": 3, "GOOD": 2, "COMPLETED": 1, "COMPLETED_LIMITED": 1, "NOT_COMPLETED": 0}


def reference_metrics(r: pd.DataFrame, unit_sizes: pd.Series) -> tuple[dict, dict]:
    """The metrics of one replicate and policy, from its roster, the plain way."""
    c = r["covered"].to_numpy()
    theta = r["true_performance"].to_numpy()
    top = theta >= np.quantile(theta, 0.8)  # the top 20 % of everyone drawn
    unit_strength = r.groupby("unit_id", sort=False)["unit_strength"].first()
    strong_units = unit_strength.index[unit_strength >= np.quantile(unit_strength, 0.8)]
    strong = r["unit_id"].isin(strong_units).to_numpy()
    before = (r["level"] == "EXCELLENT").to_numpy()
    exc = (r["level_final"] == "EXCELLENT").to_numpy()
    n_exc, n_top = exc[c].sum(), top[c].sum()
    final_value = r.loc[c, "level_final"].astype(str).map(CODE).to_numpy()
    rho = sps.spearmanr(theta[c], final_value)[0]
    # the best any rating with these level counts reaches: the same counts handed out in true order
    oracle = np.empty(c.sum())
    oracle[np.argsort(-theta[c])] = np.sort(final_value)[::-1]
    best = sps.spearmanr(theta[c], oracle)[0]
    precision, recall = (exc & top)[c].sum() / n_exc, (exc & top)[c].sum() / n_top
    gaming = r["strategic_unit"].to_numpy()
    with np.errstate(invalid="ignore"):
        rec_strong = (exc & top & strong)[c].sum() / (top & strong)[c].sum()
        rec_other = (exc & top & ~strong)[c].sum() / (top & ~strong)[c].sum()
        gain = (exc[c & gaming].mean() - exc[c & ~gaming].mean()) if (c & gaming).any() else np.nan
    metrics = {
        "covered": c.sum(), "share_excellent_before": before[c].mean(), "share_excellent": n_exc / c.sum(),
        "demotions": (r["level"] != r["level_final"]).to_numpy()[c].sum(), "spearman": rho, "spearman_best": best,
        "accuracy_relative": rho / best, "precision_top20": precision,
        "precision_relative": precision / min(1, n_top / n_exc), "recall_top20": recall,
        "recall_relative": recall / min(1, n_exc / n_top), "strong_unit_penalty": rec_other - rec_strong,
        "strategic_gain": gain,
    }
    size = unit_sizes.reindex(r["unit_id"]).to_numpy()
    band = pd.cut(size, list(SIZE_BANDS), right=False, labels=list(SIZE_LABELS))
    by_size = {}
    for label in SIZE_LABELS:
        in_band = np.asarray(band == label) & top & c
        by_size[label] = (in_band.sum(), (exc & in_band).sum() / in_band.sum() if in_band.any() else np.nan)
    return metrics, by_size


@pytest.mark.parametrize("behaviour", ["lenient", "strategic"])
def test_every_metric_matches_the_plain_computation(behaviour):
    province = generate_province(SMALL, seed=4)
    pols = {"no cap": None, "d335 (own population)": P.get("decree-335-2025"),
            "half_up": P.get("decree-335-2025", applies_to=(), rounding="half_up"),
            "good_or_better": P.get("decree-335-2025", applies_to=(), base="good_or_better"),
            "proposed": P.get("decree-335-2025", applies_to=(), timing="proposed")}
    exp = compare(province, pols, replicates=3, seed=4, behaviour=behaviour, chunk=2)
    sizes = province.units.set_index("unit_id")["size"]
    for rep in range(3):
        for name, pol in pols.items():
            r = simulate_roster(province, pol, seed=4, replicate=rep, behaviour=behaviour)
            want, want_size = reference_metrics(r, sizes)
            got = exp.results.query("replicate == @rep and policy == @name").iloc[0]
            for metric, value in want.items():
                assert got[metric] == pytest.approx(value, rel=1e-9, abs=1e-12, nan_ok=True), (name, rep, metric)
            size_rows = exp.by_size.query("replicate == @rep and policy == @name").set_index("unit_size")
            for label, (tops, recall) in want_size.items():
                assert size_rows.loc[label, "top_performers"] == tops, (name, rep, label)
                assert size_rows.loc[label, "recall_top20"] == pytest.approx(recall, nan_ok=True), (name, rep, label)


def test_each_replicate_is_the_documented_draw_of_its_own_seed():
    from evalkit.simulate.experiment import replicate_seed
    from evalkit.simulate.population import draw_scores

    province = generate_province(SMALL, seed=4)
    unit_idx = pd.Index(province.units["unit_id"]).get_indexer(province.staff["unit_id"])
    for rep in (0, 5):
        want = draw_scores(SMALL, province.units, unit_idx, np.random.default_rng(replicate_seed(4, rep)))
        r = simulate_roster(province, None, seed=4, replicate=rep)
        assert np.array_equal(r["true_performance"].to_numpy(), want["theta"][0])
        assert np.array_equal(r["score"].to_numpy(), want["score"][0])


def test_many_strategic_readings_each_get_their_own_metrics():
    # strategic units report differently under every reading: no reading may reuse another's table
    from evalkit.simulate import readings_grid

    province = generate_province(SMALL, seed=6)
    pols = readings_grid()
    exp = compare(province, pols, replicates=2, seed=6, behaviour="strategic", applies_to_all=True)
    sizes = province.units.set_index("unit_id")["size"]
    for rep in range(2):
        for name, pol in pols.items():
            r = simulate_roster(province, pol, seed=6, replicate=rep, behaviour="strategic", applies_to_all=True)
            want, _ = reference_metrics(r, sizes)
            got = exp.results.query("replicate == @rep and policy == @name").iloc[0]
            for metric, value in want.items():
                assert got[metric] == pytest.approx(value, rel=1e-9, abs=1e-12, nan_ok=True), (name, rep, metric)


def test_metrics_never_reuse_another_policys_table_by_array_identity(monkeypatch):
    # Python may give a new array the id of a freed one (it did on dask workers, and a sweep's results
    # then depended on the number of workers). Worst case: every strategic report in the same buffer.
    from evalkit.simulate import experiment, readings_grid

    pols = readings_grid()
    want = compare(SMALL, pols, replicates=2, seed=6, behaviour="strategic", applies_to_all=True).results
    real, buffer = experiment._enforce, {}

    def same_buffer(task, draws, pol):
        reported, covered, demoted = real(task, draws, pol)
        if reported is draws["codes"]:
            return reported, covered, demoted
        buf = buffer.setdefault(reported.shape, np.empty_like(reported))
        buf[...] = reported
        return buf, covered, demoted

    monkeypatch.setattr(experiment, "_enforce", same_buffer)
    got = compare(SMALL, pols, replicates=2, seed=6, behaviour="strategic", applies_to_all=True).results
    pd.testing.assert_frame_equal(got, want)
