"""What an officer reads under ``--lang vi`` is Vietnamese: errors, explanations and numbers."""

import re

import pytest

import evalkit.policies as P
from evalkit.cli import main
from evalkit.messages import Message, render
from evalkit.rules.recruitment import RecruitmentPolicyError, get_recruitment_policy

from conftest import FIXTURES

ROSTER = FIXTURES / "good" / "roster_en.csv"  # no title_group, unit_level, population columns

#: English words that never belong in a Vietnamese sentence (codes such as decree-48-2023 are skipped).
ENGLISH = {"the", "is", "not", "needs", "need", "give", "invalid", "readings", "reading", "for", "none", "present",
           "known", "of", "must", "or", "and", "an", "such", "as", "no", "named", "policy", "compares", "share",
           "column", "columns", "fraction", "from", "to", "until", "issued", "on", "with", "round", "down", "yes"}


def english_words(text: str) -> set[str]:
    words = re.findall(r"[A-Za-zÀ-ỹđĐ_\-./0-9']+", text)
    return {w.lower().strip(".'") for w in words if "_" not in w and "-" not in w} & ENGLISH


def run(capsys, *argv):
    code = main([str(a) for a in argv])
    out = capsys.readouterr()
    return code, out.out, out.err


@pytest.mark.parametrize("argv, expected", [
    (["--policy", "nghi-dinh-335"], "không có quy định tên 'nghi-dinh-335'"),
    (["--policy", "quang-ninh-2022-leaders"], "cần các cột Nhóm chức danh (title_group), Cấp (unit_level)"),
    (["--policy", "decree-48-2023"], "ví dụ --party-share 18/100"),
    (["--ratio", "abc"], "Tỷ lệ (ratio) 'abc' không phải là phân số"),
    (["--party-share", "2"], "phải không lớn hơn 1"),
])
def test_cli_errors_are_vietnamese(capsys, argv, expected):
    code, out, err = run(capsys, "check", ROSTER, *argv, "--lang", "vi")
    assert code == 2
    assert expected in err, err
    assert not english_words(err), (english_words(err), err)
    assert "Traceback" not in err


def test_cli_errors_stay_english_without_lang(capsys):
    code, _, err = run(capsys, "check", ROSTER, "--policy", "decree-48-2023")
    assert code == 2
    assert "compares the excellent share" in err and "--party-share 18/100" in err
    assert "party_excellent_share=" not in err  # Python syntax is for Python users


def test_python_users_keep_english_and_python_syntax():
    with pytest.raises(P.PolicyError) as info:
        P.get("decree-48-2023").require_ratio()
    assert "party_excellent_share='18/100'" in str(info.value)
    assert info.value.message.code == "policy.needs_party_share"
    with pytest.raises(P.PolicyError) as info:
        P.get("decree-335-2025", rounding="nearest", ratio="x")
    text = str(info.value)
    assert text.startswith("invalid readings for decree-335-2025: ")
    assert "rounding='nearest' is not one of floor, half_up, ceil" in text
    assert "Làm tròn (rounding) = 'nearest' không hợp lệ" in info.value.text("vi")
    assert "Tỷ lệ (ratio) 'x' không phải là phân số" in info.value.text("vi")
    with pytest.raises(P.PolicyError, match="no policy named 'nope'"):
        P.get("nope")


def test_every_policy_error_has_a_catalogue_message():
    """Each raise site of PolicyError in policies.py goes through a catalogue code (no bare English)."""
    import inspect

    source = inspect.getsource(P)
    assert not re.search(r"raise PolicyError\(f?[\"']", source)


def test_recruitment_errors_are_vietnamese():
    with pytest.raises(RecruitmentPolicyError) as info:
        get_recruitment_policy("nope")
    assert str(info.value).startswith("no recruitment policy 'nope'")
    assert info.value.text("vi").startswith("không có quy định tuyển dụng tên 'nope'")
    with pytest.raises(RecruitmentPolicyError) as info:
        get_recruitment_policy(pooling="everywhere")
    assert "pooling='everywhere' is not one of per_unit, pooled" in str(info.value)
    assert not english_words(info.value.text("vi")), info.value.text("vi")


def test_message_parameters_that_are_messages_render_in_the_same_language():
    inner = Message("policy.no_scope")
    assert render("policy.invalid_readings", "vi", name="x", problems=[inner, inner]) == \
        "cách tính không hợp lệ cho x: cần ít nhất một phạm vi; cần ít nhất một phạm vi"


# ---------------------------------------------------------------------- evalkit explain / policies in words

RAW_CODES = ["= good", "= floor", "= False", "= True", "= final", "= actual", "= own_cap", "= per_unit",
             "= same_year", "= half_up", "unit_id", "population ∈", "civil_servant", "đến —", " on Cadres",
             "on Public Employees", "issued", "None"]


@pytest.mark.parametrize("name", ["decree-335-2025", "decree-48-2023", "quang-ninh-2022-leaders",
                                  "party-regulation-124-2023", "resolution-39-2015", "quang-ninh-2022-recruitment",
                                  "decree-154-2025", "decree-335-2025-bands"])
def test_explain_vi_shows_values_in_words(capsys, name):
    code, out, _ = run(capsys, "explain", name, "--lang", "vi")
    assert code == 0
    body = "\n".join(line.split(" — ")[0] if line.startswith("  ") and "." in line.split("=")[0] else line
                     for line in out.splitlines())  # parameter names (decree_335_2025.…) are identifiers
    found = [raw for raw in RAW_CODES if raw in body]
    assert not found, (found, out)
    assert not re.search(r"\b\d{4}-\d{2}-\d{2}\b", out), out  # dates are dd/mm/yyyy


def test_explain_decree_335_in_words():
    vi, en = P.get("decree-335-2025").describe("vi"), P.get("decree-335-2025").describe("en")
    for line in ["Cơ sở tính (base) = số được xếp loại hoàn thành tốt nhiệm vụ",
                 "Làm tròn (rounding) = làm tròn xuống", "Tối thiểu một (min_one) = không",
                 "Phạm vi (scopes) = Đơn vị; Đơn vị × Nhóm nhiệm vụ",
                 "Áp dụng cho (applies_to) = Đối tượng: công chức", "Tỷ lệ (ratio) = 1/5 (20%)",
                 "Áp dụng cho công chức từ 01/01/2026 đến nay", "Luật Cán bộ, công chức 80/2025/QH15"]:
        assert line in vi, line
    for line in ["Base (base) = the number rated good", "Rounding (rounding) = round down",
                 "Minimum one (min_one) = no", "Governs civil servants from 2026-01-01 (no end date)"]:
        assert line in en, line


def test_policies_list_vi_dates_and_instruments(capsys):
    code, out, _ = run(capsys, "policies", "--lang", "vi")
    assert code == 0
    assert "Quy định 124-QĐ/TW (ban hành ngày 04/10/2023); từ 04/10/2023" in out
    assert "issued" not in out and not re.search(r"\d{4}-\d{2}-\d{2}", out)


def test_exception_described_in_words():
    pol = P.get("decree-335-2025", exceptions=[{"group": {"unit_id": "U7"}, "granted_by": "UBND tỉnh",
                                                "basis": "QĐ 12", "count": 3, "year": 2026}])
    assert "Đơn vị U7: 3 người HTXSNV do UBND tỉnh cho phép (QĐ 12), năm 2026" in pol.describe("vi")
    assert "Unit U7: 3 excellent granted by UBND tỉnh (QĐ 12), 2026" in pol.describe("en")


# ---------------------------------------------------------------------- numbers written the Vietnamese way

@pytest.mark.parametrize("value, vi, en", [
    (88.5, "88,5", "88.5"), ("88.5", "88,5", "88.5"), (1600, "1.600", "1,600"), (1234567, "1.234.567", "1,234,567"),
    (12345.25, "12.345,25", "12,345.25"), (7, "7", "7"), (90.0, "90", "90"), ("—", "—", "—"), ("3, 5", "3, 5", "3, 5"),
])
def test_number_in_each_language(value, vi, en):
    from evalkit.messages import number

    assert number(value, "vi") == vi and number(value, "en") == en


def test_counts_and_scores_in_vietnamese_texts():
    from evalkit.messages import renderer

    assert render("council.tie", "vi", score="88.5") == "bằng điểm 88,5"
    assert render("council.tie", "en", score="88.5") == "tied at score 88.5"
    text = renderer("reason.demoted", "vi")(rule="R", group="G", e=1600, gd=7995, base="b", ratio="20%", rounding="r",
                                            cap=1599, d=1)
    assert "1.600 người Hoàn thành xuất sắc, 7.995 người Hoàn thành tốt" in text and "= 1.599 người" in text
    assert render("recruitment.exceeds", "vi", hires=1250, limit=1200, over=50).count("1.2") == 2


def test_tied_score_in_the_council_sheet_keeps_the_cell_a_number(tmp_path):
    import evalkit as ek
    import pandas as pd

    rows = [dict(person_id=f"p{i}", year=2026, unit_id="U1", task_group="T1", score=80, level="HTTNV") for i in range(5)]
    rows += [dict(person_id=p, year=2026, unit_id="U1", task_group="T1", score=88.5, level="HTXSNV") for p in ("x1", "x2")]
    path = tmp_path / "tie.csv"
    pd.DataFrame(rows).to_csv(path, index=False)
    council = ek.check_file(path, lang="vi").tables("vi")["council"]
    assert set(council["why"]) == {"bằng điểm 88,5"}  # 5 good → cap ⌊5/5⌋ = 1 of the 2 tied at 88.5
    assert council["score"].tolist() == [88.5, 88.5]


def test_template_message_in_the_language(capsys, tmp_path):
    code, out, _ = run(capsys, "template", tmp_path / "mau.xlsx", "--lang", "vi")
    assert code == 0 and out.startswith("đã ghi mẫu nhập liệu vào ")


# ---------------------------------------------------------------------- enforce_cap says when it chose inside a tie

def _roster(excellent, n_good=9):
    import pandas as pd

    rows = [dict(person_id=f"g{i}", year=2026, unit_id="U1", task_group="T1", score=80, level="GOOD",
                 population="civil_servant") for i in range(n_good)]
    rows += [dict(person_id=p, year=2026, unit_id="U1", task_group="T1", score=s, level="EXCELLENT",
                  population="civil_servant") for p, s in excellent]
    return pd.DataFrame(rows)


def test_enforce_cap_reason_names_a_tie_broken_by_id():
    import evalkit as ek

    # 9 good, 3 excellent: demoting 1 gives 2 ≤ ⌊10/5⌋ = 2; the lowest two are tied at 88.5, so one is chosen by id
    roster = _roster([("a", 95), ("x1", 88.5), ("x2", 88.5)])
    final = ek.enforce_cap(roster, lang="vi")
    assert final.loc[final.demoted, "person_id"].tolist() == ["x2"]  # the larger id moves first
    reason = str(final.loc[final.demoted, "reason"].iloc[0])
    assert "bằng điểm 88,5 với 1 người khác trong nhóm: chọn theo mã cán bộ" in reason
    en = str(ek.enforce_cap(roster).loc[lambda f: f.demoted, "reason"].iloc[0])
    assert "tied at score 88.5 with 1 other(s) in this group: chosen by person id" in en


def test_enforce_cap_reason_is_silent_when_no_tie_is_split():
    import evalkit as ek

    final = ek.enforce_cap(_roster([("a", 95), ("x1", 88.5), ("x2", 90)]))
    assert final.loc[final.demoted, "person_id"].tolist() == ["x1"]
    assert "tied" not in str(final.loc[final.demoted, "reason"].iloc[0])
    # 5 good, 3 excellent: 1 demotion leaves 2 > ⌊6/5⌋ = 1, 2 leave 1 ≤ ⌊7/5⌋ = 1: both at 88.5 move, no choice inside the tie
    final = ek.enforce_cap(_roster([("a", 95), ("x1", 88.5), ("x2", 88.5)], n_good=5))
    assert sorted(final.loc[final.demoted, "person_id"]) == ["x1", "x2"]
    assert not any("tied" in str(r) for r in final.loc[final.demoted, "reason"])


def test_enforce_cap_reason_names_a_tie_without_scores():
    import evalkit as ek

    roster = _roster([("a", 95), ("x1", None), ("x2", None)])
    final = ek.enforce_cap(roster)
    assert final.loc[final.demoted, "person_id"].tolist() == ["x2"]
    assert "no score, like 1 other(s) in this group: chosen by person id" in str(final.loc[final.demoted, "reason"].iloc[0])


def test_reason_percent_uses_a_decimal_comma():
    import evalkit as ek

    final = ek.enforce_cap(_roster([("a", 95), ("b", 91), ("c", 90)], n_good=3), lang="vi", ratio="1/3")
    assert any("33,33%" in str(r) for r in final.loc[final.demoted, "reason"])


def test_score_thresholds_are_numbers_and_default_readings_in_words():
    vi = P.describe_declared("decree-335-2025-bands", "vi")
    assert "decree_335_2025.score_bands.excellent_min = 90 —" in vi and "%" not in vi.split("excellent_min = ")[1][:6]
    assert "readings.defaults.period_kind = theo quý" in vi
    assert "readings.defaults.discipline_year = năm ra quyết định kỷ luật" in vi
    assert "readings.defaults.months_basis = calendar months" in P.describe_declared("decree-90-2020-ceilings", "en")


def test_streamlining_exclusions_in_words():
    vi = P.describe_declared("decree-154-2025", "vi")
    assert "exclusions = đang mang thai; đang nghỉ thai sản; đang nuôi con dưới 36 tháng tuổi" in vi
    assert "maternity_leave" not in vi
