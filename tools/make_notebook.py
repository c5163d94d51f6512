"""Write notebooks/classify_example_batch.ipynb from the cells below (kept as code so diffs stay readable).

python tools/make_notebook.py
"""

from pathlib import Path

import nbformat

CELLS = [
    (
        "markdown",
        """# Classifying a month of customs lines with greentrade

This notebook walks through what an analyst does with a monthly batch: classify it, read the summary,
and check the evidence behind the decisions that matter: green goods, ex-out codes, flags, and the
lines greentrade asks a person to review. It uses the bundled example batch
(`examples/customs_2026-10.csv`, GB18030 with Chinese headers, as the customs statistics system
exports it). The same steps work on any CSV, XLSX or Parquet export.""",
    ),
    (
        "code",
        """import tempfile
from pathlib import Path

import pandas as pd

from classifier.classify import Classifier

EXAMPLES = Path("..") / "examples"
clf = Classifier.load()  # the trained model (refused if its hash does not match its card) and the catalogue
print(clf.card["metrics"]["data"])""",
    ),
    (
        "markdown",
        """## 1. Classify the batch

`classify_file` streams the file in chunks, decides each distinct line once, and writes every input
row, in order, with the SPEC columns added (`category`, `confidence`, `basis`, `flags`, `evidence`,
`hs_suggestions`, `needs_review`, `status`, `reject_reason`).""",
    ),
    (
        "code",
        """out_dir = Path(tempfile.mkdtemp())
summary = clf.classify_file(EXAMPLES / "customs_2026-10.csv", out_dir / "classified.csv")
print(f"{summary.rows} rows, {summary.rejected} rejected, {summary.needs_review} to review, {summary.distinct} distinct lines")
{category: f"{share:.1%}" for category, share in summary.green_share.items()}""",
    ),
    (
        "code",
        """result = pd.read_csv(summary.output, dtype=str, keep_default_na=False)
assert len(result) == summary.rows  # nothing lost
result.groupby(["category", "category_zh"]).size().rename("rows").to_frame()""",
    ),
    (
        "markdown",
        """## 2. How each decision was made

`basis` says which rule decided: `hs_full` (the whole code is green), `hs_ex_text` (a partly green
code whose text holds a green keyword), `hs_ex_no_text` (a partly green code without green words:
not green), `hs_none` (a code outside the catalogue), `text` (no valid code: the text decided).""",
    ),
    ("code", """result.groupby("basis").size().rename("rows").to_frame()"""),
    (
        "markdown",
        """### Ex-out codes, both ways

HS 8504.40 holds PV inverters and phone chargers alike. The evidence column names the keyword that
made a line green, or says that none was found.""",
    ),
    (
        "code",
        """ex_lines = result[result["basis"].isin(["hs_ex_text", "hs_ex_no_text"])]
ex_lines[["商品编码", "商品名称", "category", "confidence", "evidence"]].head(8)""",
    ),
    (
        "markdown",
        """### Flags travel with the code

Steel and cement carry HEHE (两高) and CBAM, refrigerants ODS, ordinary plastic bags PLASTIC, whatever
their green category.""",
    ),
    (
        "code",
        """flagged = result[result["flags"] != ""]
flagged.groupby("flags").size().rename("rows").sort_values(ascending=False).head(8).to_frame()""",
    ),
    (
        "markdown",
        """## 3. What needs a person

Low confidence, a declared code that does not fit its description, invalid codes, and rejected
rows. Rejected rows say which column and value made them unusable.""",
    ),
    (
        "code",
        """review = result[result["needs_review"] == "true"]
print(f"{len(review)} lines to review")
review[["商品编码", "商品名称", "category", "confidence", "evidence", "hs_suggestions"]].head(8)""",
    ),
    ("code", """result[result["status"] == "rejected"][["记录号", "商品编码", "商品名称", "reject_reason"]]"""),
    (
        "markdown",
        """## 4. One line at a time

The same decision for a single description, and HS suggestions from the text alone.""",
    ),
    ("code", """clf.classify_one(name="组串式光伏逆变器 50kW", hs_code="8504401400")"""),
    (
        "code",
        """[(code, round(score, 2), clf.catalogue.nodes[code].name_zh) for code, score in clf.suggest_hs("鋰離子蓄電池 48V 100Ah")]""",
    ),
]


def main() -> None:
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_markdown_cell(src) if kind == "markdown" else nbformat.v4.new_code_cell(src)
        for kind, src in CELLS
    ]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    target = Path(__file__).resolve().parents[1] / "notebooks" / "classify_example_batch.ipynb"
    nbformat.write(nb, target)
    print(f"wrote {target}")


if __name__ == "__main__":
    main()
