from fractions import Fraction

import pytest

from evalkit import policies as P
from evalkit.messages import cite


def test_named_policies_exist_and_describe_themselves():
    assert set(P.names()) >= {"party-guidance-21-2019", "decree-48-2023", "quang-ninh-2022-leaders", "decree-335-2025"}
    for pol in P.list():
        for lang in ("vi", "en"):
            text = pol.describe(lang)
            assert pol.references and all(cite(r.reference, lang) in text for r in pol.references)
            assert "Sources:" in text or "Căn cứ:" in text


def test_decree_335_readings():
    p = P.get("decree-335-2025")
    assert (p.ratio, p.base, p.rounding, p.timing, p.min_one) == (Fraction(1, 5), "good", "floor", "final", False)
    assert p.scopes == (("unit_id",), ("unit_id", "task_group"))
    assert p.applies_to == (("population", ("civil_servant",)),)


def test_quang_ninh_scope_is_title_by_level():
    p = P.get("quang-ninh-2022-leaders")
    assert p.scopes == (("title_group", "unit_level"),) and p.applies_to == (("is_leader", (True,)),)


def test_replace_validates_everything_before_applying():
    p = P.get("decree-335-2025")
    with pytest.raises(P.PolicyError) as err:
        p.replace(ratio=0.2, base="everyone", colour="red", rounding="half_up")
    msg = str(err.value)
    assert "not a float" in msg and "base='everyone'" in msg and "unknown reading 'colour'" in msg
    assert p.rounding == "floor"  # unchanged
    q = p.replace(ratio="7/10", scopes="unit_id", min_one=True)
    assert q.ratio == Fraction(7, 10) and q.scopes == (("unit_id",),) and q.min_one


def test_decree_48_needs_the_party_share():
    p = P.get("decree-48-2023")
    with pytest.raises(P.PolicyError, match="party"):
        p.require_ratio()
    q = p.replace(party_excellent_share="18/100")
    assert q.ratio == Fraction(9, 50) and q.base == "headcount"
    with pytest.raises(P.PolicyError, match="at most 1"):
        p.replace(party_excellent_share="3/2")


def test_exceptions_are_records():
    e = P.CapException.make({"unit_id": "U7"}, "Provincial People's Committee", "Decree 48 outstanding unit", 2026,
                            ratio="3/10")
    p = P.get("decree-335-2025", exceptions=[e])
    assert p.exceptions[0].ratio == Fraction(3, 10)
    with pytest.raises(P.PolicyError):
        P.CapException.make({"unit_id": "U7"}, "x", "y", ratio="1/2", count=3)
