"""A real `greentrade serve` on loopback: started, used, killed mid-batch and restarted by the test."""

from __future__ import annotations

import csv
import os
import random
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from classifier.store import Store
from classifier.tokens import create_token

pytestmark = pytest.mark.slow


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    def __init__(self, data_dir: Path, model: Path, *, stderr=subprocess.PIPE) -> None:
        """``stderr``: where the server's log goes; pass a file when the test makes many requests,
        or the unread pipe fills and the server blocks."""
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {
            **os.environ,
            "GREENTRADE_DATA_DIR": str(data_dir),
            "GREENTRADE_MODEL_PATH": str(model),
            "GREENTRADE_BATCH_STALE_SECONDS": "2",
        }
        self.stderr = stderr
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        exe = Path(sys.executable).with_name("greentrade")
        self.process = subprocess.Popen(
            [str(exe), "serve", "--port", str(self.port)],
            env=self.env,
            stdout=subprocess.DEVNULL,
            stderr=self.stderr,
        )
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{self.url}/readyz", timeout=1).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.3)
        self.stop()
        raise AssertionError("server did not become ready")

    def kill(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.kill()


@pytest.fixture
def server(tmp_path, small_model):
    data = tmp_path / "data"
    token = create_token(Store.open(f"sqlite:///{data / 'greentrade.db'}"), "live test", "admin").secret
    srv = Server(data, small_model)
    srv.start()
    yield srv, {"Authorization": f"Bearer {token}"}
    srv.stop()


def _big_batch(path: Path, rows: int, catalogue) -> None:
    """Distinct two-name lines, so that deduplication cannot shorten the run."""
    rng = random.Random(3)
    names = [n.name_zh for n in catalogue.subheadings() if n.name_zh]
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["商品名称"])
        for _ in range(rows):
            writer.writerow([f"{rng.choice(names)} {rng.choice(names)}"])


def test_classify_and_lookup_over_http(server):
    srv, headers = server
    answer = httpx.post(
        f"{srv.url}/v1/classify", json={"商品名称": "组串式光伏逆变器", "商品编码": "85044014"}, headers=headers
    )
    assert answer.status_code == 200 and answer.json()["records"][0]["category"] == "CES"
    assert httpx.get(f"{srv.url}/v1/hs/854143", headers=headers).json()["coverage"] == "full"
    assert httpx.get(f"{srv.url}/v1/hs/854143").status_code == 401


def test_killed_server_resumes_the_batch_after_restart(server, tmp_path, catalogue):
    srv, headers = server
    source = tmp_path / "big.csv"
    _big_batch(source, 60_000, catalogue)
    with source.open("rb") as fh:
        job = httpx.post(f"{srv.url}/v1/batches", files={"file": ("big.csv", fh)}, headers=headers, timeout=60).json()
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        state = httpx.get(f"{srv.url}/v1/batches/{job['id']}", headers=headers).json()
        if state["state"] == "running":
            time.sleep(1.0)  # well inside the run: a first chunk is being classified
            break
        assert state["state"] != "done", "the batch finished before the kill; make it bigger"
        time.sleep(0.2)
    srv.kill()
    folder = tmp_path / "data" / "batches" / job["id"]
    assert not (folder / "result.parquet").exists()  # nothing half-written at the result's path

    srv.start()
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        state = httpx.get(f"{srv.url}/v1/batches/{job['id']}", headers=headers).json()
        if state["state"] in ("done", "failed"):
            break
        time.sleep(0.5)
    assert state["state"] == "done", state
    assert state["attempts"] == 2 and state["rows_done"] == 60_000
    result = httpx.get(f"{srv.url}/v1/batches/{job['id']}/result?format=csv", headers=headers, timeout=60)
    assert result.status_code == 200 and result.text.count("\n") == 60_001
    assert not list(folder.glob(".*.tmp"))
