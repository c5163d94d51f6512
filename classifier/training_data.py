"""Training texts for the model, made only from the project's own data.

Sources, each labelled with its HS 2022 subheading and green category:

- ``name``: the catalogue's Chinese and English subheading names (always in training);
- ``national``: names of an imported national code table (when the user imported one);
- ``lexicon``: trade names and synonyms of the lexicon;
- ``example``: the lexicon's hand-written example lines;
- ``keyword``: the green keywords of the mappings;
- ``generated``: lines the generator writes from lexicon names, materials and uses, in the styles
  analysts see (a declaration with 申报要素, an e-commerce title, an English listing), with invented
  brands, model numbers and specs, and sometimes traditional or full-width characters.

The category of a text follows the catalogue: a subheading mapped ``full`` gives its category; an
``ex`` subheading gives the mapping's category only when the text holds one of its keywords, else
``NONE``; an unmapped subheading is ``NONE``. Everything is deterministic for a given seed.

The held-out split is by *group* (a subheading and a lexicon term with all lines generated from it),
so evaluation measures names the model has never seen, not new spellings of seen ones.
"""

from __future__ import annotations

import hashlib
import random
from collections import Counter
from dataclasses import dataclass

import zhconv

from classifier.catalogue import Catalogue
from classifier.lexicon import Lexicon
from classifier.match import KeywordMatcher, match_text

SOURCES = ("name", "national", "lexicon", "example", "keyword", "generated", "decision")

_BRANDS_ZH = ["无", "无品牌", "恒远", "华晟", "中科", "东方", "瑞达", "金泰", "博越", "鑫源", "宏图", "天工"]
_BRANDS_EN = ["ACME", "Sunrise", "Everbright", "NovaTech", "Orient", "Hengda", "Zhongke", "no brand", "OEM"]
_FLUFF_ZH = ["2024新款", "厂家直销", "现货批发", "工厂直供", "热卖", "包邮", "高品质", "定制", "源头工厂", "跨境专供"]
_FLUFF_EN = ["new", "wholesale", "factory direct", "hot sale", "high quality", "OEM", "customized", "2024"]
_UNITS = ["W", "kW", "V", "A", "Ah", "mm", "cm", "kg", "g", "L", "m", "t", "HP", "寸", "个/箱"]
_LABEL_STYLES = [
    "品牌:{brand} 型号:{model} 用途:{use}",
    "{brand}牌 {model} {spec}",
    "用途:{use}|品牌:{brand}|型号:{model}|规格:{spec}",
    "型号{model} {spec} 品牌类型:境外品牌(其他)",
    "{spec} 材质:{material} 品牌:{brand}",
]


@dataclass(frozen=True)
class TrainingText:
    """One labelled text."""

    text: str
    hs6: str
    category: str
    source: str
    group: str

    @property
    def split(self) -> str:
        """``test`` or ``calib`` for about one group in ten each, by a hash of the group; else ``train``.

        ``calib`` fits the confidence calibration on texts the model has not seen; ``test`` is
        never trained on and gives the figures of ``greentrade evaluate``.
        """
        if self.source in ("name", "decision"):
            return "train"  # the nomenclature and curators' decisions are always known to the model
        first = hashlib.sha256(self.group.encode("utf-8")).digest()[0]
        return "test" if first < 26 else "calib" if first < 52 else "train"


class _Labeller:
    """The category a text earns under the catalogue's mappings (see module docstring)."""

    def __init__(self, catalogue: Catalogue) -> None:
        self._catalogue = catalogue
        self._keywords = KeywordMatcher(catalogue)

    def __call__(self, hs6: str, text: str) -> str:
        mappings = self._catalogue.mappings.get(hs6, ())
        full = [m.category for m in mappings if m.coverage == "full"]
        if full:
            return full[0]
        if mappings:
            hits = self._keywords.find(match_text(text), hs6=hs6, fuzzy=False)
            if hits:
                return Counter(h.category for h in hits).most_common(1)[0][0]
        return "NONE"


def _model_number(rng: random.Random) -> str:
    letters = "".join(rng.choice("ABCDEFGHJKLMNPRSTUVWXYZ") for _ in range(rng.randint(1, 3)))
    tail = f"-{rng.randint(1, 99)}" if rng.random() < 0.5 else ""
    return f"{letters}{rng.randint(10, 9999)}{tail}"


def _spec(rng: random.Random) -> str:
    value = rng.choice([rng.randint(1, 999), round(rng.uniform(0.1, 99), 1)])
    return f"{value}{rng.choice(_UNITS)}"


def _garble(text: str, rng: random.Random) -> str:
    """Sometimes write the line as some real files do: traditional characters, full-width Latin."""
    roll = rng.random()
    if roll < 0.08:
        return zhconv.convert(text, "zh-tw")
    if roll < 0.12:
        return text.translate({c: c + 0xFEE0 for c in range(0x21, 0x7F)})
    return text


def _generated(hs6: str, term: str, lang: str, lexicon: Lexicon, rng: random.Random) -> list[str]:
    uses = lexicon.for_code(hs6, "use", lang) or [""]
    materials = lexicon.for_code(hs6, "material", lang) or [""]
    if lang == "zh":
        declaration = rng.choice(_LABEL_STYLES).format(
            brand=rng.choice(_BRANDS_ZH),
            model=_model_number(rng),
            use=rng.choice(uses) or "其他",
            spec=_spec(rng),
            material=rng.choice(materials) or "其他",
        )
        listing = " ".join(
            p for p in (rng.choice(_FLUFF_ZH), rng.choice(materials), term, _spec(rng), rng.choice(uses)) if p
        )
        return [_garble(f"{term} {declaration}", rng), _garble(listing, rng)]
    listing = " ".join(
        p for p in (rng.choice(_BRANDS_EN), rng.choice(_FLUFF_EN), rng.choice(materials), term, _spec(rng)) if p
    )
    use = rng.choice(uses)
    return [f"{listing}, {use}" if use else listing]


def build_training_texts(
    catalogue: Catalogue,
    lexicon: Lexicon,
    *,
    seed: int = 20261127,
    extra: list[TrainingText] | None = None,
) -> list[TrainingText]:
    """Every labelled text for training and evaluation, in a deterministic order.

    ``extra`` carries texts from outside the catalogue and lexicon (later: curators' decisions).
    """
    rng = random.Random(seed)
    label = _Labeller(catalogue)
    texts: list[TrainingText] = []

    def add(text: str, hs6: str, source: str, group: str) -> None:
        text = " ".join(text.split())
        if text:
            texts.append(TrainingText(text, hs6, label(hs6, text), source, group))

    for node in catalogue.subheadings():
        for name in (node.name_zh, node.name_en):
            add(name, node.code, "name", f"{node.code}|name")
    for node in sorted(catalogue.national.values(), key=lambda n: n.code):
        for name in (node.name_zh, node.name_en):
            add(name, node.code[:6], "national", f"{node.code[:6]}|national|{node.code}")
    for hs6 in sorted(lexicon.terms):
        if hs6 not in catalogue.nodes:
            continue
        for term in lexicon.terms[hs6]:
            group = f"{hs6}|{term.lang}|{term.term}"
            if term.kind == "name":
                add(term.term, hs6, "lexicon", group)
                for line in _generated(hs6, term.term, term.lang, lexicon, rng):
                    add(line, hs6, "generated", group)
            elif term.kind == "example":
                add(term.term, hs6, "example", group)
    for hs6, mappings in sorted(catalogue.mappings.items()):
        for m in mappings:
            for keyword in (*m.keywords_zh, *m.keywords_en):
                add(keyword, hs6, "keyword", f"{hs6}|keyword|{keyword}")
    texts.extend(extra or [])
    return texts
