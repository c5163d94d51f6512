"""Classify a large generated batch end to end (CSV in, CSV out) and print records/s and peak memory.

    python benchmarks/bench_classify.py [--rows 1000000] [--distinct 60000] [--model PATH]

The batch is generated from the catalogue and lexicon with realistic repetition: ``--distinct``
different (code, name, spec) lines drawn with a Zipf-like skew, as a month of declarations repeats
its common goods. It also measures the full text path on names the model never saw (the held-out
test split, one record each, no cache: ``distinct unseen names/s``), and the time from process start
to the first classified record.
"""

from __future__ import annotations

import argparse
import csv
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def make_batch(path: Path, rows: int, distinct: int, seed: int = 7) -> None:
    from classifier.catalogue import load_catalogue
    from classifier.lexicon import load_lexicon

    rng = random.Random(seed)
    cat, lex = load_catalogue(), load_lexicon()
    codes = sorted(lex.terms)
    lines = []
    for i in range(distinct):
        code = rng.choice(codes)
        names = lex.for_code(code, "name") or [cat.nodes[code].name_zh or cat.nodes[code].name_en]
        declared = code + "00" if rng.random() < 0.95 else ""
        lines.append((declared, rng.choice(names), f"型号:{rng.choice('ABCDEFGH')}{i} {rng.randint(1, 900)}W"))
    weights = [1 / (rank + 1) ** 0.9 for rank in range(distinct)]
    with open(path, "w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["记录号", "商品编码", "商品名称", "规格型号", "美元"])
        batch = 100_000
        for start in range(0, rows, batch):
            for j, line in enumerate(rng.choices(lines, weights, k=min(batch, rows - start))):
                writer.writerow([start + j + 1, *line, f"{rng.uniform(10, 99999):.2f}"])


def unseen_names_rate(model: Path | None, n: int = 15_000) -> float:
    """Names the model never saw (the held-out test split), one record each, no code, no cache."""
    from classifier.classify import Classifier
    from classifier.lexicon import load_lexicon
    from classifier.training_data import build_training_texts

    clf = Classifier.load(model)
    texts = [t.text for t in build_training_texts(clf.catalogue, load_lexicon()) if t.split == "test"]
    records = [("", text, "") for text in dict.fromkeys(texts)][:n]
    clf.decide_many(records[:200])  # warm-up
    start = time.perf_counter()
    for i in range(200, len(records), 5000):
        clf.decide_many(records[i : i + 5000])
    return (len(records) - 200) / (time.perf_counter() - start)


def first_result_seconds(model: Path | None) -> float:
    """Wall time of `greentrade classify --text ...` as a fresh process."""
    exe = Path(sys.executable).with_name("greentrade")
    args = [str(exe), "classify", "--text", "光伏组件 550W"] + (["--model", str(model)] if model else [])
    times = []
    for _ in range(3):
        start = time.perf_counter()
        subprocess.run(args, check=True, capture_output=True)
        times.append(time.perf_counter() - start)
    return sorted(times)[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--distinct", type=int, default=60_000)
    parser.add_argument("--model", type=Path, default=None)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        source, target = Path(tmp) / "batch.csv", Path(tmp) / "classified.csv"
        make_batch(source, args.rows, args.distinct)
        print(f"generated {args.rows:,} lines, {args.distinct:,} distinct ({source.stat().st_size / 1e6:.0f} MB)")
        # The run is a separate process so its peak memory is its own.
        code = (
            "import resource, sys, time; from pathlib import Path; from classifier.classify import Classifier\n"
            f"start = time.perf_counter(); clf = Classifier.load({str(args.model)!r} if {bool(args.model)} else None)\n"
            f"s = clf.classify_file(Path({str(source)!r}), Path({str(target)!r}))\n"
            "total = time.perf_counter() - start\n"
            "peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024\n"
            "print(f'{s.rows} {s.distinct} {total:.2f} {s.seconds:.2f} {peak:.0f}')\n"
        )
        out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True).stdout.split()
        rows, distinct, total, run, peak = int(out[0]), int(out[1]), float(out[2]), float(out[3]), float(out[4])
        print(f"end to end (load + CSV in + classify + CSV out): {total:.1f} s, {rows / total:,.0f} records/s")
        print(f"classification run alone: {run:.1f} s, {rows / run:,.0f} records/s, {distinct:,} distinct decided")
        print(f"peak memory: {peak:,.0f} MB (max RSS of the classifying process)")
    print(
        f"distinct unseen names (held-out split) through the full text path: {unseen_names_rate(args.model):,.0f} names/s"
    )
    print(
        f"process start to first result (greentrade classify --text, median of 3): {first_result_seconds(args.model):.2f} s"
    )


if __name__ == "__main__":
    main()
