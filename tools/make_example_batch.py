"""Generate the bundled example batch: one month of Chongqing customs lines, as analysts receive them.

Maintainer script (deterministic): writes ``examples/customs_2026-10.csv`` (GB18030, Chinese headers,
as the customs statistics system exports it) and ``examples/customs_2026-10.xlsx`` (the same rows).
The lines are generated from the project's catalogue and lexicon, and cover every green category,
every flag, ex-out codes both ways (with and without the green keyword), invalid and old-edition
codes, missing names and codes, repeated lines, traditional characters, English names and a
formula-like name.

    python tools/make_example_batch.py
"""

from __future__ import annotations

import csv
import random
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import pandas as pd  # noqa: E402
import zhconv  # noqa: E402

from classifier.catalogue import load_catalogue  # noqa: E402
from classifier.lexicon import load_lexicon  # noqa: E402

OUT = ROOT / "examples"
HEADER = [
    "记录号",
    "年月",
    "进出口",
    "商品编码",
    "商品名称",
    "规格型号",
    "贸易国(地区)",
    "美元",
    "数量",
    "单位",
    "企业名称",
]
PARTNERS = [
    "美国",
    "德国",
    "荷兰",
    "越南",
    "泰国",
    "马来西亚",
    "日本",
    "韩国",
    "巴西",
    "墨西哥",
    "沙特阿拉伯",
    "澳大利亚",
    "英国",
    "印度",
    "俄罗斯",
]
ENTERPRISES = [
    "重庆长安汽车股份有限公司", "重庆京东方光电科技有限公司", "重庆赛力斯汽车有限公司", "重庆隆基绿能科技有限公司",
    "重庆万凯新材料科技有限公司", "重庆钢铁股份有限公司", "重庆国际复合材料股份有限公司", "重庆惠科金渝光电科技有限公司",
    "重庆市进出口贸易有限公司", "重庆两江新区跨境电商有限公司", "英业达（重庆）有限公司", "重庆宗申动力机械股份有限公司",
]  # fmt: skip
UNITS = ["千克", "台", "个", "辆", "套", "吨", "米", "件"]
ELECTRICAL = {"84", "85", "87", "90", "94"}
UNITS_BY_KIND = {True: ["W", "V", "kW", "Ah", "A"], False: ["kg", "mm", "g", "cm", "L"]}
SPECS = ["品牌:无 型号:{m}", "用途:{u} 品牌:{b}", "型号:{m} 规格:{s}", "{s}", ""]


def main(rows: int = 3000, seed: int = 202610) -> None:
    rng = random.Random(seed)
    cat = load_catalogue()
    lex = load_lexicon()
    mapped = sorted(cat.mappings)
    flagged = sorted(cat.flags)
    common = sorted(code for code in lex.terms if cat.lookup(code).coverage == "none" and code not in cat.flags)

    def term(code: str, lang: str = "zh") -> str:
        names = lex.for_code(code, "name", lang) or [cat.nodes[code].name_zh or cat.nodes[code].name_en]
        return rng.choice(names)

    def green_keyword(code: str) -> tuple[str, str]:
        m = rng.choice(cat.mappings[code])
        return m.category, rng.choice(m.keywords_zh or m.keywords_en)

    def spec(code: str) -> str:
        uses = lex.for_code(code, "use", "zh") or ["其他"]
        return rng.choice(SPECS).format(
            m=f"{rng.choice('ABCDHKLMRSTX')}{rng.randint(10, 9999)}", u=rng.choice(uses), b=rng.choice(["无", "恒远", "东方"]),
            s=f"{rng.randint(1, 900)}{rng.choice(UNITS_BY_KIND[code[:2] in ELECTRICAL])}",
        )  # fmt: skip

    def national(code: str) -> str:
        return rng.choice([code + "00", code + "00", code + "0000", code[:4] + "." + code[4:]])

    lines: list[list[str]] = []
    while len(lines) < rows:
        roll = rng.random()
        if roll < 0.30:  # green codes: full, or ex with the green keyword in the name
            code = rng.choice(mapped)
            name = term(code)
            entry = cat.lookup(code)
            if entry.coverage == "ex":
                name = f"{green_keyword(code)[1]} {name}" if rng.random() < 0.7 else name
            lines.append([national(code), name, spec(code)])
        elif roll < 0.42:  # flagged goods: steel, cement, aluminium, refrigerants, plastic bags
            code = rng.choice(flagged)
            lines.append([national(code), term(code), spec(code)])
        elif roll < 0.82:  # ordinary trade
            code = rng.choice(common)
            lines.append([national(code), term(code), spec(code)])
        elif roll < 0.87:  # English descriptions
            code = rng.choice(mapped + common)
            lines.append([national(code), term(code, "en"), ""])
        elif roll < 0.90:  # traditional characters
            code = rng.choice(mapped + common)
            lines.append([national(code), zhconv.convert(term(code), "zh-tw"), ""])
        elif roll < 0.93:  # name only
            code = rng.choice(mapped + common)
            lines.append(["", term(code), spec(code)])
        elif roll < 0.945:  # code only
            code = rng.choice(mapped + flagged)
            lines.append([national(code), "", ""])
        elif roll < 0.96:  # invalid or old-edition codes
            bad = rng.choice(["85414", "8541.99", "854140", "ABC123", "99999999", "7208.1O"])
            lines.append([bad, term(rng.choice(mapped)), ""])
        else:  # repeated lines, as declarations of one shipment split over several items
            lines.append(list(rng.choice(lines)) if lines else ["854143", "光伏组件", ""])
    lines[rng.randrange(len(lines))] = ["39232100", '=HYPERLINK("http://example.invalid","购物袋")', ""]
    lines[rng.randrange(len(lines))] = ["", "", ""]

    records = []
    for i, (code, name, spec_text) in enumerate(lines, start=1):
        quantity = rng.randint(1, 5000)
        records.append(
            [
                f"500020261000{i:05d}", "2026-10", rng.choice(["出口", "出口", "出口", "进口"]), code, name, spec_text,
                rng.choice(PARTNERS), f"{rng.uniform(50, 250000):.2f}", str(quantity), rng.choice(UNITS),
                rng.choice(ENTERPRISES),
            ]
        )  # fmt: skip
    OUT.mkdir(exist_ok=True)
    with open(OUT / "customs_2026-10.csv", "w", encoding="gb18030", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(HEADER)
        writer.writerows(records)
    pd.DataFrame(records, columns=HEADER).to_excel(OUT / "customs_2026-10.xlsx", index=False, sheet_name="2026年10月")
    print(f"wrote {len(records)} rows to {OUT}/customs_2026-10.csv (GB18030) and .xlsx")


if __name__ == "__main__":
    main()
