"""The project's trade-name lexicon: how traders actually name the goods of each HS subheading.

Official names say 已装在组件内或组装成块的光电池; declarations say 光伏板, 太阳能组件, 550W单晶组件.
The lexicon (``catalogue/lexicon/*.csv``, written by the project chapter by chapter) records, per HS
2022 subheading and language, trade names and synonyms (``name``), the materials and uses that
decide between neighbouring codes (``material``, ``use``) and realistic full lines (``example``).
It feeds the segmenter's user dictionary and the model's training data.
"""

from __future__ import annotations

import csv
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

from classifier.settings import bundled_catalogue_dir

KINDS = ("name", "material", "use", "example")
LANGS = ("zh", "en")
COLUMNS = ["hs6", "lang", "kind", "term"]


@dataclass(frozen=True)
class Term:
    """One lexicon entry."""

    hs6: str
    lang: str
    kind: str
    term: str


@dataclass(frozen=True)
class Lexicon:
    """All terms, by subheading."""

    terms: dict[str, tuple[Term, ...]]

    def for_code(self, hs6: str, kind: str | None = None, lang: str | None = None) -> list[str]:
        """Terms of one subheading, optionally of one kind and language.

        >>> lex = Lexicon({"854143": (Term("854143", "zh", "name", "光伏板"), Term("854143", "en", "name", "solar panel"))})
        >>> lex.for_code("854143", "name", "zh")
        ['光伏板']
        """
        return [
            t.term
            for t in self.terms.get(hs6, ())
            if (kind is None or t.kind == kind) and (lang is None or t.lang == lang)
        ]

    def __len__(self) -> int:
        return sum(len(v) for v in self.terms.values())


def lexicon_files(catalogue_dir: Path | None = None) -> list[Path]:
    """The lexicon's CSV files, in name order."""
    folder = Path(catalogue_dir or bundled_catalogue_dir()) / "lexicon"
    return sorted(folder.glob("*.csv")) if folder.is_dir() else []


def load_lexicon(catalogue_dir: Path | None = None) -> Lexicon:
    """Load every lexicon file; duplicates across files are kept once."""
    grouped: dict[str, dict[Term, None]] = defaultdict(dict)
    for path in lexicon_files(catalogue_dir):
        with path.open(encoding="utf-8", newline="") as fh:
            for row in csv.DictReader(fh):
                term = Term(row["hs6"].strip(), row["lang"].strip(), row["kind"].strip(), " ".join(row["term"].split()))
                if term.term:
                    grouped[term.hs6][term] = None
    return Lexicon({code: tuple(terms) for code, terms in grouped.items()})
