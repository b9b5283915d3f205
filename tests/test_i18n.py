"""Every problem message the fixtures produce has Vietnamese wording."""

import pytest

import evalkit as ek
from evalkit.cli import main
from evalkit.i18n import translate

from conftest import FIXTURES


@pytest.mark.parametrize("path", sorted((FIXTURES / "bad").iterdir()) + sorted((FIXTURES / "good").iterdir())
                         + sorted((FIXTURES / "bad_plan").iterdir()), ids=lambda p: p.name)
def test_every_fixture_message_translates(path):
    if path.suffix == ".py":
        return
    reader = ek.read_plan if "plan" in path.name else (ek.read_counts if "count" in path.name else ek.read_roster)
    try:
        _, problems = reader(path, with_problems=True)
    except ek.InputError as exc:
        problems = exc.problems
    for message in problems["message"]:
        assert translate(message, "vi") != message, message
        assert translate(message, "en") == message


def test_cli_speaks_vietnamese(capsys):
    assert main(["check", str(FIXTURES / "bad" / "unknown_level.csv"), "--lang", "vi"]) == 2
    err = capsys.readouterr().err
    assert "mức xếp loại không hợp lệ" in err and "dòng 3" in err and "cột 'Xếp loại'" in err
