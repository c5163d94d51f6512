"""How long the catalogue takes to load, look up and search (medians over repeated runs).

    python benchmarks/bench_catalogue_load.py [--repeat 15]

Prints the median and spread of a cold load of every catalogue file, lookups per second over every
subheading, searches per second over a fixed set of Chinese and English queries, and peak memory.
"""

from __future__ import annotations

import argparse
import resource
import statistics
import time

from classifier.catalogue import load_catalogue

QUERIES = [
    "光伏逆变器",
    "锂离子蓄电池",
    "热泵",
    "钢铁废碎料",
    "heat pump",
    "wind turbine",
    "LED lamp",
    "碳纤维",
    "可降解塑料袋",
    "充电桩",
]


def _timed(fn, repeat: int) -> list[float]:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=15)
    args = parser.parse_args()

    loads = _timed(load_catalogue, args.repeat)
    cat = load_catalogue()
    codes = [n.code for n in cat.subheadings()]
    lookups = _timed(lambda: [cat.lookup(c) for c in codes], 5)
    cat.search("warm-up")  # builds the search index once, as a long-running process would
    searches = _timed(lambda: [cat.search(q) for q in QUERIES], 5)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    print(
        f"catalogue load:  median {statistics.median(loads) * 1000:.0f} ms "
        f"(min {min(loads) * 1000:.0f}, max {max(loads) * 1000:.0f}, n={args.repeat}); "
        f"{len(cat.nodes)} codes, {sum(map(len, cat.mappings.values()))} mappings, "
        f"{sum(map(len, cat.flags.values()))} flags, {sum(map(len, cat.lists.values()))} list memberships"
    )
    print(f"lookup:          {len(codes) / statistics.median(lookups):,.0f} lookups/s over {len(codes)} subheadings")
    print(
        f"search:          {len(QUERIES) / statistics.median(searches):,.0f} queries/s (exact + fuzzy, {len(QUERIES)} queries)"
    )
    print(f"peak memory:     {peak_mb:.0f} MB (max RSS of the process)")


if __name__ == "__main__":
    main()
