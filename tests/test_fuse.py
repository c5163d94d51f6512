"""Every fusion rule, on hand-made evidence: no model involved."""

from __future__ import annotations

import pytest

from classifier.fuse import Evidence, decide, rejected
from classifier.match import KeywordHit, SiblingMatch

NO_TEXT = Evidence(has_text=False)


def text(**kwargs) -> Evidence:
    return Evidence(has_text=True, **kwargs)


def hit(hs6: str, category: str, keyword: str, method: str = "exact") -> KeywordHit:
    return KeywordHit(hs6, category, keyword, method, 100.0 if method == "exact" else 85.0)


def test_rejected_carries_its_reason():
    d = rejected("hs_code and name are both empty")
    assert (d.status, d.basis, d.reject_reason, d.needs_review) == (
        "rejected",
        "rejected",
        "hs_code and name are both empty",
        True,
    )


def test_full_code_is_green_whatever_the_text(catalogue):
    d = decide(catalogue, entry=catalogue.lookup("854143"), code_error="", ev=text(suggestions=(("854143", 0.9),)))
    assert (d.category, d.basis, d.needs_review) == ("CES", "hs_full", False)
    assert "整体属于 CES" in d.evidence


def test_full_code_with_conflicting_text_asks_for_review(catalogue):
    ev = text(suggestions=(("610910", 0.8), ("610990", 0.5)))
    d = decide(catalogue, entry=catalogue.lookup("854143"), code_error="", ev=ev)
    assert d.category == "CES" and d.needs_review
    assert "申报编码与品名不符" in d.evidence and d.score < 0.97


def test_ex_code_with_green_keyword_takes_the_keyword_category(catalogue):
    ev = text(code_hits=(hit("850440", "CES", "光伏逆变器"),), suggestions=(("850440", 0.7),))
    d = decide(catalogue, entry=catalogue.lookup("850440"), code_error="", ev=ev)
    assert (d.category, d.basis, d.needs_review) == ("CES", "hs_ex_text", False)
    assert "光伏逆变器" in d.evidence


def test_ex_code_with_fuzzy_keyword_is_green_but_reviewed(catalogue):
    ev = text(code_hits=(hit("850440", "NEV", "充电桩", "fuzzy"),), suggestions=(("850440", 0.7),))
    d = decide(catalogue, entry=catalogue.lookup("850440"), code_error="", ev=ev)
    assert (d.category, d.needs_review) == ("NEV", True)
    assert "近似命中" in d.evidence


def test_ex_code_without_green_evidence_is_not_green(catalogue):
    ev = text(category_probs={"NONE": 0.9, "CES": 0.1}, suggestions=(("850440", 0.7),))
    d = decide(catalogue, entry=catalogue.lookup("850440"), code_error="", ev=ev)
    assert (d.category, d.basis, d.needs_review) == ("NONE", "hs_ex_no_text", False)
    assert "判为非绿色" in d.evidence


def test_ex_code_without_keyword_but_green_leaning_model_is_reviewed(catalogue):
    ev = text(category_probs={"NONE": 0.2, "CES": 0.8}, suggestions=(("850440", 0.7),))
    d = decide(catalogue, entry=catalogue.lookup("850440"), code_error="", ev=ev)
    assert (d.category, d.needs_review) == ("NONE", True)


def test_ex_code_without_any_name_is_not_green_and_reviewed(catalogue):
    d = decide(catalogue, entry=catalogue.lookup("850440"), code_error="", ev=NO_TEXT)
    assert (d.category, d.basis, d.needs_review) == ("NONE", "hs_ex_no_text", True)


def test_unmapped_code_is_not_green(catalogue):
    d = decide(catalogue, entry=catalogue.lookup("610910"), code_error="", ev=text(suggestions=(("610910", 0.8),)))
    assert (d.category, d.basis, d.needs_review) == ("NONE", "hs_none", False)


def test_unmapped_code_with_green_text_elsewhere_is_a_conflict(catalogue):
    ev = text(
        global_hits=(hit("854143", "CES", "光伏组件"),),
        category_probs={"CES": 0.9, "NONE": 0.1},
        suggestions=(("854143", 0.8),),
        sibling=SiblingMatch("940549", 40.0, "x"),
    )
    d = decide(catalogue, entry=catalogue.lookup("940549"), code_error="", ev=ev)
    assert (d.category, d.basis, d.needs_review) == ("NONE", "hs_none", True)
    assert "8541.43" in d.evidence


def test_name_only_is_classified_from_its_keywords(catalogue):
    ev = text(
        global_hits=(hit("854143", "CES", "光伏组件"),),
        category_probs={"CES": 0.7, "NONE": 0.3},
        suggestions=(("854143", 0.8),),
    )
    d = decide(catalogue, entry=None, code_error="", ev=ev)
    assert (d.category, d.basis, d.hs6, d.hs_valid) == ("CES", "text", "854143", False)
    assert d.evidence.startswith("无商品编码")


def test_name_only_without_keywords_follows_the_model(catalogue):
    ev = text(category_probs={"NONE": 0.95, "CES": 0.05}, suggestions=(("610910", 0.6),))
    d = decide(catalogue, entry=None, code_error="", ev=ev)
    assert (d.category, d.needs_review) == ("NONE", False)


def test_invalid_code_with_name_is_classified_but_reviewed(catalogue):
    ev = text(category_probs={"NONE": 0.95}, suggestions=(("610910", 0.6),))
    d = decide(catalogue, entry=None, code_error="hs_code '85414': has 5 digits", ev=ev)
    assert d.needs_review and d.status == "ok"
    assert "申报编码无效" in d.evidence


@pytest.mark.parametrize(("code", "flags"), [("720810", {"HEHE", "CBAM"}), ("290341", {"ODS"})])
def test_flags_come_from_the_code(catalogue, code, flags):
    d = decide(catalogue, entry=catalogue.lookup(code), code_error="", ev=NO_TEXT)
    assert set(d.flags) == flags


def test_name_only_takes_flags_from_a_confident_suggestion(catalogue):
    d = decide(
        catalogue, entry=None, code_error="", ev=text(category_probs={"NONE": 1.0}, suggestions=(("720810", 0.8),))
    )
    assert set(d.flags) == {"HEHE", "CBAM"} and "标记取自建议编码" in d.evidence


def test_plastic_flag_is_lifted_for_a_biodegradable_bag(catalogue):
    green = text(code_hits=(hit("392321", "CON", "全生物降解"),))
    plain = text(category_probs={"NONE": 1.0})
    assert "PLASTIC" not in decide(catalogue, entry=catalogue.lookup("392321"), code_error="", ev=green).flags
    assert "PLASTIC" in decide(catalogue, entry=catalogue.lookup("392321"), code_error="", ev=plain).flags
