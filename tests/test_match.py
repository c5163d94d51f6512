"""Keyword and sibling matching against the catalogue."""

from __future__ import annotations

import pytest

from classifier.match import HeadingMatcher, KeywordMatcher, match_text


@pytest.fixture(scope="module")
def keywords(catalogue):
    return KeywordMatcher(catalogue)


@pytest.mark.parametrize(
    ("line", "hs6", "expected"),
    [
        ("组串式光伏逆变器 50kW", "850440", {("CES", "exact")}),
        ("電動汽車充電樁 7kW", "850440", {("NEV", "exact")}),
        ("光伏逆变噐 50kw", "850440", {("CES", "fuzzy")}),
        ("手机充电器 5V2A", "850440", set()),
        ("全生物降解购物袋", "392321", {("CON", "exact")}),
    ],
)
def test_keywords_of_the_declared_code(keywords, line, hs6, expected):
    assert {(h.category, h.method) for h in keywords.find(match_text(line), hs6=hs6)} == expected


def test_latin_keyword_must_stand_as_a_word(keywords):
    assert not keywords.find(match_text("螺丝 100pcs"), hs6="850440")
    assert keywords.find(match_text("储能 PCS 100kW"), hs6="850440")


def test_global_scan_finds_keywords_of_any_code(keywords):
    codes = {h.hs6 for h in keywords.find(match_text("光伏组件 550W"))}
    assert "854143" in codes


def test_short_text_does_not_fuzzy_match_a_longer_keyword(keywords):
    assert not [h for h in keywords.find(match_text("IGBT"), hs6="850440") if h.method == "fuzzy"]


def test_sibling_match_within_the_heading(catalogue, small_lexicon):
    matcher = HeadingMatcher(catalogue, small_lexicon)
    assert matcher.best(match_text("锂离子蓄电池"), "8507").hs6 == "850760"
    assert matcher.best("", "8507") is None
