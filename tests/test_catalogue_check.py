"""The validator passes the shipped data and names file, line and column of every broken rule."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from classifier.catalogue_check import check_catalogue


def _edit(path: Path, line: int, column: str, value: str) -> None:
    """Set one cell of a catalogue CSV (``line`` counts the header as line 1)."""
    with path.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
        fields = list(rows[0].keys())
    rows[line - 2][column] = value
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fields, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


def _append(path: Path, row: dict[str, str]) -> int:
    with path.open(encoding="utf-8", newline="") as fh:
        fields = next(csv.reader(fh))
        count = sum(1 for _ in fh)
    with path.open("a", encoding="utf-8", newline="") as fh:
        csv.DictWriter(fh, fields, lineterminator="\n").writerow(row)
    return count + 2


def test_shipped_catalogue_is_clean():
    problems = check_catalogue()
    assert problems == [], "\n".join(map(str, problems[:20]))


BROKEN_CELLS = [
    ("hs_codes.csv", 2, "parent", "99", r"hs_codes\.csv:2: parent: parent '99' of 01 should be ''"),
    ("hs_codes.csv", 3, "level", "6", r"hs_codes\.csv:3: level: level '6' does not match the 4-digit code 0101"),
    ("green_mappings.csv", 2, "category", "GREEN", r"green_mappings\.csv:2: category: 'GREEN' is not a green category"),
    ("green_mappings.csv", 2, "hs6", "854140", r"green_mappings\.csv:2: hs6: '854140' is not an HS 2022 subheading"),
    ("green_mappings.csv", 2, "source", "", r"green_mappings\.csv:2: source: .* has no source"),
    ("green_mappings.csv", 2, "source", "WIKIPEDIA", r"unknown source 'WIKIPEDIA'"),
    ("flags.csv", 2, "flag", "TOXIC", r"flags\.csv:2: flag: 'TOXIC' is not a flag of the SPEC"),
    ("flags.csv", 2, "basis", "", r"flags\.csv:2: basis: .* needs its basis"),
    ("list_membership.csv", 2, "list", "EGA", r"list_membership\.csv:2: list: 'EGA' is not a list of the SPEC"),
    ("not_green.csv", 2, "reason", "", r"not_green\.csv:2: reason: .* needs a reason"),
]


@pytest.mark.parametrize(("file", "line", "column", "value", "message"), BROKEN_CELLS)
def test_broken_cell_is_named(catalogue_copy, file, line, column, value, message):
    _edit(catalogue_copy / file, line, column, value)
    problems = [str(p) for p in check_catalogue(catalogue_copy)]
    assert any(__import__("re").search(message, p) for p in problems), problems


def test_duplicate_mapping_is_named(catalogue_copy):
    path = catalogue_copy / "green_mappings.csv"
    with path.open(encoding="utf-8", newline="") as fh:
        first = next(csv.DictReader(fh))
    line = _append(path, first)
    problems = [str(p) for p in check_catalogue(catalogue_copy)]
    assert any(p.startswith(f"green_mappings.csv:{line}: hs6:") and "repeats line 2" in p for p in problems)


def test_ex_mapping_without_keywords_is_named(catalogue_copy):
    path = catalogue_copy / "green_mappings.csv"
    line = _append(
        path,
        {"hs6": "010121", "category": "CON", "coverage": "ex", "ex_description_zh": "有机", "ex_description_en": "organic",
         "keywords_zh": "有机", "keywords_en": "", "source": "GREENTRADE", "note": ""},
    )  # fmt: skip
    problems = [str(p) for p in check_catalogue(catalogue_copy)]
    assert f"green_mappings.csv:{line}: keywords_en: ex mapping 010121 needs at least 2 keywords" in problems


def test_listed_code_left_unjudged_is_named(catalogue_copy):
    path = catalogue_copy / "green_mappings.csv"
    with path.open(encoding="utf-8", newline="") as fh:
        rows = [r for r in csv.DictReader(fh) if r["hs6"] != "854143"]
        fields = list(rows[0])
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fields, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    problems = [str(p) for p in check_catalogue(catalogue_copy)]
    assert any(
        "854143 is on ['APEC54', 'CLEG', 'NEW3'] but is neither mapped nor judged not green" in p for p in problems
    )


def test_missing_file_is_named(catalogue_copy):
    (catalogue_copy / "flags.csv").unlink()
    assert "flags.csv: file is missing" in [str(p) for p in check_catalogue(catalogue_copy)]
