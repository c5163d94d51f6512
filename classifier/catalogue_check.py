"""Guard the catalogue data: every problem named by file, line and column.

Runs in the test suite over the shipped files and as ``greentrade catalogue check``, so a curator's
edit that breaks a rule is caught before anything classifies with it.

>>> check_catalogue()
[]
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

from classifier.catalogue import COVERAGES, FILES, SPEC_CATEGORIES, SPEC_FLAGS, SPEC_LISTS
from classifier.lexicon import COLUMNS as LEXICON_COLUMNS
from classifier.lexicon import KINDS, LANGS, lexicon_files
from classifier.settings import bundled_catalogue_dir

# Chapters where green and flagged goods live: their Chinese names were written first (stats report them).
ZH_REQUIRED_CHAPTERS = frozenset(
    [
        "25",
        "26",
        "27",
        "28",
        "29",
        "31",
        "32",
        "38",
        "39",
        "40",
        "44",
        "45",
        "46",
        "47",
        "48",
        "68",
        "69",
        "70",
        "71",
        "72",
        "73",
        "74",
        "75",
        "76",
        "78",
        "79",
        "80",
        "81",
        "84",
        "85",
        "86",
        "87",
        "88",
        "89",
        "90",
        "94",
        "95",
    ]
)
# Lists whose every code must be judged one by one (green mapping or a not-green reason).
JUDGED_LISTS = ("APEC54", "CLEG", "NEW3")

COLUMNS = {
    "nomenclature": ["code", "level", "parent", "section", "name_en", "name_zh", "name_en_source", "name_zh_source"],
    "taxonomy": ["kind", "code", "name_zh", "name_en", "description"],
    "sources": ["id", "kind", "name", "edition", "citation"],
    "mappings": [
        "hs6", "category", "coverage", "ex_description_zh", "ex_description_en",
        "keywords_zh", "keywords_en", "source", "note",
    ],
    "not_green": ["hs6", "reason", "source"],
    "flags": ["hs6", "flag", "scope", "description_zh", "basis", "source"],
    "lists": ["hs6", "list", "original_code", "original_edition", "conversion", "source"],
}  # fmt: skip


@dataclass(frozen=True)
class Problem:
    """One broken rule: where it is and what is wrong."""

    file: str
    line: int
    column: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        return f"{where}: {self.column}: {self.message}" if self.column else f"{where}: {self.message}"


def _read(folder: Path, name: str, problems: list[Problem]) -> list[tuple[int, dict[str, str]]]:
    file = FILES[name]
    path = folder / file
    if not path.is_file():
        problems.append(Problem(file, 0, "", "file is missing"))
        return []
    with path.open(encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(fh)
        missing = [c for c in COLUMNS[name] if c not in (reader.fieldnames or [])]
        if missing:
            problems.append(Problem(file, 1, "", f"missing columns {missing}; found {reader.fieldnames}"))
            return []
        return [(i, {k: (v or "").strip() for k, v in row.items() if k}) for i, row in enumerate(reader, start=2)]


def check_catalogue(catalogue_dir: Path | None = None) -> list[Problem]:
    """Check every catalogue file against the SPEC and each other; an empty list means all is well."""
    folder = Path(catalogue_dir or bundled_catalogue_dir())
    problems: list[Problem] = []
    rows = {name: _read(folder, name, problems) for name in FILES}

    def bad(name: str, line: int, column: str, message: str) -> None:
        problems.append(Problem(FILES[name], line, column, message))

    # Nomenclature: codes, levels, parents, names.
    codes: dict[str, int] = {}
    for line, r in rows["nomenclature"]:
        code = r["code"]
        if not code.isdigit() or len(code) not in (2, 4, 6):
            bad("nomenclature", line, "code", f"{code!r} is not a 2, 4 or 6 digit HS code")
            continue
        if code in codes:
            bad("nomenclature", line, "code", f"{code} repeats line {codes[code]}")
        codes[code] = line
        if r["level"] != str(len(code)):
            bad("nomenclature", line, "level", f"level {r['level']!r} does not match the {len(code)}-digit code {code}")
        if r["parent"] != code[:-2]:
            bad("nomenclature", line, "parent", f"parent {r['parent']!r} of {code} should be {code[:-2]!r}")
        if not r["name_en"]:
            bad("nomenclature", line, "name_en", f"{code} has no English name")
        if r["name_zh"] and not r["name_zh_source"]:
            bad("nomenclature", line, "name_zh_source", f"{code} has a Chinese name but no source")
        if not r["name_zh"]:
            bad("nomenclature", line, "name_zh", f"{code} needs a Chinese name")
    for line, r in rows["nomenclature"]:
        if r["parent"] and r["parent"] not in codes:
            bad("nomenclature", line, "parent", f"parent {r['parent']} of {r['code']} is not in the file")
    hs6 = {c for c in codes if len(c) == 6}

    taxonomy = {(r["kind"], r["code"]) for _, r in rows["taxonomy"]}
    for kind, spec in (("category", SPEC_CATEGORIES), ("flag", SPEC_FLAGS)):
        found = {code for k, code in taxonomy if k == kind}
        if found != set(spec):
            bad("taxonomy", 0, "code", f"{kind} codes {sorted(found)} differ from the SPEC's {sorted(spec)}")
    source_ids = {r["id"] for _, r in rows["sources"]}

    def check_hs6(name: str, line: int, r: dict[str, str]) -> bool:
        if r["hs6"] not in hs6:
            bad(name, line, "hs6", f"{r['hs6']!r} is not an HS 2022 subheading")
            return False
        return True

    def check_source(name: str, line: int, r: dict[str, str]) -> None:
        ids = [s for s in r["source"].split(";") if s]
        if not ids:
            bad(name, line, "source", f"{r['hs6']} has no source")
        for s in ids:
            if s not in source_ids:
                bad(name, line, "source", f"unknown source {s!r}; sources.csv has {sorted(source_ids)}")

    # Green mappings.
    seen: dict[tuple[str, str], int] = {}
    coverage_by_code: dict[str, list[str]] = {}
    for line, r in rows["mappings"]:
        if not check_hs6("mappings", line, r):
            continue
        if r["category"] not in SPEC_CATEGORIES or r["category"] == "NONE":
            bad("mappings", line, "category", f"{r['category']!r} is not a green category of the SPEC")
        if r["coverage"] not in COVERAGES:
            bad("mappings", line, "coverage", f"{r['coverage']!r} should be one of {list(COVERAGES)}")
        key = (r["hs6"], r["category"])
        if key in seen:
            bad("mappings", line, "hs6", f"{r['hs6']} {r['category']} repeats line {seen[key]}")
        seen[key] = line
        coverage_by_code.setdefault(r["hs6"], []).append(r["coverage"])
        if r["coverage"] == "ex":
            for column in ("ex_description_zh", "ex_description_en"):
                if not r[column]:
                    bad("mappings", line, column, f"ex mapping {r['hs6']} must describe its green part")
            for column in ("keywords_zh", "keywords_en"):
                if len([k for k in r[column].split(";") if k.strip()]) < 2:
                    bad("mappings", line, column, f"ex mapping {r['hs6']} needs at least 2 keywords")
        check_source("mappings", line, r)
    for code, coverages in coverage_by_code.items():
        if len(coverages) > 1 and "full" in coverages:
            line = min(seen[(c, k)] for c, k in seen if c == code)
            bad("mappings", line, "coverage", f"{code} has several categories, so none of them can be full")

    not_green: set[str] = set()
    for line, r in rows["not_green"]:
        if not check_hs6("not_green", line, r):
            continue
        if r["hs6"] in coverage_by_code:
            bad("not_green", line, "hs6", f"{r['hs6']} is also in {FILES['mappings']}")
        if r["hs6"] in not_green:
            bad("not_green", line, "hs6", f"{r['hs6']} repeats")
        if not r["reason"]:
            bad("not_green", line, "reason", f"{r['hs6']} needs a reason")
        not_green.add(r["hs6"])
        check_source("not_green", line, r)

    flags: set[tuple[str, str]] = set()
    for line, r in rows["flags"]:
        if not check_hs6("flags", line, r):
            continue
        if r["flag"] not in SPEC_FLAGS:
            bad("flags", line, "flag", f"{r['flag']!r} is not a flag of the SPEC {list(SPEC_FLAGS)}")
        if r["scope"] not in COVERAGES:
            bad("flags", line, "scope", f"{r['scope']!r} should be one of {list(COVERAGES)}")
        if r["scope"] == "ex" and not r["description_zh"]:
            bad("flags", line, "description_zh", f"ex flag on {r['hs6']} must say which goods it covers")
        if not r["basis"]:
            bad("flags", line, "basis", f"{r['flag']} on {r['hs6']} needs its basis")
        if (r["hs6"], r["flag"]) in flags:
            bad("flags", line, "hs6", f"{r['flag']} on {r['hs6']} repeats")
        flags.add((r["hs6"], r["flag"]))
        check_source("flags", line, r)

    members: dict[str, set[str]] = {}
    for line, r in rows["lists"]:
        if not check_hs6("lists", line, r):
            continue
        if r["list"] not in SPEC_LISTS:
            bad("lists", line, "list", f"{r['list']!r} is not a list of the SPEC {list(SPEC_LISTS)}")
        if r["list"] in members.get(r["hs6"], set()):
            bad("lists", line, "list", f"{r['hs6']} in {r['list']} repeats")
        members.setdefault(r["hs6"], set()).add(r["list"])
        if not r["source"] or not r["conversion"]:
            bad("lists", line, "source", f"{r['hs6']} in {r['list']} needs its source and conversion")

    cbam_flag = {c for c, f in flags if f == "CBAM"}
    cbam_list = {c for c, lists in members.items() if "CBAM" in lists}
    for code in sorted(cbam_flag ^ cbam_list):
        bad("flags", 0, "flag", f"{code}: the CBAM flag and the CBAM list disagree")
    for code, lists in sorted(members.items()):
        judged_lists = sorted(lists & set(JUDGED_LISTS))
        if judged_lists and code not in coverage_by_code and code not in not_green:
            bad("lists", 0, "hs6", f"{code} is on {judged_lists} but is neither mapped nor judged not green")
    _check_lexicon(folder, hs6, problems)
    return problems


def _check_lexicon(folder: Path, hs6: set[str], problems: list[Problem]) -> None:
    """Lexicon files: known subheadings, languages and kinds, no empty or repeated term."""
    for path in lexicon_files(folder):
        file = f"lexicon/{path.name}"
        with path.open(encoding="utf-8", newline="") as fh:
            reader = csv.DictReader(fh)
            if reader.fieldnames != LEXICON_COLUMNS:
                problems.append(Problem(file, 1, "", f"columns should be {LEXICON_COLUMNS}, found {reader.fieldnames}"))
                continue
            seen: dict[tuple[str, ...], int] = {}
            for line, r in enumerate(reader, start=2):
                if r["hs6"] not in hs6:
                    problems.append(Problem(file, line, "hs6", f"{r['hs6']!r} is not an HS 2022 subheading"))
                if r["lang"] not in LANGS:
                    problems.append(Problem(file, line, "lang", f"{r['lang']!r} should be one of {list(LANGS)}"))
                if r["kind"] not in KINDS:
                    problems.append(Problem(file, line, "kind", f"{r['kind']!r} should be one of {list(KINDS)}"))
                if not (r["term"] or "").strip():
                    problems.append(Problem(file, line, "term", "empty term"))
                key = (r["hs6"], r["lang"], r["kind"], r["term"])
                if key in seen:
                    problems.append(Problem(file, line, "term", f"{r['term']!r} repeats line {seen[key]}"))
                seen.setdefault(key, line)
