"""Normalise declaration text so that the same product written differently meets itself.

Customs lines mix full-width and half-width characters, traditional and simplified Chinese, specs
glued to product words and the labels of the 申报要素 (declaration elements). The matcher and the
model want the product words alone, and the specs apart:

>>> a = normalise("锂离子蓄电池（48V/100Ah）电动车用")
>>> b = normalise("鋰離子蓄電池 48v 100ah")
>>> a.words, a.specs
('锂离子蓄电池 电动车用', ('48v', '100ah'))
>>> b.words, b.specs
('锂离子蓄电池', ('48v', '100ah'))
"""

from __future__ import annotations

import math
import re
import unicodedata
import warnings
from dataclasses import dataclass
from functools import lru_cache

with warnings.catch_warnings():
    # zhconv opens its dictionary without closing it; nothing to fix on our side.
    warnings.simplefilter("ignore", ResourceWarning)
    import zhconv

    zhconv.loaddict()

_CJK = re.compile(r"[\u3400-\u9fff]")
# A chunk is text without spaces or punctuation; inside it, a spec is a run with a digit plus the
# letters and joiners that model numbers, units and decimals use (LR5-72HPH, 2.5mm, 48v, 65%), and
# the rest are product words, Latin glued to Chinese kept whole (t恤, led灯管).
_CHUNK = re.compile(r"[\u3400-\u9fffa-z0-9µ.\-_+%]+")
_SPEC = re.compile(r"(?:[a-zµ]+[\-_])*[a-zµ]*\d(?:[a-z0-9µ%]|[.\-_+](?=[a-z0-9µ]))*")
_JOINERS = ".-_+%"
# Labels of the declaration elements and empty brand words: they name fields, not the product.
_LABELS = re.compile(
    r"(品牌类型|出口享惠情况|品牌|型号|规格|货号|牌子|无牌|境外品牌|境内自主品牌|境内收购品牌|境外品牌（其他）|"
    r"用途|材质|成分|功能|原理|等级|包装|申报要素|不享受优惠关税|享惠)[:：]?"
)
_EMPTY_WORDS = frozenset({"无", "其他", "个", "件", "套", "台", "只", "brand", "model", "no", "n/a", "none", "other"})


@dataclass(frozen=True)
class NormalisedText:
    """Product words (space-joined, simplified, lower-case) and the specs split from them."""

    words: str
    specs: tuple[str, ...]

    @property
    def key(self) -> str:
        """What identifies a distinct text for deduplication."""
        return f"{self.words}|{' '.join(self.specs)}"


def is_missing(value: object) -> bool:
    """None, NaN (a blank spreadsheet cell) or blank text."""
    return value is None or (isinstance(value, float) and math.isnan(value)) or not str(value).strip()


@lru_cache(maxsize=8192)
def to_simplified(text: str) -> str:
    """Half-width, lower-case, simplified Chinese.

    >>> to_simplified("ＬＥＤ燈管　電動車")
    'led灯管 电动车'
    """
    text = unicodedata.normalize("NFKC", text).lower()
    if _CJK.search(text):
        text = zhconv.convert(text, "zh-cn")
    return text


def normalise(*parts: object) -> NormalisedText:
    """Normalise one or more text fields (e.g. name and spec) into product words and specs.

    Empty and missing parts are skipped, so ``normalise(name, spec)`` works when either is blank.

    >>> normalise("单晶硅光伏组件", "用途:发电 品牌:无 型号:LR5-72HPH 功率550W")
    NormalisedText(words='单晶硅光伏组件 发电 功率', specs=('lr5-72hph', '550w'))
    >>> normalise("Monocrystalline Solar Panel, 550W").words
    'monocrystalline solar panel'
    """
    text = " ".join(str(p) for p in parts if not is_missing(p))
    text = _LABELS.sub(" ", to_simplified(text))
    words: list[str] = []
    specs: list[str] = []
    for chunk in _CHUNK.findall(text):
        for spec in _SPEC.findall(chunk):
            if spec not in specs:
                specs.append(spec)
        for word in _SPEC.split(chunk):
            word = word.strip(_JOINERS)
            if word and word not in _EMPTY_WORDS:
                words.append(word)
    return NormalisedText(" ".join(words), tuple(specs))
