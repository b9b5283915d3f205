"""One catalogue: every code renders in Vietnamese and English, and every problem the readers raise has a code."""

import re
import string
from pathlib import Path

import pytest

import evalkit as ek
from evalkit.cli import main
from evalkit.messages import CATALOGUE, Message, MessageError, render

from conftest import FIXTURES

#: Texts that are the same in both languages on purpose (abbreviations a Vietnamese report also uses).
SAME_IN_BOTH = {"column.n_excellent", "column.n_good", "column.n_completed", "column.n_not_completed",
                "column.ratio", "label.version", "label.sha256", "web.nav_api"}


def _fields(template: str) -> set[str]:
    plain = re.sub(r"!(level|kind|population|columns|reading|num)([}:])", r"!r\2", template)
    return {name for _, name, _, _ in string.Formatter().parse(plain) if name}


@pytest.mark.parametrize("code", sorted(CATALOGUE))
def test_every_code_has_both_languages_with_the_same_parameters(code):
    entry = CATALOGUE[code]
    assert set(entry) == {"en", "vi"}, code
    assert entry["vi"].strip() and entry["en"].strip()
    # Vietnamese may leave out a parameter that only helps an English reader (a canonical column code)
    assert _fields(entry["vi"]) <= _fields(entry["en"]) and (_fields(entry["en"]) - _fields(entry["vi"]) <= {"name"}), code
    params = {name: ("GOOD" if name in ("given", "banded") else "roster" if name == "kind" else 7)
              for name in _fields(entry["en"])}
    vi, en = render(code, "vi", **params), render(code, "en", **params)
    if code not in SAME_IN_BOTH:
        assert vi != en, f"{code} is not translated"


def test_no_code_is_defined_twice():
    """A repeated key in the catalogue's dict literal would silently keep only the last text."""
    import ast

    from evalkit.messages import catalogue

    tree = ast.parse(Path(catalogue.__file__).read_text(encoding="utf-8"))
    keys = [k.value for node in ast.walk(tree) if isinstance(node, ast.Dict) and len(node.keys) > 50
            for k in node.keys if isinstance(k, ast.Constant)]
    assert len(keys) == len(set(keys)), sorted({k for k in keys if keys.count(k) > 1})


def test_levels_render_by_name_in_the_language():
    assert "Hoàn thành tốt nhiệm vụ" in render("input.band_contradiction", "vi", given="GOOD", banded="EXCELLENT",
                                              score="91")
    assert "GOOD" not in render("input.band_contradiction", "vi", given="GOOD", banded="EXCELLENT", score="91")


def test_missing_code_or_parameter_is_an_error():
    with pytest.raises(MessageError):
        render("no.such.code", "vi")
    with pytest.raises(MessageError):
        Message("input.person_twice").text("vi")


@pytest.mark.parametrize("path", sorted((FIXTURES / "bad").iterdir()) + sorted((FIXTURES / "good").iterdir())
                         + sorted((FIXTURES / "bad_plan").iterdir()), ids=lambda p: p.name)
def test_every_fixture_problem_has_a_catalogue_code(path):
    if path.suffix == ".py":
        return
    reader = ek.read_plan if "plan" in path.name else (ek.read_counts if "count" in path.name else ek.read_roster)
    try:
        problems = reader(path).evalkit.problems
    except ek.InputError as exc:
        problems = exc.problems
    assert problems["code"].isin(list(CATALOGUE)).all(), problems[["code", "message"]]


def test_cli_speaks_vietnamese(capsys):
    assert main(["check", str(FIXTURES / "bad" / "unknown_level.csv"), "--lang", "vi"]) == 2
    err = capsys.readouterr().err
    assert "mức xếp loại không hợp lệ" in err and "dòng 3" in err and "cột 'Xếp loại'" in err


def test_vietnamese_check_output_has_no_english_sentence(capsys, tmp_path):
    sample = FIXTURES.parent.parent / "data" / "sample" / "so_noi_vu_2026_xep_loai.xlsx"
    assert main(["check", str(sample), "--lang", "vi"]) == 1
    out = capsys.readouterr().out
    for word in ("policy", "groups", "over the cap", "warning", "note:", "report written"):
        assert word not in out, (word, out)
    assert re.search(r"KHÔNG ĐẠT", out)


def test_every_staff_type_and_regime_has_words_in_both_languages():
    """Notes and explanations name staff types and regimes through the catalogue: none may be missing."""
    from evalkit import policies as P
    from evalkit.io.columns import POPULATIONS

    for code in POPULATIONS:
        assert render(f"population.{code}", "vi") != render(f"population.{code}", "en")
    for pol in P.list():
        for lang in ("vi", "en"):
            assert pol.describe(lang) and pol.one_line(lang)
