"""The training-data generator: deterministic, labelled by the catalogue's rules, split by group."""

from __future__ import annotations

from collections import Counter

import pytest

from classifier.catalogue import Node
from classifier.lexicon import Lexicon, Term
from classifier.normalise import to_simplified
from classifier.training_data import build_training_texts

LEXICON = Lexicon(
    {
        "850440": (
            Term("850440", "zh", "name", "组串式光伏逆变器"),
            Term("850440", "zh", "name", "手机充电器"),
            Term("850440", "en", "name", "phone charger"),
            Term("850440", "zh", "use", "手机用"),
            Term("850440", "zh", "example", "光伏并网逆变器 50kW 用途:光伏发电"),
        ),
        "854143": (Term("854143", "zh", "name", "光伏板"),),
    }
)


@pytest.fixture(scope="module")
def texts(catalogue):
    return build_training_texts(catalogue, LEXICON, seed=1)


def test_same_seed_same_texts(catalogue, texts):
    assert build_training_texts(catalogue, LEXICON, seed=1) == texts
    assert build_training_texts(catalogue, LEXICON, seed=2) != texts


def test_every_subheading_name_is_in_training(catalogue, texts):
    names = [t for t in texts if t.source == "name"]
    assert {t.hs6 for t in names} == {n.code for n in catalogue.subheadings()}
    assert all(t.split == "train" for t in names)


def _labels(texts, source, hs6):
    return {t.text: t.category for t in texts if t.source == source and t.hs6 == hs6}


def test_ex_code_is_green_only_with_its_keyword(texts):
    lexicon = _labels(texts, "lexicon", "850440")
    assert lexicon["组串式光伏逆变器"] == "CES"
    assert lexicon["手机充电器"] == "NONE"
    assert _labels(texts, "example", "850440")["光伏并网逆变器 50kW 用途:光伏发电"] == "CES"


def test_full_code_is_green_whatever_the_words(texts):
    assert set(_labels(texts, "lexicon", "854143").values()) == {"CES"}
    assert set(_labels(texts, "generated", "854143").values()) == {"CES"}


def test_generated_lines_come_from_lexicon_names(texts):
    generated = [t for t in texts if t.source == "generated" and t.hs6 == "850440"]
    assert len(generated) == 5  # two per Chinese name, one per English name
    names = ("组串式光伏逆变器", "手机充电器", "phone charger")
    assert all(any(name in to_simplified(t.text) for name in names) for t in generated)


def test_groups_keep_a_term_and_its_generated_lines_together(texts):
    by_group: dict[str, set[str]] = {}
    for t in texts:
        by_group.setdefault(t.group, set()).add(t.split)
    assert all(len(splits) == 1 for splits in by_group.values())


def test_split_is_roughly_80_10_10(catalogue):
    from classifier.lexicon import load_lexicon

    counts = Counter(t.split for t in build_training_texts(catalogue, load_lexicon()) if t.source != "name")
    total = sum(counts.values())
    assert 0.05 < counts["test"] / total < 0.15 and 0.05 < counts["calib"] / total < 0.15


def test_imported_national_names_join_the_training_data(catalogue):
    from dataclasses import replace

    national = {"85414300": Node("85414300", 8, "854143", "", "晶体硅光伏组件", "import")}
    texts = build_training_texts(replace(catalogue, national=national), LEXICON)
    assert [(t.text, t.hs6, t.category) for t in texts if t.source == "national"] == [
        ("晶体硅光伏组件", "854143", "CES")
    ]
