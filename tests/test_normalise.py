"""Normalisation: the same product written differently meets itself."""

from __future__ import annotations

import pytest
import zhconv
from hypothesis import given
from hypothesis import strategies as st

from classifier.normalise import normalise, to_simplified

GOLDEN = [
    ("锂离子蓄电池（48V/100Ah）电动车用", "锂离子蓄电池 电动车用", ("48v", "100ah")),
    ("鋰離子蓄電池 48v 100ah", "锂离子蓄电池", ("48v", "100ah")),
    ("ＬＥＤ灯管 Ｔ８ 18W", "led灯管", ("t8", "18w")),
    ("单晶硅光伏组件 用途:发电 品牌:无 型号:LR5-72HPH 功率550W", "单晶硅光伏组件 发电 功率", ("lr5-72hph", "550w")),
    ("HFC-134a制冷剂 13.6kg/瓶", "制冷剂 瓶", ("hfc-134a", "13.6kg")),
    ("Monocrystalline Solar Panel, 550W", "monocrystalline solar panel", ("550w",)),
    ("棉65%涤纶35%男式针织T恤", "棉 涤纶 男式针织t恤", ("65%", "35%")),
    ("", "", ()),
]


@pytest.mark.parametrize(("text", "words", "specs"), GOLDEN)
def test_golden(text, words, specs):
    result = normalise(text)
    assert (result.words, result.specs) == (words, specs)


def test_name_and_spec_fields_are_joined():
    assert normalise("光伏组件", None, "550W").specs == ("550w",)


cjk = st.text(alphabet=st.characters(min_codepoint=0x4E00, max_codepoint=0x9FA5), min_size=1, max_size=8)
latin = st.text(alphabet="abcdefghijklmnopqrstuvwxyz", min_size=1, max_size=6)
numbers = st.integers(0, 99999).map(str)


@given(st.text(max_size=60))
def test_never_fails_and_is_stable(text):
    once = normalise(text)
    assert normalise(once.words).words == once.words
    assert all(any(ch.isdigit() for ch in spec) for spec in once.specs)


@given(st.lists(st.one_of(cjk, latin), min_size=1, max_size=4), numbers)
def test_width_and_case_do_not_matter(words, number):
    text = " ".join(words) + f" {number}W"
    wide = text.upper().translate({c: c + 0xFEE0 for c in range(0x21, 0x7F)})
    assert normalise(wide) == normalise(text)


@given(st.lists(cjk, min_size=1, max_size=4))
def test_traditional_text_normalises_like_its_simplified_form(words):
    traditional = zhconv.convert(" ".join(words), "zh-tw")
    assert normalise(traditional).words == normalise(zhconv.convert(traditional, "zh-cn")).words


@pytest.mark.parametrize(
    ("traditional", "simplified"),
    [
        ("鋰離子蓄電池", "锂离子蓄电池"),
        ("電動汽車充電樁", "电动汽车充电桩"),
        ("太陽能電池板", "太阳能电池板"),
        ("熱泵熱水器", "热泵热水器"),
    ],
)
def test_traditional_trade_names_meet_simplified(traditional, simplified):
    assert normalise(traditional).words == normalise(simplified).words


def test_to_simplified_folds_width_case_and_script():
    assert to_simplified("ＬＥＤ燈管　電動車") == "led灯管 电动车"
