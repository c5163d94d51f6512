"""Load the HTTP API the way the statistics platform would, and time a batch against the CLI.

    python benchmarks/bench_api.py [--clients 50] [--requests 5000] [--batch-rows 100000]

Starts `greentrade serve --workers 2` on a free loopback port with a fresh data directory, then, from
a second process: (1) single-record POST /v1/classify from ``--clients`` concurrent clients (records
drawn from the lexicon, so repeats occur as in real traffic), printing requests/s and p50/p99
latency, for 1 and 8 clients too; the load comes from `wrk` (Debian package) when it is installed,
which leaves the two cores to the server, else from a Python (httpx) driver, which competes for
them; (2) a ``--batch-rows`` upload through /v1/batches until done, against `greentrade classify`
on the same file.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))

from bench_classify import make_batch  # noqa: E402


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def _drive(url: str, token: str, records: list[dict[str, str]], clients: int, total: int) -> list[float]:
    latencies: list[float] = []
    queue = iter(range(total))
    headers = {"Authorization": f"Bearer {token}"}
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)

    async def client(http: httpx.AsyncClient) -> None:
        for i in queue:
            start = time.perf_counter()
            response = await http.post(f"{url}/v1/classify", json=records[i % len(records)], headers=headers)
            latencies.append(time.perf_counter() - start)
            response.raise_for_status()

    async with httpx.AsyncClient(limits=limits, timeout=30) as http:
        await asyncio.gather(*(client(http) for _ in range(clients)))
    return latencies


_WRK_SCRIPT = """
local bodies = {}
for line in io.lines("%s") do bodies[#bodies + 1] = line end
local i = 0
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer %s"
request = function()
  i = i %% #bodies + 1
  return wrk.format(nil, "/v1/classify", nil, bodies[i])
end
done = function(summary, latency, requests)
  io.write(string.format("RESULT %%d %%f %%f %%f\\n", summary.requests, summary.duration / 1e6,
    latency:percentile(50) / 1000, latency:percentile(99) / 1000))
end
"""


def _wrk(url: str, token: str, records: list[dict[str, str]], clients: int, seconds: int, tmp: Path) -> str:
    import json

    bodies = tmp / "bodies.jsonl"
    bodies.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in records), encoding="utf-8")
    script = tmp / "classify.lua"
    script.write_text(_WRK_SCRIPT % (bodies, token), encoding="utf-8")
    out = subprocess.run(
        ["wrk", "-t", "1", "-c", str(clients), "-d", f"{seconds}s", "-s", str(script), url],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    count, duration, p50, p99 = out.split("RESULT ")[1].split()
    return f"{int(count) / float(duration):,.0f} requests/s, p50 {float(p50):.1f} ms, p99 {float(p99):.1f} ms (wrk)"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--requests", type=int, default=5000)
    parser.add_argument("--batch-rows", type=int, default=100_000)
    args = parser.parse_args()
    from classifier.lexicon import load_lexicon
    from classifier.store import Store
    from classifier.tokens import create_token

    rng = random.Random(5)
    lex = load_lexicon()
    pool = [(code, t.term) for code, terms in lex.terms.items() for t in terms if t.kind == "name"]
    records = [{"商品编码": code + "00", "商品名称": name} for code, name in rng.sample(pool, 2000)]

    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "data"
        token = create_token(Store.open(f"sqlite:///{data / 'greentrade.db'}"), "bench", "analyst").secret
        port = _free_port()
        url = f"http://127.0.0.1:{port}"
        env = {**os.environ, "GREENTRADE_DATA_DIR": str(data)}
        exe = str(Path(sys.executable).with_name("greentrade"))
        server = subprocess.Popen(
            [exe, "serve", "--port", str(port), "--workers", "2"], env=env, stderr=subprocess.DEVNULL
        )
        try:
            deadline = time.monotonic() + 120
            ready = 0
            while ready < 4 and time.monotonic() < deadline:  # both workers answer
                try:
                    ready += httpx.get(f"{url}/readyz", timeout=1).status_code == 200
                except httpx.TransportError:
                    time.sleep(0.5)
            asyncio.run(_drive(url, token, records, args.clients, 500))  # warm-up
            for clients in sorted({1, 8, args.clients}):
                if shutil.which("wrk"):
                    figures = _wrk(url, token, records, clients, 10, Path(tmp))
                else:
                    start = time.perf_counter()
                    latencies = sorted(asyncio.run(_drive(url, token, records, clients, args.requests)))
                    elapsed = time.perf_counter() - start
                    p50 = statistics.median(latencies) * 1000
                    p99 = latencies[int(len(latencies) * 0.99) - 1] * 1000
                    figures = f"{args.requests / elapsed:,.0f} requests/s, p50 {p50:.1f} ms, p99 {p99:.1f} ms (httpx)"
                print(f"single-record classify, {clients} clients, 2 workers: {figures}")

            source = Path(tmp) / "batch.csv"
            make_batch(source, args.batch_rows, max(args.batch_rows // 15, 1000))
            start = time.perf_counter()
            with source.open("rb") as fh:
                job = httpx.post(f"{url}/v1/batches", files={"file": ("batch.csv", fh)},
                                 headers={"Authorization": f"Bearer {token}"}, timeout=300).json()  # fmt: skip
            while job["state"] not in ("done", "failed"):
                time.sleep(0.2)
                job = httpx.get(f"{url}/v1/batches/{job['id']}", headers={"Authorization": f"Bearer {token}"}).json()
            api_seconds = time.perf_counter() - start
        finally:
            server.terminate()
            server.wait(timeout=30)
        start = time.perf_counter()
        subprocess.run(
            [exe, "classify", str(source), "-o", str(Path(tmp) / "cli.csv")], env=env, check=True, capture_output=True
        )
        cli_seconds = time.perf_counter() - start
        print(f"{args.batch_rows:,}-row batch: API upload to done {api_seconds:.1f} s ({job['state']}), "
              f"CLI {cli_seconds:.1f} s, ratio {api_seconds / cli_seconds:.2f}")  # fmt: skip


if __name__ == "__main__":
    main()
