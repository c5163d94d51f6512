"""Record which public green/restriction lists include each HS 2022 subheading.

Maintainer script, not part of the installed package. It reads the public lists in
``../shared/reference/green_lists`` (never copied into the project) and writes only facts:
HS 2022 code, list id (SPEC section 3), the code as the list published it, its HS edition and how
it was converted. Codes from older editions that HS 2022 no longer has are converted with the
edition-change candidates, plus two conversions judged by the project (see JUDGED below).

    python tools/build_list_membership.py [REFERENCE_DIR]
"""

from __future__ import annotations

import csv
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from classifier.tables import write_csv_rows  # noqa: E402

CATALOGUE = ROOT / "catalogue"
FIELDS = ["hs6", "list", "original_code", "original_edition", "conversion", "source"]

# Published file -> (list id, edition of its codes, source citation).
LISTS = {
    "apec_egl_2012.csv": ("APEC54", "HS2012", "APEC Leaders' Declaration 2012, Annex C"),
    "oecd_cleg_hs2007.csv": ("CLEG", "HS2007", "OECD Combined List of Environmental Goods (Sauvage 2014, Table A.1)"),
    "wto_friends_eg_list_hs2007.csv": (
        "WTO_FRIENDS",
        "HS2007",
        "WTO Friends of Environmental Goods list (2009), as flagged in OECD CLEG",
    ),
    "csis_tessd_hs2022_via_hs92.csv": (
        "TESSD",
        "HS1992",
        "WTO TESSD environmental goods, HS1992-concorded copy expanded to HS2022 (CSIS)",
    ),
    "csis_accts_hs2022_via_hs92.csv": (
        "ACCTS",
        "HS1992",
        "ACCTS environmental goods list, HS1992-concorded copy expanded to HS2022 (CSIS)",
    ),
    "china_new_three_unverified.csv": ("NEW3", "HS2022", "China 'new three' export goods (unverified compilation)"),
    "eu_cbam_annex1_hs2022.csv": ("CBAM", "HS2022", "Regulation (EU) 2023/956 Annex I, reduced to HS6"),
}

# Old codes with no candidate in the edition-change notes, converted by the project's judgement.
JUDGED = {
    # HS2007 4418.72 (multilayer assembled flooring) was listed for bamboo flooring, which HS2017+
    # classifies in 4418.73 (flooring of bamboo or with a bamboo top layer).
    "441872": ["441873"],
    # HS2007 8714.11 (motorcycle saddles) was merged into 8714.10 in HS2012.
    "871411": ["871410"],
    # HS2017 8541.40 as cited for NEW3: only the photovoltaic part belongs to the new three.
    "854140@NEW3": ["854142", "854143"],
}


def _hs2022_codes() -> set[str]:
    with (CATALOGUE / "hs_codes.csv").open(encoding="utf-8", newline="") as fh:
        return {r["code"] for r in csv.DictReader(fh) if r["level"] == "6"}


def _edition_changes(ref: Path) -> dict[str, list[str]]:
    out = {}
    with (ref / "hs_edition_changes_cleg_apec.csv").open(encoding="utf-8", newline="") as fh:
        for r in csv.DictReader(fh):
            cand = r["category"].removeprefix("HS2022 candidates: ")
            if cand[:1].isdigit():
                out[r["hs6"]] = cand.split("|")
    return out


def main(ref: Path) -> None:
    valid = _hs2022_codes()
    changes = _edition_changes(ref)
    rows: dict[tuple[str, str], dict[str, str]] = {}
    for name, (list_id, edition, source) in LISTS.items():
        with (ref / name).open(encoding="utf-8", newline="") as fh:
            for r in csv.DictReader(fh):
                code = r["hs6"]
                original, orig_edition = code, edition
                if r["category"].startswith("hs92="):
                    original = r["category"].removeprefix("hs92=")
                if r["hs_edition"].startswith("HS2017"):
                    orig_edition = "HS2017"
                if edition == "HS1992":
                    targets, how = [code], "CSIS HS1992->HS2022 concordance"
                elif orig_edition == edition and code in valid and f"{code}@{list_id}" not in JUDGED:
                    targets, how = [code], "same code in HS2022"
                elif f"{code}@{list_id}" in JUDGED or code in JUDGED:
                    targets = JUDGED.get(f"{code}@{list_id}") or JUDGED[code]
                    how = "converted by greentrade judgement" + (" (split)" if len(targets) > 1 else "")
                elif code in changes:
                    targets = changes[code]
                    how = "edition change" + (" (split)" if len(targets) > 1 else "")
                else:
                    raise SystemExit(f"{name}: {code} is not HS 2022 and has no conversion")
                for target in targets:
                    if target not in valid:
                        raise SystemExit(f"{name}: conversion target {target} is not HS 2022")
                    rows.setdefault(
                        (target, list_id),
                        {
                            "hs6": target,
                            "list": list_id,
                            "original_code": original,
                            "original_edition": orig_edition,
                            "conversion": how,
                            "source": source,
                        },
                    )
    out = sorted(rows.values(), key=lambda r: (r["hs6"], r["list"]))
    target = CATALOGUE / "list_membership.csv"
    write_csv_rows(out, FIELDS, target)
    print(f"wrote {len(out)} memberships to {target}")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT.parent / "shared" / "reference" / "green_lists")
