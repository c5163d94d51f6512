"""The catalogue as later layers use it: lookups, validation messages and search."""

from __future__ import annotations

import pytest

from classifier.errors import CodeNotFoundError, InvalidCodeError


def test_pv_modules_are_full_clean_energy_on_the_new_three(catalogue):
    entry = catalogue.lookup("854143")
    assert entry.categories == ("CES",)
    assert entry.coverage == "full"
    assert {"NEW3", "APEC54", "CLEG"} <= set(entry.list_codes)
    assert [n.code for n in entry.path] == ["85", "8541", "854143"]
    assert entry.node.name_zh and entry.node.name_en


def test_static_converters_are_ex_and_say_what_is_green(catalogue):
    entry = catalogue.lookup("8504.40")
    assert entry.coverage == "ex"
    assert "CES" in entry.categories
    ces = next(m for m in entry.mappings if m.category == "CES")
    assert "逆变器" in ces.ex_description_zh
    assert ces.keywords_zh and ces.keywords_en


@pytest.mark.parametrize(
    ("code", "flags"),
    [("7208.10", {"HEHE", "CBAM"}), ("290341", {"ODS"}), ("252329", {"HEHE", "CBAM"}), ("392321", {"PLASTIC"})],
)
def test_flags_come_with_the_code(catalogue, code, flags):
    assert flags <= set(catalogue.lookup(code).flag_codes)


@pytest.mark.parametrize(("code", "level"), [("85", 2), ("8541", 4), ("854143", 6)])
def test_lookup_at_every_hs_level(catalogue, code, level):
    assert catalogue.lookup(code).node.level == level


def test_national_code_without_table_falls_back_to_its_subheading(catalogue):
    entry = catalogue.lookup("8541.43.00.10")
    assert entry.hs6 == "854143"
    assert entry.node.code == "854143"
    assert "not in the imported national table" in entry.notes[0]


@pytest.mark.parametrize(
    ("code", "error", "message"),
    [
        ("8541.99", CodeNotFoundError, r"subheading 8541\.99 is not in HS 2022; heading 8541 has 8541\.10"),
        ("854140", CodeNotFoundError, r"older HS edition, now 8541\.41, 8541\.42, 8541\.43, 8541\.49"),
        ("7777", CodeNotFoundError, "chapter 77 is not in HS 2022"),
        ("8599", CodeNotFoundError, r"heading 8599 is not in HS 2022; chapter 85 has 8501"),
        ("85A1", InvalidCodeError, "contains 'A'"),
    ],
)
def test_validate_says_precisely_what_is_wrong(catalogue, code, error, message):
    with pytest.raises(error, match=message):
        catalogue.validate(code)


@pytest.mark.parametrize(
    ("query", "expected"),
    [("光伏逆变器", "850440"), ("锂离子蓄电池", "850760"), ("heat pumps", "841861"), ("碳酸锂", "283691")],
)
def test_search_finds_codes_in_chinese_and_english(catalogue, query, expected):
    codes = [hit.code for hit in catalogue.search(query, limit=5)]
    assert expected in codes


def test_search_ranks_exact_before_fuzzy(catalogue):
    hits = catalogue.search("锂离子蓄电池", limit=10)
    exact = [h.score for h in hits if not h.method.startswith("fuzzy")]
    fuzzy = [h.score for h in hits if h.method.startswith("fuzzy")]
    assert exact and (not fuzzy or min(exact) > max(fuzzy))
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)


def test_fuzzy_search_tolerates_a_typo(catalogue):
    assert "841861" in [h.code for h in catalogue.search("heat pumsp", limit=10)]


def test_exact_only_search_returns_no_fuzzy_hits(catalogue):
    assert all(not h.method.startswith("fuzzy") for h in catalogue.search("逆变器", fuzzy=False))


def test_category_names_follow_the_spec(catalogue):
    assert catalogue.category_name("NEV") == "智能网联新能源汽车及关键零部件"
    assert catalogue.category_name("NONE") == "非绿色低碳"
