"""Recruitment quotas, streamlining grounds and the workforce projection."""

from fractions import Fraction

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings, strategies as st

import evalkit as ek
from evalkit.cli import main
from evalkit.rules.recruitment import get_recruitment_policy
from evalkit.simulate import PayrollTarget, project_headcount

from conftest import FIXTURES, ROOT


def plan(rows):
    return pd.DataFrame(rows, columns=["unit_id", "year", "payroll_start", "freed_streamlining", "freed_retirement",
                                       "freed_resignation", "planned_hires", "planned_high_quality"])


@pytest.mark.parametrize("readings,limit", [
    ({}, 4),                                   # pooled (the default): floor(9/2)
    ({"rounding": "half_up"}, 5),              # half_up(9/2)
    ({"rounding": "ceil"}, 5),
    ({"round_each": True}, 4),                 # floor(5/2) + floor(4/2) = 2 + 2
    ({"round_each": True, "rounding": "half_up"}, 5),  # 3 + 2
    ({"resignations_count": False}, 4),        # pooled: floor((5 + 3)/2)
    ({"resignations_count": False, "pool_sources": False}, 3),  # 2 + floor(3/2)
])
def test_hand_worked_limits(readings, limit):
    p = plan([["A", 2026, 100, 5, 3, 1, 5, 0]])
    t = ek.check_recruitment(p, **readings).table.iloc[0]
    assert t["limit"] == limit
    assert bool(t["holds"]) == (5 <= limit) and t["over_by"] == max(5 - limit, 0)


def test_cumulative_reading_carries_unused_allowance():
    p = plan([["A", 2026, 100, 4, 4, 0, 2, 0], ["A", 2027, 100, 0, 0, 0, 6, 0]])
    same = ek.check_recruitment(p).table
    cum = ek.check_recruitment(p, freed_posts="cumulative").table
    assert same["limit"].tolist() == [4, 0] and same["holds"].tolist() == [True, False]
    assert cum["limit"].tolist() == [4, 2] and cum["over_by"].tolist() == [0, 4]


def test_pooled_reading():
    p = plan([["A", 2026, 100, 1, 1, 0, 1, 0], ["B", 2026, 100, 1, 1, 0, 1, 0]])
    assert ek.check_recruitment(p).table["limit"].tolist() == [1, 1]  # sources pooled: floor(2/2) per unit
    assert ek.check_recruitment(p, pool_sources=False).table["limit"].tolist() == [0, 0]  # floor(1/2) twice
    pooled = ek.check_recruitment(p, pooling="pooled").table
    assert pooled["limit"].tolist() == [2] and pooled["holds"].tolist() == [True]


def test_quang_ninh_high_quality_reservation():
    p = plan([["A", 2026, 100, 4, 4, 0, 4, 1], ["B", 2026, 100, 4, 4, 0, 4, 2], ["C", 2026, 100, 3, 0, 0, 1, 0]])
    t = ek.check_recruitment(p, "quang-ninh-2022-recruitment").table
    assert t["reserved_high_quality"].tolist() == [2, 2, 1]  # half of the quota; 1/2 of 1 rounds half up
    assert t["holds"].tolist() == [False, True, False]
    assert "not high-quality" in t["why"].iloc[0]


def test_plan_file_and_cli(capsys, tmp_path):
    sample = ROOT / "data" / "sample" / "recruitment_plan_2026.csv"
    rep = ek.check_recruitment(sample, "quang-ninh-2022-recruitment")
    assert len(rep.table) == 5 and not rep.compliant
    code = main(["check-recruitment", str(sample), "--policy", "quang-ninh-2022-recruitment", "--json",
                 "--out", str(tmp_path / "p.xlsx")])
    out = capsys.readouterr().out
    import json

    doc = json.loads(out)
    assert code == 1 and len(doc["tables"]["plan_rows"]) == 5 and doc["compliant"] is False
    assert pd.read_excel(tmp_path / "p.xlsx", sheet_name="Plan rows")["limit"].tolist() == rep.table["limit"].tolist()


def test_bad_plan_names_every_problem(capsys):
    with pytest.raises(ek.InputError) as err:
        ek.read_plan(FIXTURES / "bad_plan" / "plan_problems.csv")
    got = set(zip(err.value.problems["row"], err.value.problems["column"], strict=True))
    assert got == {(2, "Số thôi việc"), (3, "Số tinh giản"), (4, "Trong đó chất lượng cao"), (5, "Đơn vị")}
    code = main(["check-recruitment", str(FIXTURES / "bad_plan" / "plan_problems.csv")])
    assert code == 2 and "row 3" in capsys.readouterr().err


def test_projection_identity_limits_and_determinism():
    t = PayrollTarget("Conclusion 40 (−5% vs 2021)", 10500, 2026, Fraction(1, 20))
    a = project_headcount(10000, (2025, 2030), replicates=200, seed=3, targets=[t])
    p = a.paths
    assert (p["start"] + p["hires"] - p["exits"] == p["end"]).all()
    assert (p["hires"] <= p["limit"].astype("int64")).all()
    nxt = p[p["year"] > 2025].set_index(["replicate", "year"])["start"]
    prev = p[p["year"] < 2030].assign(year=lambda d: d["year"] + 1).set_index(["replicate", "year"])["end"]
    assert (nxt == prev.loc[nxt.index]).all()
    b = project_headcount(10000, (2025, 2030), replicates=200, seed=3, targets=[t])
    pd.testing.assert_frame_equal(a.paths, b.paths)
    base = project_headcount(10000, (2025, 2030), policy=None, replicates=200, seed=3, targets=[t])
    assert base.quantiles["q50"].iloc[-1] > a.quantiles["q50"].iloc[-1]  # the quota shrinks the payroll
    assert 0 <= a.targets["probability_met"].iloc[0] <= 1
    assert a.targets["probability_met"].iloc[0] >= base.targets["probability_met"].iloc[0]


def test_projection_with_ages_retires_everyone_at_the_age():
    ages = np.array([61] * 30 + [40] * 70)
    out = project_headcount(0, (2026, 2026), ages=ages, retirement_age=62, replicates=5, seed=1,
                            resignation_rate=0, streamlining_rate=0, policy="resolution-39-2015")
    row = out.paths.iloc[0]
    assert row["retirements"] == 0  # 61-year-olds retire next year
    out2 = project_headcount(0, (2026, 2027), ages=ages, retirement_age=62, replicates=5, seed=1,
                             resignation_rate=0, streamlining_rate=0)
    y2 = out2.paths[out2.paths["year"] == 2027].iloc[0]
    assert y2["retirements"] == 30 and y2["hires"] == 15 and y2["end"] == 85


@pytest.mark.parametrize("ages", [None, np.array([30, 45, 61])])
def test_projection_needs_at_least_one_replicate(ages):
    # replicates=0 used to fail deep inside numpy or pandas (a float/int casting error with ages)
    with pytest.raises(ValueError, match="replicates must be at least 1, got 0"):
        project_headcount(100, (2026, 2027), ages=ages, replicates=0)


@settings(max_examples=30, deadline=None)
@given(st.integers(0, 5000), st.sampled_from(["resolution-39-2015", "quang-ninh-2022-recruitment"]),
       st.sampled_from(["same_year", "cumulative"]), st.integers(0, 10**6))
def test_projection_properties(start, policy, freed, seed):
    pol = get_recruitment_policy(policy, freed_posts=freed)
    out = project_headcount(start, (2025, 2028), policy=pol, replicates=20, seed=seed)
    p = out.paths
    assert (p["hires"] <= p["limit"].astype("int64")).all() and (p["hires"] >= 0).all()
    assert (p["start"] + p["hires"] - p["exits"] == p["end"]).all()
    assert (p["high_quality_hires"] <= p["hires"]).all()


def test_recruitment_reports_vi_html_and_injection(capsys, tmp_path):
    evil = tmp_path / "plan.csv"
    evil.write_text("Đơn vị,Năm,Biên chế đầu năm,Số tinh giản,Số nghỉ hưu,Số thôi việc,Số tuyển dụng\n"
                    "=HYPERLINK(\"x\"),2026,100,4,4,0,2\n", encoding="utf-8")
    out = tmp_path / "r.html"
    assert main(["check-recruitment", str(evil), "--lang", "vi", "--out", str(out)]) == 0
    page = out.read_text(encoding="utf-8")
    assert "ĐẠT: mọi dòng trong giới hạn" in page and "<script" not in page
    xl = tmp_path / "r.xlsx"
    assert main(["check-recruitment", str(evil), "--out", str(xl)]) == 0
    import openpyxl

    for ws in openpyxl.load_workbook(xl).worksheets:
        for row in ws.iter_rows():
            for cell in row:
                assert cell.data_type != "f"
