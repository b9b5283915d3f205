"""Issue 12: the law as of 2026 chosen by date and population, crossed scopes, exact scores, quotas.

Every expected value is worked out by hand (in the comments) or by an obviously-correct brute force.
"""

import itertools
import shutil
from fractions import Fraction

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings, strategies as st

import evalkit as ek
from evalkit import parameters as PM
from evalkit import policies as P
from evalkit.cli import main
from evalkit.io.periods import read_periods
from evalkit.io.provinces import crosswalk, to_34
from evalkit.rules.bands import annual_scores, rate_roster_by_score
from evalkit.rules.enforcement import select_demotions
from evalkit.rules.recruitment import get_recruitment_policy, recruitment_limits
from evalkit.rules.streamlining import streamlining_candidates


def roster(rows, **const):
    return pd.DataFrame([{**const, **r} for r in rows])


# ------------------------------------------------------------------ policies as data

def test_applies_to_list_does_not_hit_the_shadowed_builtin():
    p = P.get("decree-335-2025", applies_to={"population": ["civil_servant", "cadre"]})
    assert p.applies_to == (("population", ("civil_servant", "cadre")),)
    assert [q.name for q in P.list()] == P.names()


def test_policies_declared_in_yaml_and_readings_say_where_they_come_from():
    p = P.get("decree-335-2025")
    src = dict(p.sources)
    assert src["ratio"].reference.article == "Art. 20 cl. 5(a)" and src["ratio"].status == "confirmed"
    assert src["rounding"].status == "default" and src["timing"].status == "default"
    named = {v.name: v for v in p.named_readings}
    assert named["decree_335_2025.excellent_cap.exception_for_outstanding_units"].status == "to_verify"
    # the summary is built from the readings: change the ratio and the sentence follows
    assert "20%" in p.summary("en") and "25%" in p.replace(ratio="1/4").summary("en")


def test_an_amendment_added_to_a_yaml_file_is_used(tmp_path, monkeypatch):
    tree = tmp_path / "params"
    shutil.copytree(PM.PARAMS_DIR, tree)
    cap = tree / "decree_335_2025" / "excellent_cap.yaml"
    cap.write_text(cap.read_text(encoding="utf-8").replace('      2026-01-01: "1/5"\n',
                                                           '      2026-01-01: "1/5"\n      2027-01-01: "1/4"\n'),
                   encoding="utf-8")
    monkeypatch.setattr(PM, "PARAMS_DIR", tree)
    P.reload()
    try:
        assert P.get("decree-335-2025", 2026).ratio == Fraction(1, 5)
        assert P.get("decree-335-2025", 2027).ratio == Fraction(1, 4)
        # 2 excellent, 8 good: 2026 cap ⌊8/5⌋ = 1 (over); 2027 cap ⌊8/4⌋ = 2 (holds)
        rows = [{"level": "EXCELLENT"}] * 2 + [{"level": "GOOD"}] * 8
        for year, ok in ((2026, False), (2027, True)):
            r = roster(rows, year=year, unit_id="U", task_group="T", population="civil_servant").assign(
                person_id=[f"p{i}" for i in range(10)])
            assert ek.check_cap(r).compliant is ok
        # both years in one file: each year's rows get that year's value
        both = pd.concat([roster(rows, year=y, unit_id="U", task_group="T", population="civil_servant").assign(
            person_id=[f"p{i}" for i in range(10)]) for y in (2026, 2027)], ignore_index=True)
        for policy in ("auto", "decree-335-2025"):
            g = ek.check_cap(both, policy).groups
            assert g.groupby("year")["cap"].max().to_dict() == {2026: 1, 2027: 2}, policy
    finally:
        monkeypatch.undo()
        P.reload()


def test_unmatched_exception_is_noted_not_dropped():
    r = roster([{"person_id": "a", "level": "EXCELLENT"}, {"person_id": "b", "level": "GOOD"}],
               year=2026, unit_id="U1", task_group="T", population="civil_servant")
    exc = P.CapException.make({"unit_id": "U9"}, "PPC", "Decree 335 cl. 5(b)", 2026, count=3)
    rep = ek.check_cap(r, "decree-335-2025", exceptions=[exc])
    codes = [n.code for n in rep.notes]
    assert "note.exception_unmatched" in codes
    assert "unit_id=U9" in next(n for n in rep.notes if n.code == "note.exception_unmatched").text("en")


def test_count_exception_for_a_unit_does_not_fix_its_task_groups():
    # U1: T1 has 3 excellent / 5 good, T2 has 0 excellent / 10 good. Granted: U1 may have 3 excellent.
    rows = ([{"task_group": "T1", "level": "EXCELLENT"}] * 3 + [{"task_group": "T1", "level": "GOOD"}] * 5
            + [{"task_group": "T2", "level": "GOOD"}] * 10)
    r = roster(rows, year=2026, unit_id="U1", population="civil_servant").assign(
        person_id=[f"p{i:02d}" for i in range(18)])
    exc = P.CapException.make({"unit_id": "U1"}, "PPC", "Decree 335 cl. 5(b)", 2026, count=3)
    g = ek.check_cap(r, "decree-335-2025", exceptions=[exc]).groups.set_index(["scope", "task_group"], drop=False)
    unit = g[g["scope"] == "unit_id"].iloc[0]
    assert unit["cap"] == 3 and unit["compliant"]  # the unit's cap is the count granted
    t1 = g[(g["scope"] == "unit_id × task_group") & (g["task_group"] == "T1")].iloc[0]
    t2 = g[(g["scope"] == "unit_id × task_group") & (g["task_group"] == "T2")].iloc[0]
    assert (t1["cap"], t2["cap"]) == (1, 2)  # their own caps: ⌊5/5⌋, ⌊10/5⌋ — not 3 each
    assert not t1["compliant"]
    exempt = ek.check_cap(r, "decree-335-2025", exceptions=[exc], count_exception_finer_groups="exempt")
    assert exempt.compliant is True


# ------------------------------------------------------------------ routing by date and population

def mixed():
    rows = []
    for year, pop in ((2026, "civil_servant"), (2025, "civil_servant"), (2024, "party_member"), (2022, "party_member"),
                      (2026, "public_employee")):
        for i, lv in enumerate(["EXCELLENT", "EXCELLENT"] + ["GOOD"] * 5):
            rows.append({"person_id": f"{pop}{year}-{i}", "year": year, "population": pop, "unit_id": "U",
                         "task_group": "T", "level": lv, "score": 90 - i})
    return pd.DataFrame(rows)


def test_auto_routes_each_row_and_names_the_choice():
    assert P.regime_for("civil_servant", 2026) == "decree-335-2025"
    assert P.regime_for("civil_servant", 2025) == "decree-48-2023"
    assert P.regime_for("party_member", 2023) == "party-regulation-124-2023"  # issued 2023-10-04
    assert P.regime_for("party_member", "2023-10-03") == "party-guidance-21-2019"
    assert P.regime_for("public_employee", 2026) == "decree-48-2023"  # no replacing decree confirmed
    assert P.regime_for("civil_servant", 2022) is None
    rep = ek.check_cap(mixed())  # policy="auto" is the default
    notes = {n.code: [] for n in rep.notes}
    for n in rep.notes:
        notes[n.code].append(n.params)
    chosen = {d["policy"] for d in notes["note.auto_chose"]}
    assert chosen == {"decree-335-2025", "party-regulation-124-2023", "party-guidance-21-2019"}
    needs = {(d["populations"], d["years"]) for d in notes["note.auto_needs_party_share"]}
    assert needs == {("civil_servant, public_employee", "2025, 2026")}
    assert set(rep.groups["rule_id"].astype(str)) == {"D335-2025-CAP", "QD124-2023-PARTY", "HD21-2019-PARTY"}
    # 2 excellent, 5 good in each: cap ⌊5/5⌋ = 1, one demotion each (final counts: 1 ≤ ⌊6/5⌋)
    final = ek.enforce_cap(mixed())
    assert sorted(final.loc[final["demoted"], "person_id"]) == [
        "civil_servant2026-1", "party_member2022-1", "party_member2024-1"]
    with_share = ek.check_cap(mixed(), party_excellent_share="1/10")
    assert "D48-2023-SHARE" in set(with_share.groups["rule_id"].astype(str))


def test_a_regime_outside_its_dates_runs_with_a_note():
    r = mixed()
    r = r[(r["population"] == "civil_servant") & (r["year"] == 2026)]
    rep = ek.check_cap(r, "decree-48-2023", party_excellent_share="18/100")
    note = next(n for n in rep.notes if n.code == "note.regime_outside")
    assert note.text("en") == ("decree-48-2023 does not govern civil servants in 2026; decree-335-2025 does "
                               "(run as asked)")
    assert "công chức năm 2026" in note.text("vi")
    assert len(rep.groups)  # it still ran


def test_decree_90_ceilings_only_where_in_force():
    r = pd.DataFrame({"year": [2025, 2026, 2026], "population": ["civil_servant", "civil_servant", "public_employee"],
                      "level": "GOOD", "leave_months": 4, "months_worked": 8})
    # 4 months of leave caps at completed under Decree 90 — not for 2026 civil servants (Decree 335)
    assert ek.level_ceiling(r)["ceiling"].tolist() == ["COMPLETED", "EXCELLENT", "COMPLETED"]


def test_statuses_and_dates_are_no_stronger_than_the_sources():
    tree = PM.load()
    assert tree.first("decree_90_2020.eligibility.min_months_worked").start.isoformat() == "2020-08-20"
    lead = tree.value("decree_90_2020.eligibility.leader_excellent_targets_exceeded", 2024)
    assert lead.status == "single" and "read:" in lead.reference.note and "not read:" in lead.reference.note
    for name in ("quang_ninh.leaders_cap_2022.ratio", "quang_ninh.high_quality_recruitment.reserved_share"):
        note = tree.value(name, 2024).reference.note
        assert "read:" in note and "not read:" in note
    r124 = tree.value("party.guidance_21_2019.excellent_cap_ratio", "2023-10-04")
    assert "124" in r124.reference.instrument and r124.status == "to_verify"
    assert tree.value("party.guidance_21_2019.excellent_cap_ratio", "2023-10-03").status == "single"
    # a disciplined civil servant was already not completed under Decree 90's original text
    assert tree.value("decree_90_2020.eligibility.discipline_means_not_completed", 2021).value is True
    assert "decree_29_2023.draft_2025.window_years" not in tree


# ------------------------------------------------------------------ crossed scopes

ABCD = [("a", 99, "U1", "T1"), ("b", 91, "U1", "T2"), ("c", 92, "U2", "T1"), ("d", 98, "U2", "T2")]


def test_two_crossed_scopes_demote_the_lowest_ranked_minimal_set_whatever_the_row_order():
    # each unit and each title group: 2 excellent, 6 good → cap ⌊6/5⌋ = 1, one demotion each.
    # Minimal sets of two: {a, d} (99, 98) or {b, c} (91, 92); the lowest-ranked is {b, c}.
    goods = [dict(person_id=f"g{u}{t}{i}", score=80, unit_id=u, title_group=t, level="GOOD")
             for u in ("U1", "U2") for t in ("T1", "T2") for i in range(3)]
    seen = set()
    for perm in itertools.permutations(ABCD):
        rows = [dict(person_id=p, score=s, unit_id=u, title_group=t, level="EXCELLENT") for p, s, u, t in perm]
        r = roster(rows + goods, year=2026, population="civil_servant")
        out = ek.enforce_cap(r, "decree-335-2025", scopes="unit_id | title_group")
        seen.add(tuple(sorted(out.loc[out["demoted"], "person_id"])))
        assert out.attrs["enforcement"]["optimal"]
    assert seen == {("b", "c")}


def brute(group_of, need, worst):
    """Fewest demotions, then least sum of rank positions, over every subset (small cases only)."""
    m = len(worst)
    for k in range(m + 1):
        best = None
        for subset in itertools.combinations(range(m), k):
            pick = np.zeros(m, dtype=bool)
            pick[list(subset)] = True
            if all((np.bincount(g[pick], minlength=len(n)) >= n).all() for g, n in zip(group_of, need)):
                cost = int(worst[pick].sum())
                best = cost if best is None else min(best, cost)
        if best is not None:
            return k, best
    raise AssertionError("infeasible")


@settings(max_examples=60, deadline=None)
@given(st.integers(3, 9), st.integers(2, 3), st.data())
def test_crossed_scopes_match_brute_force(m, n_scopes, data):
    group_of, need = [], []
    for _ in range(n_scopes):
        k = data.draw(st.integers(1, 3))
        g = np.array(data.draw(st.lists(st.integers(0, k - 1), min_size=m, max_size=m)), dtype=np.int64)
        size = np.bincount(g, minlength=k)
        n = np.array([data.draw(st.integers(0, int(s))) for s in size], dtype=np.int64)
        group_of.append(g)
        need.append(n)
    worst = np.array(data.draw(st.permutations(list(range(m)))), dtype=np.int64)
    demoted, _, exact = select_demotions(group_of, need, worst, nested=False, report_exact=True)
    count, cost = brute(group_of, need, worst)
    assert exact
    assert all((np.bincount(g[demoted], minlength=len(n)) >= n).all() for g, n in zip(group_of, need))
    assert demoted.sum() == count and worst[demoted].sum() == cost


# ------------------------------------------------------------------ scores

def test_annual_scores_are_exact():
    long = pd.DataFrame({"person_id": ["a", "b", "b", "b", "b"],
                         "score": [89.9999995, 90, 89.99, 90.01, 90]})
    t = annual_scores(long).set_index("person_id")
    # a: 89.9999995 is GOOD (rounding to six decimals would make it 90 → EXCELLENT); b: 360/4 = 90 exactly
    assert t.loc["a", "level_by_score"] == "GOOD" and t.loc["a", "score_exact"] == Fraction(179999999, 2000000)
    assert t.loc["b", "level_by_score"] == "EXCELLENT" and t.loc["b", "score_exact"] == 90


def test_period_workbook_to_year_end_ratings(tmp_path):
    rows = []
    for i in range(8):
        q = [95, "90,5", 92, 91] if i < 3 else [80, 80, 75, 85]
        rows.append({"Mã CB": f"p{i}", "Năm": 2026, "Đơn vị": "U1", "Nhóm nhiệm vụ": "T1", "Đối tượng": "công chức",
                     "Quý 1": q[0], "Quý 2": q[1], "Quý 3": q[2], "Quý 4": q[3], "Bị kỷ luật": "có" if i == 1 else ""})
    rows.append({"Mã CB": "p8", "Năm": 2026, "Đơn vị": "U1", "Nhóm nhiệm vụ": "T1", "Đối tượng": "công chức",
                 "Quý 1": 90, "Quý 2": 90, "Quý 3": 89.99, "Quý 4": 90.01})
    path = tmp_path / "periods.xlsx"
    pd.DataFrame(rows).to_excel(path, index=False)
    r = rate_roster_by_score(read_periods(path)).set_index("person_id")
    # p0: (95 + 90.5 + 92 + 91)/4 = 92.125 → excellent; p1 disciplined → not completed; p8: 360/4 = 90 → excellent
    assert r.loc["p0", "score_exact"] == Fraction(737, 8) and r.loc["p0", "level"] == "EXCELLENT"
    assert r.loc["p1", "level"] == "NOT_COMPLETED" and r.loc["p8", "level"] == "EXCELLENT"
    assert r.loc["p3", "level"] == "GOOD" and list(r["source_row"]) == list(range(2, 11))
    # excellent p0, p2, p8 (3), good p3..p7 (5): cap ⌊5/5⌋ = 1; d = 2 (1 ≤ ⌊7/5⌋);
    # lowest ranked: p8 (90); then p0 and p2 tie at 92.125: one of them must move, and the council decides
    result = ek.check_file(path)
    assert result.compliant is False and "note.periods_averaged" in [n.code for n in result.report.notes]
    assert sorted(result.calibration["person_id"]) == ["p8"]
    assert sorted(result.council["person_id"]) == ["p0", "p2"] and set(result.council["must_move"]) == {1}
    assert main(["check", str(path), "--lang", "vi"]) == 1


def test_period_workbook_bad_cells_are_named(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("Mã CB,Năm,Đơn vị,Tháng 1,Tháng 2\na,2026,U1,90,abc\nb,2026,U1,101,80\n", encoding="utf-8")
    with pytest.raises(ek.InputError) as err:
        read_periods(path)
    p = err.value.problems
    assert set(zip(p["row"], p["column"], p["code"])) == {(2, "Tháng 2", "input.score_not_number"),
                                                          (3, "Tháng 1", "input.score_range")}
    path.write_text("Mã CB,Năm,Đơn vị,Tháng 1,Tháng 2\na,2026,U1,90,\n", encoding="utf-8")
    assert read_periods(path)["n_periods"].tolist() == [1]  # partial periods: the scored ones (default)
    with pytest.raises(ek.InputError, match="period"):
        read_periods(path, partial_periods="all")


# ------------------------------------------------------------------ streamlining (Decree 154/2025)

def test_decree_154_grounds_and_exclusions():
    h = pd.DataFrame({
        "person_id": ["a", "a", "b", "b", "c", "c", "d", "d", "e", "e"],
        "year": [2025, 2026] * 5,
        "level": ["GOOD", "NOT_COMPLETED", "NOT_COMPLETED", "GOOD", "GOOD", "GOOD", "GOOD", "NOT_COMPLETED",
                  "COMPLETED", "NOT_COMPLETED"],
        "child_under_36_months": [False, False, False, False, False, False, False, True, False, False],
        "under_inspection": [False, False, False, False, False, False, False, False, False, True],
    })
    t = streamlining_candidates(h).query("year == 2026").set_index("person_id")
    # a: not completed in the year of review; b: in the year before; c: never; d, e: meet but excluded
    assert t["meets"].to_dict() == {"a": True, "b": True, "c": False, "d": True, "e": True}
    assert t["candidate"].to_dict() == {"a": True, "b": True, "c": False, "d": False, "e": False}
    assert [m.text("en") for m in t.loc["d", "exclusion"]] == ["raising a child under 36 months: not streamlined yet"]
    assert [m.code for m in t.loc["e", "exclusion"]] == ["streamlining.excluded.under_inspection"]
    d29 = streamlining_candidates(h, "decree-29-2023").query("year == 2026").set_index("person_id")
    assert d29["meets"].to_dict() == {"a": False, "b": False, "c": False, "d": False, "e": True}  # C + NC only


def test_unrated_year_of_review_is_a_reading():
    h = pd.DataFrame({"person_id": ["a"] * 3, "year": [2024, 2025, 2026], "level": ["COMPLETED", "NOT_COMPLETED", None]})
    # Decree 29 in 2026 (run outside its dates): default — 2026 unrated, the window slides back to 2024–2025: C + NC
    t = streamlining_candidates(h, "decree-29-2023").query("year == 2026")
    assert t["meets"].tolist() == [True] and not t["review_year_rated"].iloc[0]
    # the unrated year counts: window 2025–2026 has a gap, and Decree 29 needs both years rated
    t = streamlining_candidates(h, "decree-29-2023", current_unrated_year_counts=True).query("year == 2026")
    assert t["meets"].tolist() == [False]


# ------------------------------------------------------------------ recruitment

def test_cumulative_recruitment_never_reports_a_negative_limit():
    plan = pd.DataFrame({"unit_id": "A", "year": [2024, 2025, 2026], "payroll_start": 100,
                         "freed_streamlining": [10, 0, 0], "freed_retirement": [0, 4, 1], "freed_resignation": 0,
                         "planned_hires": [9, 0, 0]})
    rep = ek.check_recruitment(plan, freed_posts="cumulative")
    t = rep.table
    # pooled freed posts to date 10, 14, 15 → allowance 5, 7, 7; hires to date before each year 0, 9, 9
    assert t["limit"].tolist() == [5, 0, 0] and t["holds"].tolist() == [False, True, True]
    assert t["earlier_over_hire"].tolist() == [0, 2, 2]
    texts = [w.text("en") for w in t["why"]]
    assert texts[0] == "hires 9 exceed the limit 5 by 4" and all("−" not in x and "-2" not in x for x in texts)
    assert "không được tuyển thêm" in t["why"].iloc[1].text("vi")


def test_pooling_is_the_default_reading_and_documented():
    pol = get_recruitment_policy()
    assert pol.pool_sources and dict(pol.sources)["pool_sources"].reference.instrument.startswith("Decree 113/2018")
    plan = pd.DataFrame({"unit_id": "A", "year": [2026], "payroll_start": 100, "freed_streamlining": [3],
                         "freed_retirement": [3], "freed_resignation": [0], "planned_hires": [3]})
    assert recruitment_limits(plan, pol)["limit"].tolist() == [3]  # ⌊6/2⌋; separately ⌊3/2⌋ + ⌊3/2⌋ = 2
    assert recruitment_limits(plan, pol.replace(pool_sources=False))["limit"].tolist() == [2]


def test_high_quality_reserve_on_the_limit_or_on_planned_hires():
    plan = pd.DataFrame({"unit_id": "A", "year": [2026], "payroll_start": 100, "freed_streamlining": [8],
                         "freed_retirement": [4], "freed_resignation": [0], "planned_hires": [4],
                         "planned_high_quality": [1]})
    on_limit = ek.check_recruitment(plan, "quang-ninh-2022-recruitment").table.iloc[0]
    # limit ⌊12/2⌋ = 6, reserve half of 6 = 3 → 3 non-high-quality hires allowed: 3 ≤ 3 holds
    assert (on_limit["reserved_high_quality"], bool(on_limit["holds"])) == (3, True)
    on_hires = ek.check_recruitment(plan, "quang-ninh-2022-recruitment", high_quality_reserve_on="planned_hires")
    # reserve half of the 4 planned = 2 → only 2 may be non-high-quality, 3 planned: fails
    assert on_hires.table["reserved_high_quality"].tolist() == [2] and not on_hires.compliant


# ------------------------------------------------------------------ explain, crosswalk

@pytest.mark.parametrize("lang", ["en", "vi"])
def test_explain_runs_for_every_regime(capsys, lang):
    for name in ["auto", *P.explain_names()]:
        assert main(["explain", name, "--lang", lang]) == 0, name
        out = capsys.readouterr().out
        assert name.split("-")[0] in out or name == "auto"
    main(["explain", "decree-335-2025", "--lang", lang])
    out = capsys.readouterr().out
    assert ("evalkit default" in out) if lang == "en" else ("mặc định của evalkit" in out)
    assert ("Điều 20 khoản 5 điểm a" if lang == "vi" else "Art. 20 cl. 5(a)") in out
    assert main(["explain", "no-such-rule"]) == 2


def test_province_crosswalk_maps_every_former_province():
    cw = crosswalk()
    assert len(cw) == 63 and cw["province_63"].is_unique and cw["province_34"].nunique() == 34
    assert cw["source"].str.len().gt(20).all()
    assert to_34(["Kon Tum", "Bình Dương", "Sóc Trăng", "Lạng Sơn"]).tolist() == [
        "Quảng Ngãi", "TP. Hồ Chí Minh", "Cần Thơ", "Lạng Sơn"]
    from evalkit.resources import PUBLISHED_DIR
    names = set()
    for f in PUBLISHED_DIR.glob("indices_*.csv"):
        names |= set(pd.read_csv(f)["province"])
    provinces = {n for n in names if not any(x in n for x in ("NATIONAL", "MINIST", "REGION", "Hà Tây"))}
    assert to_34(sorted(provinces)).notna().all()


def test_crossed_scopes_too_large_fall_back_and_say_so(monkeypatch):
    from evalkit.rules import enforcement
    monkeypatch.setattr(enforcement, "EXACT_MAX_CANDIDATES", {2: 0, 3: 0})
    g = [np.array([0, 0, 1, 1]), np.array([0, 1, 0, 1]), np.array([0, 0, 0, 0])]
    need = [np.array([1, 1]), np.array([1, 1]), np.array([2])]
    worst = np.array([3, 0, 1, 2])  # a, b, c, d of the worked example: b worst, then c, d, a
    d2, _, exact2 = select_demotions(g[:2], need[:2], worst, nested=False, report_exact=True)
    assert exact2 and d2.sum() == 2  # maximum flow: still the least count
    d3, _, exact3 = select_demotions(g, need, worst, nested=False, report_exact=True)
    assert not exact3 and all((np.bincount(gs[d3], minlength=len(n)) >= n).all() for gs, n in zip(g, need))
    rows = [dict(person_id=p, score=s, unit_id=u, title_group=t, task_group="X", level="EXCELLENT") for p, s, u, t in ABCD]
    rows += [dict(person_id=f"g{u}{t}{i}", score=80, unit_id=u, title_group=t, task_group="X", level="GOOD")
             for u in ("U1", "U2") for t in ("T1", "T2") for i in range(3)]
    r = roster(rows, year=2026, population="civil_servant")
    out = ek.enforce_cap(r, "decree-335-2025", scopes="unit_id | title_group | task_group")
    info = out.attrs["enforcement"]
    assert info["demotions"] >= info["lower_bound"]


def test_score_bands_only_where_in_force(tmp_path):
    from evalkit.compliance.check import band_contradictions
    r = pd.DataFrame({"source_row": [2, 3, 4], "person_id": ["a", "b", "c"], "year": [2025, 2026, 2026],
                      "population": ["civil_servant", "civil_servant", "public_employee"],
                      "level": ["GOOD"] * 3, "score": [95.0] * 3, "unit_id": "U"})
    # 95 is excellent by the Decree 335 band: a contradiction only for the 2026 civil servant
    assert band_contradictions(r)["row"].tolist() == [3]
    party = rate_roster_by_score(pd.DataFrame({"year": [2026], "population": ["party_member"], "score": [90]}))
    assert party["level"].astype(str).tolist() == ["EXCELLENT"]  # Regulation 366's bands


def test_public_employee_unit_scale_maps_onto_four_levels():
    from evalkit.levels import LevelError
    from evalkit.rules.eligibility import map_unit_scale
    out = map_unit_scale(["Loại A", "LOẠI B", "Hoàn thành nhiệm vụ"], {"Loại A": "HTXSNV", "Loại B": "HTTNV"})
    assert out.astype(str).tolist() == ["EXCELLENT", "GOOD", "COMPLETED"]
    with pytest.raises(LevelError, match="Loại D"):
        map_unit_scale(["Loại D"], {"Loại A": "HTXSNV"})


def test_months_basis_and_discipline_year_are_readings(tmp_path, monkeypatch):
    r = pd.DataFrame({"year": [2024, 2024], "population": "cadre", "level": "GOOD", "months_worked": [12, 12],
                      "days_worked": [110, 132], "discipline_decision_year": [2024, 2025],
                      "discipline_violation_year": [2023, 2024]})
    # defaults: calendar months (12 → rated) and the decision year (row 0 decided in 2024 → not completed)
    assert ek.level_ceiling(r)["ceiling"].tolist() == ["NOT_COMPLETED", "EXCELLENT"]
    tree = tmp_path / "params"
    shutil.copytree(PM.PARAMS_DIR, tree)
    d = tree / "readings" / "defaults.yaml"
    d.write_text(d.read_text(encoding="utf-8").replace("values: {2015-01-01: calendar}", "values: {2015-01-01: working_days}")
                 .replace("values: {2015-01-01: decision}", "values: {2015-01-01: violation}"), encoding="utf-8")
    monkeypatch.setattr(PM, "PARAMS_DIR", tree)
    P.reload()
    try:
        # 110 working days / 22 = 5 months → not rated; 132 / 22 = 6 → rated, violation in 2024 → not completed
        assert ek.level_ceiling(r)["ceiling"].tolist() == ["NOT_RATED", "NOT_COMPLETED"]
    finally:
        monkeypatch.undo()
        P.reload()


def test_period_scores_in_long_form(tmp_path):
    path = tmp_path / "long.csv"
    path.write_text("Mã CB,Năm,Đơn vị,Kỳ,Điểm\n"
                    "a,2026,U1,Tháng 1,90\na,2026,U1,Tháng 2,\"89,99\"\na,2026,U1,Tháng 3,90.01\n"
                    "b,2026,U1,Tháng 1,70\nb,2026,U1,Tháng 2,69\n", encoding="utf-8")
    r = rate_roster_by_score(read_periods(path)).set_index("person_id")
    # a: (90 + 89.99 + 90.01)/3 = 90 exactly → excellent; b: 139/2 = 69.5 → completed
    assert r.loc["a", "score_exact"] == 90 and r.loc["a", "level"] == "EXCELLENT"
    assert r.loc["b", "score_exact"] == Fraction(139, 2) and r.loc["b", "level"] == "COMPLETED"
    assert (r["period_kind"] == "monthly").all() and r["source_row"].tolist() == [2, 5]
