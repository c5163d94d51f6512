"""Views of the catalogue for people and other programs: one entry, counts, and the export table.

The CLI prints these, the API returns them as JSON, so both say the same thing.

>>> from classifier.catalogue import load_catalogue
>>> d = describe_entry(load_catalogue(), load_catalogue().lookup("850440"))
>>> d["coverage"], sorted(m["category"] for m in d["mappings"])
('ex', ['CES', 'ELEC', 'NEV'])
"""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict
from typing import Any

import pandas as pd

from classifier.catalogue import SPEC_CATEGORIES, SPEC_FLAGS, SPEC_LISTS, Catalogue, Entry
from classifier.catalogue_check import ZH_REQUIRED_CHAPTERS
from classifier.codes import format_code

LEVEL_NAMES = {2: "chapter", 4: "heading", 6: "subheading", 8: "national (8)", 10: "national (10)"}


def describe_entry(cat: Catalogue, entry: Entry) -> dict[str, Any]:
    """A JSON-ready description of a looked-up code."""
    return {
        "code": entry.code,
        "code_formatted": format_code(entry.code),
        "level": LEVEL_NAMES[len(entry.code)],
        "name_zh": entry.node.name_zh,
        "name_en": entry.node.name_en,
        "path": [
            {"code": n.code, "level": LEVEL_NAMES[n.level], "name_zh": n.name_zh, "name_en": n.name_en}
            for n in entry.path
        ],
        "categories": list(entry.categories),
        "coverage": entry.coverage,
        "mappings": [{**asdict(m), "category_zh": cat.category_name(m.category)} for m in entry.mappings],
        "flags": [asdict(f) for f in entry.flags],
        "ref_lists": [asdict(m) for m in entry.ref_lists],
        "not_green": asdict(entry.not_green) if entry.not_green else None,
        "notes": list(entry.notes),
    }


def catalogue_stats(cat: Catalogue) -> dict[str, Any]:
    """Counts that tell a curator what the catalogue holds, and how complete its names are."""
    levels = Counter(n.level for n in cat.nodes.values())
    zh = Counter(n.level for n in cat.nodes.values() if n.name_zh)
    required = [n for n in cat.nodes.values() if n.level == 6 and n.code[:2] in ZH_REQUIRED_CHAPTERS]
    mappings = [m for maps in cat.mappings.values() for m in maps]
    flags = [f for fs in cat.flags.values() for f in fs]
    lists = [m for ms in cat.lists.values() for m in ms]
    return {
        "nomenclature": {LEVEL_NAMES[level]: {"rows": levels[level], "name_zh": zh[level]} for level in sorted(levels)},
        "name_zh_required_subheadings": {
            "rows": len(required),
            "name_zh": sum(1 for n in required if n.name_zh),
        },
        "national_codes": len(cat.national),
        "mappings_by_category": {
            c: dict(Counter(m.coverage for m in mappings if m.category == c)) for c in SPEC_CATEGORIES if c != "NONE"
        },
        "mapped_subheadings": len(cat.mappings),
        "judged_not_green": len(cat.not_green),
        "flags": {f: sum(1 for x in flags if x.flag == f) for f in SPEC_FLAGS},
        "lists": {name: sum(1 for x in lists if x.list == name) for name in SPEC_LISTS},
    }


def catalogue_table(cat: Catalogue, *, all_codes: bool = False) -> pd.DataFrame:
    """One row per subheading and green category: the catalogue as a spreadsheet.

    By default only subheadings that are mapped, flagged or on a reference list; ``all_codes``
    adds every chapter, heading and subheading of the nomenclature.
    """
    rows = []
    for node in sorted(cat.nodes.values(), key=lambda n: n.code):
        code = node.code
        relevant = code in cat.mappings or code in cat.flags or code in cat.lists
        if not (all_codes or relevant):
            continue
        base = {
            "code": code,
            "level": LEVEL_NAMES[node.level],
            "name_zh": node.name_zh,
            "name_en": node.name_en,
            "flags": ";".join(f.flag for f in cat.flags.get(code, ())),
            "ref_lists": ";".join(m.list for m in cat.lists.get(code, ())),
            "not_green_reason": cat.not_green[code].reason if code in cat.not_green else "",
        }
        for m in cat.mappings.get(code, ()) or (None,):
            rows.append(
                {
                    **base,
                    "category": m.category if m else ("" if node.level < 6 else "NONE"),
                    "category_zh": cat.category_name(m.category) if m else "",
                    "coverage": m.coverage if m else "",
                    "ex_description_zh": m.ex_description_zh if m else "",
                    "ex_description_en": m.ex_description_en if m else "",
                    "keywords_zh": ";".join(m.keywords_zh) if m else "",
                    "keywords_en": ";".join(m.keywords_en) if m else "",
                    "source": ";".join(m.source) if m else "",
                }
            )
    columns = [
        "code", "level", "name_zh", "name_en", "category", "category_zh", "coverage",
        "ex_description_zh", "ex_description_en", "keywords_zh", "keywords_en", "flags",
        "ref_lists", "source", "not_green_reason",
    ]  # fmt: skip
    return pd.DataFrame(rows, columns=columns)
