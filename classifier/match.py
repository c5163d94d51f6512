"""Text evidence from the catalogue: green keywords found in a record, and the closest names.

Two matchers, both built once per catalogue:

- :class:`KeywordMatcher` finds the green keywords of the mappings (光伏逆变器, 全生物降解, pv inverter)
  in a record's text, exactly or with rapidfuzz (a typo, a traditional character left over). It is
  blocked by subheading when a code is declared, and scans all keywords when only a name is given.
- :class:`HeadingMatcher` compares a record's text with the names and trade names of the
  subheadings under the declared heading (rapidfuzz), to say which sibling the text fits best.

>>> from classifier.catalogue import load_catalogue
>>> matcher = KeywordMatcher(load_catalogue())
>>> [(h.category, h.keyword) for h in matcher.find(match_text("组串式光伏逆变器 50kW"), hs6="850440")]
[('CES', '光伏逆变器')]
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass

from rapidfuzz import fuzz, process

from classifier.catalogue import Catalogue
from classifier.lexicon import Lexicon
from classifier.normalise import is_missing, to_simplified

_PUNCT = re.compile(r"[^\u3400-\u9fffa-z0-9.%]+")
_LATIN_EDGE = re.compile(r"[a-z0-9]")
_FUZZY_MIN_LEN = 5
_FUZZY_CUTOFF = 80.0  # one wrong character in a five-character keyword
_PREFIX = 2


def match_text(*parts: object) -> str:
    """The form keywords are matched in: simplified, lower-case, punctuation as single spaces.

    >>> match_text("車載DC/DC轉換器", "OBC（6.6kW）")
    '车载dc dc转换器 obc 6.6kw'
    """
    text = " ".join(str(p) for p in parts if not is_missing(p))
    return " ".join(_PUNCT.sub(" ", to_simplified(text)).split())


@dataclass(frozen=True)
class KeywordHit:
    """A green keyword found in a record: which mapping it supports and how it matched."""

    hs6: str
    category: str
    keyword: str
    method: str
    score: float


def _contains(text: str, keyword: str) -> bool:
    """Substring match; a Latin keyword must stand as a word (``pcs`` is not in ``100pcs``)."""
    start = text.find(keyword)
    while start >= 0:
        end = start + len(keyword)
        latin_start = _LATIN_EDGE.match(keyword[0])
        latin_end = _LATIN_EDGE.match(keyword[-1])
        before_ok = not latin_start or start == 0 or not _LATIN_EDGE.match(text[start - 1])
        after_ok = not latin_end or end == len(text) or not _LATIN_EDGE.match(text[end])
        if before_ok and after_ok:
            return True
        start = text.find(keyword, start + 1)
    return False


class KeywordMatcher:
    """Green keywords of every mapping, normalised once, searchable by subheading or globally."""

    def __init__(self, catalogue: Catalogue) -> None:
        self._by_code: dict[str, list[tuple[str, str, str]]] = defaultdict(list)
        for hs6, mappings in catalogue.mappings.items():
            for m in mappings:
                for keyword in (*m.keywords_zh, *m.keywords_en):
                    norm = match_text(keyword)
                    if norm:
                        self._by_code[hs6].append((norm, m.category, keyword))
        self._all = [(hs6, *entry) for hs6, entries in self._by_code.items() for entry in entries]
        # Blocking for the global scan: a keyword can only be in a text that contains its first
        # two characters, so each text position looks up a handful of candidates, not thousands.
        self._by_prefix: dict[str, list[tuple[str, str, str, str]]] = defaultdict(list)
        for entry in self._all:
            self._by_prefix[entry[1][:_PREFIX]].append(entry)

    @property
    def keywords(self) -> list[str]:
        """Every keyword as written in the catalogue (for the segmenter's dictionary)."""
        return [original for _, _, _, original in self._all]

    def find(self, text: str, *, hs6: str | None = None, fuzzy: bool = True) -> list[KeywordHit]:
        """Keywords in ``text`` (already passed through :func:`match_text`).

        With ``hs6``, only that subheading's keywords are tried, exactly and then fuzzily; without
        it, every keyword is tried exactly (fuzzy matching of thousands of keywords per record
        would cost more than it finds).
        """
        if not text:
            return []
        if hs6:
            entries = [(hs6, *e) for e in self._by_code.get(hs6, ())]
        else:
            prefixes = {text[i : i + _PREFIX] for i in range(len(text) - 1)} & self._by_prefix.keys()
            entries = [e for prefix in prefixes for e in self._by_prefix[prefix]]
        hits = list(
            {
                (code, category, original): KeywordHit(code, category, original, "exact", 100.0)
                for code, norm, category, original in entries
                if _contains(text, norm)
            }.values()
        )
        if hs6 and fuzzy and not hits:
            # partial_ratio aligns the shorter string inside the longer: only keywords no longer than
            # the text, so that "igbt" alone does not match the keyword "igbt模块".
            candidates = {
                norm: (category, original)
                for _, norm, category, original in entries
                if _FUZZY_MIN_LEN <= len(norm) <= len(text)
            }
            found = process.extractOne(text, list(candidates), scorer=fuzz.partial_ratio, score_cutoff=_FUZZY_CUTOFF)
            if found:
                category, original = candidates[found[0]]
                hits.append(KeywordHit(hs6, category, original, "fuzzy", round(found[1], 1)))
        return hits


@dataclass(frozen=True)
class SiblingMatch:
    """The subheading under the declared heading whose names fit the text best."""

    hs6: str
    score: float
    matched: str


class HeadingMatcher:
    """Names and trade names of the subheadings, grouped by heading, for blocked fuzzy matching."""

    def __init__(self, catalogue: Catalogue, lexicon: Lexicon | None = None) -> None:
        self._raw: dict[str, list[tuple[str, str]]] = defaultdict(list)
        for node in catalogue.subheadings():
            names = [node.name_zh, node.name_en, *(lexicon.for_code(node.code, "name") if lexicon else ())]
            self._raw[node.code[:4]].extend((name, node.code) for name in names if name)
        # Normalised per heading on first use: a one-line lookup should not pay for all 1,228.
        self._names: dict[str, tuple[list[str], list[str]]] = {}

    def _heading(self, heading: str) -> tuple[list[str], list[str]]:
        if heading not in self._names:
            normalised = {match_text(name): code for name, code in self._raw.get(heading, ())}
            self._names[heading] = (list(normalised), list(normalised.values()))
        return self._names[heading]

    def best(self, text: str, heading: str) -> SiblingMatch | None:
        """The best-matching subheading of ``heading`` for ``text``, or None if nothing is close.

        >>> from classifier.catalogue import load_catalogue
        >>> HeadingMatcher(load_catalogue()).best(match_text("锂离子蓄电池"), "8507").hs6
        '850760'
        """
        if not text or heading not in self._raw:
            return None
        texts, codes = self._heading(heading)
        found = process.extractOne(text, texts, scorer=fuzz.token_set_ratio, score_cutoff=60)
        if not found:
            return None
        return SiblingMatch(codes[found[2]], round(found[1], 1), texts[found[2]])
