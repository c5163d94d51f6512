"""Import the official Chinese customs commodity code table (8 or 10 digits) into the catalogue in use.

The table (商品编码, 商品名称; or the English edition's CODES, DESCRIPTION) is published by the
customs administration each year. Importing it lays its national codes under their HS 2022
subheadings without touching the bundled files: the rows go to a CSV in the data directory, merged
with what an earlier import left there (a Chinese and an English edition complete each other).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from classifier.catalogue import Catalogue, read_national_codes
from classifier.codes import parse_code
from classifier.errors import GreentradeError, InputFileError
from classifier.records import ALIASES, ERROR_COLUMN, ROW_COLUMN, column_key, read_record_chunks
from classifier.tables import write_csv_rows

# The record aliases of SPEC section 4, plus the headers of the customs tables' own editions.
CODE_COLUMNS = (*ALIASES["hs_code"], "商品代码", "codes")
NAME_COLUMNS = (*ALIASES["name"], "name_zh", "name_en")
NATIONAL_FIELDS = ["code", "hs6", "name_zh", "name_en", "source"]
_CJK = re.compile(r"[\u3400-\u9fff]")


@dataclass
class ImportReport:
    """What an import did: rows read and kept, and every skipped row with its reason."""

    path: Path
    rows_read: int = 0
    imported: int = 0
    skipped: list[tuple[int, str, str]] = field(default_factory=list)
    """(data row number, 1 = first row after the header; code as written; reason)"""
    total_national_codes: int = 0

    def skipped_by_reason(self) -> Counter[str]:
        return Counter(reason.split(":")[0] for _, _, reason in self.skipped)


def _find_column(columns: list[str], wanted: tuple[str, ...], what: str, path: Path) -> str:
    by_key = {column_key(c): c for c in columns}
    for name in wanted:
        if column_key(name) in by_key:
            return by_key[column_key(name)]
    raise InputFileError(f"{path}: no {what} column; expected one of {list(wanted)}, found {columns}")


def _rows(path: Path, sheet: str | None) -> Iterator[tuple[int, str, str, str]]:
    """(data row number, 1 = first row after the header; code; name; parse error) for every row."""
    columns: tuple[str, str] | None = None
    for chunk in read_record_chunks(path, sheet=sheet):
        if columns is None:
            found = [c for c in chunk.columns if c not in (ROW_COLUMN, ERROR_COLUMN)]
            columns = (
                _find_column(found, CODE_COLUMNS, "commodity code (商品编码)", path),
                _find_column(found, NAME_COLUMNS, "commodity name (商品名称)", path),
            )
        yield from zip(chunk[ROW_COLUMN], chunk[columns[0]], chunk[columns[1]], chunk[ERROR_COLUMN], strict=True)


def import_nomenclature(path: Path, catalogue: Catalogue, target: Path, *, sheet: str | None = None) -> ImportReport:
    """Read a national code table and merge it into the national codes file at ``target``.

    Rows are skipped, with a reason, when the code is malformed, is not 8 or 10 digits, falls
    under no HS 2022 subheading, or repeats an earlier row of the same file.
    """
    path = Path(path)
    report = ImportReport(path=path)
    national = {code: node.__dict__ for code, node in read_national_codes(target).items()}
    seen: dict[str, int] = {}
    for row_number, raw_code, raw_name, error in _rows(path, sheet):
        report.rows_read += 1
        if error:
            report.skipped.append((row_number, str(raw_code), f"malformed row: {error}"))
            continue
        name = str(raw_name).strip()
        digits = str(raw_code).strip()
        if digits[:2] in ("98", "99") and digits.isdigit():
            report.skipped.append(
                (row_number, digits, f"not HS 2022: chapter {digits[:2]} is a national chapter outside the HS")
            )
            continue
        try:
            code = parse_code(raw_code)
        except GreentradeError as exc:
            report.skipped.append((row_number, str(raw_code), f"invalid code: {exc}"))
            continue
        if len(code) not in (8, 10):
            report.skipped.append((row_number, code, f"not a national code: {len(code)} digits, expected 8 or 10"))
            continue
        if code[:6] not in catalogue.nodes:
            report.skipped.append((row_number, code, f"not HS 2022: subheading {code[:6]} does not exist"))
            continue
        if code in seen:
            report.skipped.append((row_number, code, f"duplicate: same code as row {seen[code]}"))
            continue
        if not name:
            report.skipped.append((row_number, code, "no name: 商品名称 is empty"))
            continue
        seen[code] = row_number
        row = national.get(code) or {"code": code, "hs6": code[:6], "name_zh": "", "name_en": ""}
        row["name_zh" if _CJK.search(name) else "name_en"] = name
        row["hs6"] = code[:6]
        row["source"] = f"{path.name} (imported {datetime.now(UTC):%Y-%m-%d})"
        national[code] = row
        report.imported += 1
    write_csv_rows(
        ({k: r.get(k, "") for k in NATIONAL_FIELDS} for _, r in sorted(national.items())),
        NATIONAL_FIELDS,
        target,
    )
    report.total_national_codes = len(national)
    return report
