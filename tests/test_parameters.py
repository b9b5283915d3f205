import datetime as dt
from fractions import Fraction

import pytest

from evalkit import parameters as PM


def test_smoke_every_year():
    tree = PM.load()
    for year in range(2018, 2028):
        in_force = tree.in_force(year)
        for name, value in in_force.items():
            assert value.reference.instrument, name
            assert value.status in PM.STATUSES
    assert "decree_335_2025.excellent_cap.ratio" not in tree.in_force(2025)
    assert tree.get("decree_335_2025.excellent_cap.ratio", 2026) == Fraction(1, 5)


def test_value_by_date_and_before_existence():
    tree = PM.load()
    with pytest.raises(PM.NotInForce, match="first in force 2026-01-01"):
        tree.value("decree_335_2025.excellent_cap.ratio", "2025-12-31")
    # Decree 90's original Art. 11(c) (from 2020-08-20); Decree 48 (2023-09-15) widened it
    assert tree.get("decree_90_2020.eligibility.discipline_means_not_completed", "2023-09-14") is True
    with pytest.raises(PM.NotInForce):
        tree.value("decree_90_2020.eligibility.discipline_means_not_completed", "2020-08-19")
    assert tree.get("decree_90_2020.eligibility.discipline_means_not_completed", "2023-09-15") is True


def test_value_level_reference_overrides_file_reference():
    v = PM.load().value("decree_90_2020.eligibility.discipline_means_not_completed", 2024)
    assert v.reference.instrument.startswith("Decree 48/2023")
    w = PM.load().value("party.guidance_21_2019.excellent_cap_ratio", 2024)
    assert w.status == "to_verify" and "124" in w.reference.instrument


GOOD = """description: x
reference: {instrument: T}
status: confirmed
parameters:
  p:
    unit: fraction
    values:
      2020-01-01: "1/5"
      2022-01-01: null
"""


def write(tmp_path, text, name="prov.yaml"):
    (tmp_path / name).write_text(text, encoding="utf-8")
    return tmp_path


def test_null_ends_a_parameter(tmp_path):
    tree = PM.load(write(tmp_path, GOOD))
    assert tree.get("prov.p", "2021-06-01") == Fraction(1, 5)
    with pytest.raises(PM.NotInForce, match="ended"):
        tree.get("prov.p", "2022-06-01")


@pytest.mark.parametrize("text,words", [
    (GOOD.replace("status: confirmed", "status: confirmed\ncolour: red"), "unknown keys ['colour']"),
    (GOOD.replace("    unit: fraction", "    unit: fraction\n    unit: count"), "duplicate key 'unit'"),
    (GOOD.replace("2020-01-01", "2020-13-01"), "not a date"),
    (GOOD.replace('"1/5"', "0.2"), "exact fraction"),
    (GOOD.replace("status: confirmed", "status: maybe"), "status 'maybe'"),
    (GOOD.replace("reference: {instrument: T}", "reference: {author: T}"), "instrument"),
    (GOOD.replace("reference: {instrument: T}", "reference: {instrument: null}"), "instrument"),  # was accepted
    (GOOD.replace("    unit: fraction\n", "    unit: fraction\n    colour: x\n"), "unknown keys ['colour']"),
])
def test_strict_loading_names_the_file(tmp_path, text, words):
    with pytest.raises(PM.ParameterError) as err:
        PM.load(write(tmp_path, text))
    assert words in str(err.value)
    assert "prov.yaml" in str(err.value)


def test_as_date():
    assert PM.as_date(2026) == dt.date(2026, 12, 31)
    with pytest.raises(PM.ParameterError):
        PM.as_date(2026.5)
