from fractions import Fraction

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, strategies as st

import evalkit as ek
from evalkit.rules.bands import annual_average, annual_scores, band_levels
from evalkit.rules.eligibility import check_ceilings, level_ceiling

from conftest import CASES

CASE_ROWS = pd.read_csv(CASES / "score_bands.csv", dtype=str, keep_default_na=False).to_dict("records")


@pytest.mark.parametrize("case", CASE_ROWS, ids=[c["note"][:40] + ":" + c["periods"] for c in CASE_ROWS])
def test_score_band_cases(case):
    periods = case["periods"].split(";")
    avg = annual_average([periods])[0]
    flags = {k: [case[k] == "True"] for k in ("is_leader", "degradation", "disciplined", "unit_corruption")}
    # exact path: the average as a float is the correctly rounded exact average
    assert ek.rate_by_score([float(avg)], **flags).tolist() == [case["expected"]]
    # vectorised path over a long table of period scores
    long = pd.DataFrame({"person_id": "x", "score": [float(p) for p in periods]})
    annual = annual_scores(long)
    assert ek.rate_by_score(annual["score"], **flags).tolist() == [case["expected"]]


def test_an_average_of_exactly_90_is_excellent():
    q = [90.11, 89.4, 85.78, 94.71]  # sums to 360 exactly; floating-point summation lands just below
    assert annual_average([q]) == [Fraction(90)]
    assert annual_scores(pd.DataFrame({"person_id": ["a"] * 4, "score": q}))["score"].iloc[0] == 90.0


@given(st.lists(st.integers(0, 10000), min_size=1, max_size=12))
def test_vectorised_average_bands_like_exact(cents):
    scores = [c / 100 for c in cents]
    exact = Fraction(sum(cents), 100 * len(cents))
    fast = annual_scores(pd.DataFrame({"person_id": "a", "score": scores}))["score"].iloc[0]
    assert band_levels([fast])[0] == band_levels([float(exact)])[0]
    assert (fast >= 90) == (exact >= 90) and (fast >= 70) == (exact >= 70) and (fast >= 50) == (exact >= 50)


def test_thresholds_come_from_parameters():
    from evalkit.rules.bands import thresholds

    assert thresholds() == {"EXCELLENT": 90, "GOOD": 70, "COMPLETED": 50}


def test_ceilings():
    r = pd.DataFrame({
        "year": 2024, "level": ["EXCELLENT", "EXCELLENT", "GOOD", "GOOD", "EXCELLENT", "COMPLETED", "NOT_RATED"],
        "is_leader": [True, True, True, False, False, False, False],
        "targets_exceeded_share": [0.5, 0.49, np.nan, np.nan, np.nan, np.nan, np.nan],
        "on_time_share": [0.8, 1, 0.79, np.nan, np.nan, np.nan, np.nan],
        "tasks_overcompleted_share": [np.nan, np.nan, np.nan, np.nan, 0.4, np.nan, np.nan],
        "disciplined": [False, False, False, True, False, False, False],
        "months_worked": [12, 12, 12, 12, 12, 12, 5],
    })
    c = check_ceilings(r)
    assert c["ceiling"].tolist() == ["EXCELLENT", "GOOD", "COMPLETED", "NOT_COMPLETED", "GOOD", "EXCELLENT", "NOT_RATED"]
    assert c["above_ceiling"].tolist() == [False, True, True, True, True, False, False]
    # Decree 90's original Art. 11(c) already made a civil servant disciplined in the year not completed
    assert level_ceiling(r.assign(year=2022))["ceiling"].tolist()[3] == "NOT_COMPLETED"
    # before Decree 90 took effect (2020-08-20) it imposes nothing
    assert level_ceiling(r.assign(year=2019))["ceiling"].tolist() == ["EXCELLENT"] * 7
