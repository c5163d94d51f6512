"""The catalogue in use: HS 2022 nomenclature, green mappings, flags and reference lists.

Everything that classifies, curates or counts asks this module what a code means. The bundled data
lives in ``catalogue/`` (see its README for the columns and their provenance); a national code table
imported with ``greentrade catalogue import-nomenclature`` is laid over it from the data directory.

>>> cat = load_catalogue()
>>> entry = cat.lookup("8541.43")
>>> entry.node.name_en[:40], entry.categories, entry.coverage
('Electrical apparatus; photosensitive sem', ('CES',), 'full')
>>> [n.code for n in entry.path]
['85', '8541', '854143']
"""

from __future__ import annotations

import csv
from collections import defaultdict
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from classifier.codes import code_path, format_code, parse_code
from classifier.errors import CatalogueDataError, CodeNotFoundError
from classifier.settings import bundled_catalogue_dir

SPEC_CATEGORIES = ("NEV", "ELEC", "MAT", "EEP", "CES", "CON", "REC", "NONE")
SPEC_FLAGS = ("HEHE", "CBAM", "ODS", "PLASTIC")
SPEC_LISTS = ("APEC54", "CLEG", "WTO_FRIENDS", "TESSD", "ACCTS", "NEW3", "CBAM")
COVERAGES = ("full", "ex")

FILES = {
    "nomenclature": "hs_codes.csv",
    "taxonomy": "taxonomy.csv",
    "sources": "sources.csv",
    "mappings": "green_mappings.csv",
    "not_green": "not_green.csv",
    "flags": "flags.csv",
    "lists": "list_membership.csv",
}


@dataclass(frozen=True)
class Node:
    """One row of the nomenclature: a chapter (2 digits), heading (4), subheading (6) or national code (8/10)."""

    code: str
    level: int
    parent: str
    name_en: str
    name_zh: str
    source: str = ""

    @property
    def name(self) -> str:
        """The Chinese name where the catalogue has one, else the English."""
        return self.name_zh or self.name_en


@dataclass(frozen=True)
class Mapping:
    """An HS 2022 subheading that is green, wholly (``full``) or in part (``ex``)."""

    hs6: str
    category: str
    coverage: str
    ex_description_zh: str
    ex_description_en: str
    keywords_zh: tuple[str, ...]
    keywords_en: tuple[str, ...]
    source: tuple[str, ...]
    note: str


@dataclass(frozen=True)
class Flag:
    """A restriction or risk flag on a subheading; ``ex`` when only the described goods carry it."""

    hs6: str
    flag: str
    scope: str
    description_zh: str
    basis: str
    source: tuple[str, ...]


@dataclass(frozen=True)
class ListMembership:
    """A public list that includes the subheading, with how its code was converted to HS 2022."""

    hs6: str
    list: str
    original_code: str
    original_edition: str
    conversion: str


@dataclass(frozen=True)
class NotGreen:
    """A listed subheading the project judged not green under the Chongqing taxonomy, and why."""

    hs6: str
    reason: str
    source: tuple[str, ...]


@dataclass(frozen=True)
class Entry:
    """What the catalogue says about one code, as :meth:`Catalogue.lookup` returns it."""

    code: str
    node: Node
    path: tuple[Node, ...]
    mappings: tuple[Mapping, ...] = ()
    flags: tuple[Flag, ...] = ()
    ref_lists: tuple[ListMembership, ...] = ()
    not_green: NotGreen | None = None
    notes: tuple[str, ...] = ()

    @property
    def hs6(self) -> str | None:
        """The HS 2022 subheading, or None for a chapter or heading."""
        return self.code[:6] if len(self.code) >= 6 else None

    @property
    def categories(self) -> tuple[str, ...]:
        return tuple(m.category for m in self.mappings)

    @property
    def coverage(self) -> str:
        """``full`` if any mapping covers the whole code, ``ex`` if only parts are green, else ``none``."""
        if any(m.coverage == "full" for m in self.mappings):
            return "full"
        return "ex" if self.mappings else "none"

    @property
    def flag_codes(self) -> tuple[str, ...]:
        return tuple(f.flag for f in self.flags)

    @property
    def list_codes(self) -> tuple[str, ...]:
        return tuple(m.list for m in self.ref_lists)


@dataclass(frozen=True)
class SearchHit:
    """A code found by :meth:`Catalogue.search`; ``method`` says how the text matched."""

    code: str
    name_zh: str
    name_en: str
    score: float
    method: str
    matched: str


@dataclass
class Catalogue:
    """The loaded catalogue; build it with :func:`load_catalogue`."""

    nodes: dict[str, Node]
    taxonomy: dict[str, dict[str, str]]
    sources: dict[str, dict[str, str]]
    mappings: dict[str, tuple[Mapping, ...]]
    flags: dict[str, tuple[Flag, ...]]
    lists: dict[str, tuple[ListMembership, ...]]
    not_green: dict[str, NotGreen]
    national: dict[str, Node] = field(default_factory=dict)
    old_codes: dict[str, tuple[str, ...]] = field(default_factory=dict)
    search_index: object = field(default=None, repr=False, compare=False)

    def category_name(self, category: str) -> str:
        """The Chinese name of a category of SPEC section 1.

        >>> load_catalogue().category_name("CES")
        '清洁能源及储能'
        """
        return self.taxonomy[category]["name_zh"]

    def validate(self, value: object) -> str:
        """Return the parsed code if it exists in the catalogue, else say precisely what is wrong.

        A national code (8 or 10 digits) is valid when its HS 2022 subheading exists; whether the
        national table knows it is reported by :meth:`lookup`.

        >>> load_catalogue().validate("8541.99")
        Traceback (most recent call last):
        ...
        classifier.errors.CodeNotFoundError: subheading 8541.99 is not in HS 2022; heading 8541 has 8541.10, 8541.21, 8541.29, 8541.30, 8541.41, 8541.42, 8541.43, 8541.49, 8541.51, 8541.59, 8541.60, 8541.90
        """
        code = parse_code(value)
        for prefix in code_path(code)[:3]:
            if prefix in self.nodes:
                continue
            parent = prefix[:-2]
            what = {2: "chapter", 4: "heading", 6: "subheading"}[len(prefix)]
            message = f"{what} {format_code(prefix)} is not in HS 2022"
            if prefix in self.old_codes:
                new = ", ".join(format_code(c) for c in self.old_codes[prefix])
                message += f"; it is a code of an older HS edition, now {new}"
            elif parent in self.nodes:
                children = sorted(c for c in self.nodes if c[:-2] == parent and len(c) == len(prefix))
                shown = ", ".join(format_code(c) for c in children[:15])
                more = ", ..." if len(children) > 15 else ""
                kind = "chapter" if len(parent) == 2 else "heading"
                message += f"; {kind} {format_code(parent)} has {shown}{more}"
            raise CodeNotFoundError(message)
        return code

    def lookup(self, value: object) -> Entry:
        """Everything the catalogue says about a code given at 2-10 digits.

        >>> entry = load_catalogue().lookup("7208.10")
        >>> sorted(entry.flag_codes)
        ['CBAM', 'HEHE']
        """
        code = self.validate(value)
        path = [self.nodes[p] for p in code_path(code)[:3]]
        notes: list[str] = []
        if len(code) > 6:
            known = [self.national[p] for p in code_path(code)[3:] if p in self.national]
            path.extend(known)
            if not known or known[-1].code != code:
                notes.append(
                    f"national code {format_code(code)} is not in the imported national table; "
                    f"what follows is its HS 2022 subheading {format_code(code[:6])}"
                )
        hs6 = code[:6] if len(code) >= 6 else ""
        return Entry(
            code=code,
            node=path[-1],
            path=tuple(path),
            mappings=self.mappings.get(hs6, ()),
            flags=self.flags.get(hs6, ()),
            ref_lists=self.lists.get(hs6, ()),
            not_green=self.not_green.get(hs6),
            notes=tuple(notes),
        )

    def search(self, text: str, *, limit: int = 10, fuzzy: bool = True) -> list[SearchHit]:
        """Codes whose names (Chinese or English) or green keywords match ``text``, best first.

        Exact substring matches rank first; fuzzy matches (rapidfuzz) fill the rest.

        >>> hits = load_catalogue().search("光伏逆变器")
        >>> hits[0].code, hits[0].method
        ('850440', 'keyword')
        """
        from classifier.catalogue_search import search_catalogue

        return search_catalogue(self, text, limit=limit, fuzzy=fuzzy)

    def subheadings(self) -> list[Node]:
        """All HS 2022 subheadings, in code order."""
        return [n for n in self.nodes.values() if n.level == 6]


def _read_csv(path: Path) -> list[dict[str, str]]:
    if not path.is_file():
        raise CatalogueDataError(f"catalogue file {path} is missing")
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def _split(value: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in value.split(";") if part.strip())


def _group(items: list, key: str) -> dict[str, tuple]:
    grouped: dict[str, list] = defaultdict(list)
    for item in items:
        grouped[getattr(item, key)].append(item)
    return {k: tuple(v) for k, v in grouped.items()}


def read_national_codes(path: Path) -> dict[str, Node]:
    """Read a national code table written by :func:`classifier.nomenclature.import_nomenclature`."""
    if not path.is_file():
        return {}
    return {
        r["code"]: Node(r["code"], len(r["code"]), r["code"][:-2], r["name_en"], r["name_zh"], r["source"])
        for r in _read_csv(path)
    }


def load_catalogue(catalogue_dir: Path | None = None, national_codes: Path | None = None) -> Catalogue:
    """Load the catalogue from its CSV files (and an imported national table, if given).

    Loading does not validate; :func:`classifier.catalogue_check.check_catalogue` does, in the tests
    and in ``greentrade catalogue check``.
    """
    folder = Path(catalogue_dir or bundled_catalogue_dir())
    rows = {name: _read_csv(folder / file) for name, file in FILES.items()}
    nodes = {
        r["code"]: Node(r["code"], int(r["level"]), r["parent"], r["name_en"], r["name_zh"], r["name_zh_source"])
        for r in rows["nomenclature"]
    }
    mappings = [
        Mapping(
            r["hs6"],
            r["category"],
            r["coverage"],
            r["ex_description_zh"],
            r["ex_description_en"],
            _split(r["keywords_zh"]),
            _split(r["keywords_en"]),
            _split(r["source"]),
            r["note"],
        )
        for r in rows["mappings"]
    ]
    flags = [
        Flag(r["hs6"], r["flag"], r["scope"], r["description_zh"], r["basis"], _split(r["source"]))
        for r in rows["flags"]
    ]
    lists = [
        ListMembership(r["hs6"], r["list"], r["original_code"], r["original_edition"], r["conversion"])
        for r in rows["lists"]
    ]
    old_codes: dict[str, set[str]] = defaultdict(set)
    for m in lists:
        if m.original_code != m.hs6 and m.original_code not in nodes:
            old_codes[m.original_code].add(m.hs6)
    return Catalogue(
        nodes=nodes,
        taxonomy={r["code"]: r for r in rows["taxonomy"]},
        sources={r["id"]: r for r in rows["sources"]},
        mappings=_group(mappings, "hs6"),
        flags=_group(flags, "hs6"),
        lists=_group(lists, "hs6"),
        not_green={r["hs6"]: NotGreen(r["hs6"], r["reason"], _split(r["source"])) for r in rows["not_green"]},
        national=read_national_codes(national_codes) if national_codes else {},
        old_codes={k: tuple(sorted(v)) for k, v in old_codes.items()},
    )


@lru_cache(maxsize=4)
def cached_catalogue(catalogue_dir: Path | None = None, national_codes: Path | None = None) -> Catalogue:
    """One loaded catalogue per process and location: the CLI and the API share it."""
    return load_catalogue(catalogue_dir, national_codes)
