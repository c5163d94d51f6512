"""Write the notebooks from the cells below (kept as code so diffs stay readable).

python tools/make_notebook.py
"""

from pathlib import Path

import nbformat

CLASSIFY = [
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


CURATE = [
    (
        "markdown",
        """# Drafting the catalogue from a month of trade

How policy staff turn classified trade into the draft *重庆市绿色低碳优势产业进出口产品目录*: build
candidates from the example month, look at the queue, decide, release, export, and classify again
with the release pinned. The review page (`make review`, then http://127.0.0.1:8000/review) does the
same steps in a browser; this notebook uses the library and a throw-away SQLite database.""",
    ),
    (
        "code",
        """import tempfile
from pathlib import Path

import pandas as pd

from classifier.classify import Classifier
from classifier.curation import Actor, as_dict, decide, list_audit, list_entries
from classifier.drafts import build_draft
from classifier.releases import ReleaseRules, create_release, diff_releases, export_release
from classifier.store import Store

work = Path(tempfile.mkdtemp())
store = Store.open(f"sqlite:///{work / 'greentrade.db'}")
clf = Classifier.load()
classified = work / "customs_2026-10.classified.csv"
clf.classify_file(Path("..") / "examples" / "customs_2026-10.csv", classified).rows""",
    ),
    (
        "markdown",
        """## 1. Candidates from trade

Records are grouped by code and by product name (near-duplicates clustered with rapidfuzz within
each code); a cluster with green records becomes a candidate, ranked by value weighted by
uncertainty.""",
    ),
    (
        "code",
        """summary = build_draft(store, clf.catalogue, [classified], actor=Actor("notebook"))
print(summary.candidates, "candidates;", summary.by_change)
queue = list_entries(store, status="candidate", limit=10).items
columns = ["id", "code", "product_name", "category", "coverage", "confidence", "value_usd", "records", "priority"]
pd.DataFrame([as_dict(e) for e in queue])[columns]""",
    ),
    (
        "markdown",
        """## 2. Decide

Every decision names the version it was made on and needs a rationale; a stale version is refused
(another curator decided first), and each decision is kept in the audit log.""",
    ),
    (
        "code",
        """first, second = queue[0], queue[1]
decide(store, first.id, action="accept", version=first.version, rationale="属目录范围，示例", actor=Actor("王审核"))
decide(store, second.id, action="reject", version=second.version, rationale="不属绿色低碳产品，示例", actor=Actor("李审核"))
pd.DataFrame([as_dict(e) for e in list_audit(store).items])[["at", "actor", "action", "summary"]]""",
    ),
    (
        "markdown",
        """## 3. Release and export

A release freezes the decided entries; the export is the official-style table with Chinese headers,
every cell written as text.""",
    ),
    (
        "code",
        """release = create_release(store, "2026-12", actor=Actor("王审核"), note="示例")
table = export_release(store, release, work / "catalogue-2026-12.xlsx")
pd.read_excel(table)""",
    ),
    (
        "markdown",
        """## 4. Classify with the release pinned

The curated entries decide first (`basis = curated`), and the output records the release and model.""",
    ),
    (
        "code",
        """clf.pin_release(ReleaseRules.load(store, "latest"))
again = work / "again.csv"
clf.classify_file(Path("..") / "examples" / "customs_2026-10.csv", again)
result = pd.read_csv(again, dtype=str)
print((result["basis"] == "curated").sum(), "rows decided by the release")
print((work / "again.csv.run.json").read_text(encoding="utf-8"))""",
    ),
]

NOTEBOOKS = {"classify_example_batch.ipynb": CLASSIFY, "curate_draft_catalogue.ipynb": CURATE}


def main() -> None:
    for name, cells in NOTEBOOKS.items():
        nb = nbformat.v4.new_notebook()
        nb.cells = [
            nbformat.v4.new_markdown_cell(src) if kind == "markdown" else nbformat.v4.new_code_cell(src)
            for kind, src in cells
        ]
        for number, cell in enumerate(nb.cells):
            cell["id"] = f"cell-{number}"  # stable ids: rewriting a notebook changes only what changed
        nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
        target = Path(__file__).resolve().parents[1] / "notebooks" / name
        nbformat.write(nb, target)
        print(f"wrote {target}")


if __name__ == "__main__":
    main()
