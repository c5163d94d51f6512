"""Segmentation keeps the catalogue's trade terms whole (golden cases, as spaCy pins its tokenizers)."""

from __future__ import annotations

import pytest

from classifier.segment import Segmenter, get_segmenter
from classifier.train import user_words

GOLDEN = [
    ("光伏组件", ["光伏组件"]),
    ("组串式光伏逆变器", ["组串式", "光伏逆变器"]),
    ("户用储能系统", ["户用", "储能系统"]),
    ("永磁同步电机", ["永磁同步电机"]),
    ("电动汽车充电桩", ["电动汽车", "充电桩"]),
    ("全生物降解购物袋", ["全生物降解", "购物袋"]),
]


@pytest.fixture(scope="module")
def segmenter(catalogue, small_lexicon):
    return get_segmenter((*user_words(catalogue, small_lexicon), "永磁同步电机", "储能系统", "购物袋", "户用"))


@pytest.mark.parametrize(("text", "tokens"), GOLDEN)
def test_trade_terms_stay_whole(segmenter, text, tokens):
    assert segmenter.cut(text) == tokens


def test_without_user_words_jieba_splits_them():
    assert Segmenter().cut("光伏组件") != ["光伏组件"]


def test_punctuation_and_numbers_are_dropped():
    assert Segmenter(["光伏组件"]).cut("光伏组件, 550 (W)") == ["光伏组件"]
