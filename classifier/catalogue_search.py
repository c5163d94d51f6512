"""Search the catalogue's names and green keywords, in Chinese or English, exact then fuzzy.

Chinese queries are matched against Chinese names and keywords, Latin ones against English, mixed
ones against both, so each query scans only the texts it can match. Exact substring hits rank above
fuzzy ones; fuzzy scores come from rapidfuzz and are capped below any exact hit.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import TYPE_CHECKING

from rapidfuzz import fuzz, process

if TYPE_CHECKING:
    from classifier.catalogue import Catalogue, SearchHit

_CJK = re.compile(r"[\u3400-\u9fff]")
_LATIN = re.compile(r"[a-z]")
_FUZZY_CUTOFF = {"zh": 70.0, "en": 75.0}
_FUZZY_CAP = 89.0


@dataclass
class _Index:
    texts: dict[str, list[str]]
    keys: dict[str, list[tuple[str, str]]]


def _norm(text: str) -> str:
    return " ".join(unicodedata.normalize("NFKC", text).lower().split())


def _build_index(cat: Catalogue) -> _Index:
    texts: dict[str, list[str]] = {"zh": [], "en": []}
    keys: dict[str, list[tuple[str, str]]] = {"zh": [], "en": []}

    def add(lang: str, text: str, code: str, method: str) -> None:
        if text:
            texts[lang].append(_norm(text))
            keys[lang].append((code, method))

    for node in list(cat.nodes.values()) + list(cat.national.values()):
        add("zh", node.name_zh, node.code, "name")
        add("en", node.name_en, node.code, "name")
    for maps in cat.mappings.values():
        for m in maps:
            for kw in m.keywords_zh:
                add("zh", kw, m.hs6, "keyword")
            for kw in m.keywords_en:
                add("en", kw, m.hs6, "keyword")
    return _Index(texts, keys)


def search_catalogue(cat: Catalogue, text: str, *, limit: int = 10, fuzzy: bool = True) -> list[SearchHit]:
    """Rank catalogue codes by how well their names or keywords match ``text``."""
    from classifier.catalogue import SearchHit

    query = _norm(text)
    if not query:
        return []
    if cat.search_index is None:
        cat.search_index = _build_index(cat)
    index: _Index = cat.search_index  # type: ignore[assignment]
    langs = [lang for lang, pattern in (("zh", _CJK), ("en", _LATIN)) if pattern.search(query)] or ["zh", "en"]
    best: dict[str, tuple[float, str, str]] = {}

    def offer(code: str, score: float, method: str, matched: str) -> None:
        if code not in best or score > best[code][0]:
            best[code] = (score, method, matched)

    for lang in langs:
        texts, keys = index.texts[lang], index.keys[lang]
        for i, candidate in enumerate(texts):
            if query in candidate:
                # Shorter names that contain the whole query are the more specific answers.
                offer(keys[i][0], 90.0 + 10.0 * len(query) / len(candidate), keys[i][1], candidate)
        if fuzzy:
            scorer = fuzz.partial_ratio if lang == "zh" else fuzz.WRatio
            for _, score, i in process.extract(
                query, texts, scorer=scorer, limit=limit * 5, score_cutoff=_FUZZY_CUTOFF[lang]
            ):
                offer(keys[i][0], min(score, _FUZZY_CAP) - 0.001 * len(texts[i]), f"fuzzy-{keys[i][1]}", texts[i])
    ranked = sorted(best.items(), key=lambda kv: (-kv[1][0], -len(kv[0]), kv[0]))[:limit]
    hits = []
    for code, (score, method, matched) in ranked:
        node = cat.nodes.get(code) or cat.national[code]
        hits.append(SearchHit(code, node.name_zh, node.name_en, round(score, 1), method, matched))
    return hits
