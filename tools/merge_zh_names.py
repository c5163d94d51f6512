"""Merge Chinese names written chapter by chapter (code,name_zh CSVs) into catalogue/hs_codes.csv.

Maintainer script: the drafts are checked (every code exists, no empty name) before the
catalogue file is rewritten atomically. Names keep ``name_zh_source`` = ``greentrade``.

    python tools/merge_zh_names.py DRAFT.csv [DRAFT.csv ...]
"""

from __future__ import annotations

import csv
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from classifier.tables import write_csv_rows  # noqa: E402

TARGET = ROOT / "catalogue" / "hs_codes.csv"


def main(drafts: list[str]) -> None:
    with TARGET.open(encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(fh)
        fields = list(reader.fieldnames or [])
        rows = list(reader)
    by_code = {r["code"]: r for r in rows}
    merged = 0
    for draft in drafts:
        with open(draft, encoding="utf-8-sig", newline="") as fh:
            for line, r in enumerate(csv.DictReader(fh), start=2):
                code, name = r["code"].strip(), " ".join(r["name_zh"].split())
                if code not in by_code:
                    raise SystemExit(f"{draft}:{line}: code {code!r} is not in {TARGET.name}")
                if not name:
                    raise SystemExit(f"{draft}:{line}: empty name for {code}")
                by_code[code]["name_zh"] = name
                by_code[code]["name_zh_source"] = "greentrade"
                merged += 1
    write_csv_rows(rows, fields, TARGET)
    print(f"merged {merged} Chinese names into {TARGET}")


if __name__ == "__main__":
    main(sys.argv[1:])
