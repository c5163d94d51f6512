"""Draft catalogue candidates from a large classified file and print records/s and peak memory.

    python benchmarks/bench_draft.py [--rows 1000000] [--distinct 60000] [--repeat 3]

The classified file is generated (CSV, UTF-8): ``--distinct`` different lines drawn from the lexicon
with a Zipf-like skew, each given a category by the catalogue's mapping of its code (so about the
share of green lines of a real month), random values, directions and months. It measures
``greentrade draft build`` as the library runs it: read in chunks, deduplicate, cluster, write
the candidates to a fresh SQLite database. Medians of ``--repeat`` runs; peak memory is the
process's maximum resident set.
"""

from __future__ import annotations

import argparse
import csv
import random
import resource
import statistics
import tempfile
import time
from pathlib import Path

HEADER = ["记录号", "年月", "进出口", "商品编码", "商品名称", "美元", "hs6", "hs_valid", "category", "category_zh",
          "confidence", "basis", "flags", "ref_lists", "evidence", "hs_suggestions", "needs_review", "status",
          "reject_reason"]  # fmt: skip


def make_classified(path: Path, rows: int, distinct: int, seed: int = 11) -> None:
    from classifier.catalogue import load_catalogue
    from classifier.lexicon import load_lexicon

    rng = random.Random(seed)
    cat, lex = load_catalogue(), load_lexicon()
    green = sorted(cat.mappings)
    codes = sorted(lex.terms)
    lines = []
    for i in range(distinct):
        code = rng.choice(green) if rng.random() < 0.3 else rng.choice(codes)
        names = lex.for_code(code, "name") or [cat.nodes[code].name_zh]
        mappings = cat.mappings.get(code, ())
        category = mappings[0].category if mappings else "NONE"
        lines.append(
            (
                code + rng.choice(["00", "10", "90"]),
                code,
                f"{rng.choice(names)} {rng.choice('ABCDEFGH')}{i % 50}",
                category,
            )
        )
    weights = [1 / (rank + 1) ** 0.9 for rank in range(distinct)]
    with open(path, "w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(HEADER)
        for n, (declared, hs6, name, category) in enumerate(rng.choices(lines, weights, k=rows), start=1):
            confidence = rng.uniform(0.3, 0.99)
            writer.writerow([
                n, f"2026-{rng.randint(1, 12):02d}", rng.choice(["出口", "进口"]), declared, name,
                f"{rng.uniform(10, 99999):.2f}", hs6, "true", category, "", f"{confidence:.3f}", "hs_full", "", "",
                f"{hs6} 目录", "", "true" if confidence < 0.6 else "false", "ok", "",
            ])  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--distinct", type=int, default=60_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    from classifier.catalogue import load_catalogue
    from classifier.curation import Actor
    from classifier.drafts import build_draft
    from classifier.store import Store

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "classified.csv"
        make_classified(path, args.rows, args.distinct)
        catalogue = load_catalogue()
        times = []
        for run in range(args.repeat):
            store = Store.open(f"sqlite:///{tmp}/run{run}.db")
            start = time.perf_counter()
            summary = build_draft(store, catalogue, [path], actor=Actor("benchmark"))
            times.append(time.perf_counter() - start)
        median = statistics.median(times)
        peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"draft build, generated classified CSV: {args.rows:,} rows, {args.distinct:,} distinct lines")
        print(f"candidates: {summary.candidates:,}")
        print(f"median of {args.repeat}: {median:.1f} s = {args.rows / median:,.0f} records/s")
        print(f"peak memory (max RSS): {peak_mb:,.0f} MB")


if __name__ == "__main__":
    main()
