"""Curators against a real `greentrade serve`: concurrent decisions, a SIGKILL mid-write, a restart.

The properties checked in the database itself: an entry's version is 1 + its decisions, the
decisions of an entry follow one another version by version, and each has exactly one audit event.
"""

from __future__ import annotations

import random
import sqlite3
import threading
import time
from collections import Counter
from contextlib import closing
from pathlib import Path

import httpx
import pytest

from classifier.curation import Actor, add_entry
from classifier.store import Store
from classifier.tokens import create_token
from tests.test_api_live import Server

pytestmark = pytest.mark.slow

BASE = "/v1/curation"
ENTRIES = 40
THREADS = 4


@pytest.fixture
def live(tmp_path, small_model):
    """(server, database file, headers by curator name, entry ids): 40 candidates, two curators."""
    data = tmp_path / "data"
    db = data / "greentrade.db"
    store = Store.open(f"sqlite:///{db}")
    headers = {
        name: {"Authorization": f"Bearer {create_token(store, name, 'curator').secret}"}
        for name in ("甲审核", "乙审核")
    }
    ids = [
        add_entry(
            store, code=f"850440{i:02d}", product_name="组串式光伏逆变器", category="CES", coverage="ex",
            actor=Actor("draft"),
        ).id
        for i in range(ENTRIES)
    ]  # fmt: skip
    store.engine.dispose()
    with (tmp_path / "server.log").open("ab") as log:
        srv = Server(data, small_model, stderr=log)
        srv.start()
        yield srv, db, headers, ids
        srv.stop()


def _check_consistent(db: Path) -> int:
    """Assert the curation tables agree with one another; returns the number of decisions."""
    with closing(sqlite3.connect(db)) as conn:
        versions = conn.execute(
            "SELECT e.id, e.version, count(d.id) FROM catalogue_entries e "
            "LEFT JOIN decisions d ON d.entry_id = e.id GROUP BY e.id HAVING e.version != 1 + count(d.id)"
        ).fetchall()
        assert versions == [], "entries whose version is not 1 + their decisions (id, version, decisions)"
        unchained = conn.execute(
            "SELECT d.id, d.version_before, d.version_after FROM decisions d WHERE d.version_after != "
            "d.version_before + 1 OR d.version_before != 1 + "
            "(SELECT count(*) FROM decisions p WHERE p.entry_id = d.entry_id AND p.id < d.id)"
        ).fetchall()
        assert unchained == [], "decisions that do not follow the entry's previous one"
        audits = conn.execute(
            "SELECT d.id, count(a.id) FROM decisions d LEFT JOIN audit_log a ON a.action = 'entry.decide' "
            "AND a.entity_id = CAST(d.entry_id AS TEXT) AND json_extract(a.details, '$.version') = d.version_after "
            "AND a.actor = d.actor GROUP BY d.id HAVING count(a.id) != 1"
        ).fetchall()
        assert audits == [], "decisions without exactly one entry.decide audit event (decision, events)"
        decisions = conn.execute("SELECT count(*) FROM decisions").fetchone()[0]
        events = conn.execute("SELECT count(*) FROM audit_log WHERE action = 'entry.decide'").fetchone()[0]
        assert events == decisions
        return decisions


def _committed(db: Path) -> set[tuple[int, int]]:
    with closing(sqlite3.connect(db)) as conn:
        return set(conn.execute("SELECT entry_id, version_after FROM decisions"))


class Curator(threading.Thread):
    """Reads a random entry and decides on the version it just read, until told to stop."""

    def __init__(self, url: str, headers: dict[str, str], ids: list[int], seed: int, stop: threading.Event) -> None:
        super().__init__(daemon=True)
        self.url, self.headers, self.ids, self.stop = url, headers, ids, stop
        self.rng = random.Random(seed)
        self.seed = seed
        self.statuses: Counter[int | str] = Counter()
        self.confirmed: set[tuple[int, int]] = set()  # (entry, version after) the server said 200 to

    def run(self) -> None:
        with httpx.Client(base_url=self.url, headers=self.headers, timeout=30) as client:
            n = 0
            while not self.stop.is_set():
                # Half the picks among a few entries, so curators do collide.
                entry_id = self.rng.choice(self.ids[:4] if self.rng.random() < 0.5 else self.ids)
                n += 1
                try:
                    version = client.get(f"{BASE}/entries/{entry_id}").json()["version"]
                    body = (
                        {"action": "accept", "version": version, "rationale": f"线程{self.seed}第{n}次：清洁能源装备"}
                        if self.rng.random() < 0.5
                        else {"action": "edit", "version": version, "rationale": f"线程{self.seed}第{n}次",
                              "changes": {"remarks": f"t{self.seed}-{n}", "keywords": ["光伏逆变器", f"k{n}"]}}
                    )  # fmt: skip
                    answer = client.post(f"{BASE}/entries/{entry_id}/decisions", json=body)
                except httpx.TransportError:
                    self.statuses["transport"] += 1
                    time.sleep(0.05)
                    continue
                self.statuses[answer.status_code] += 1
                if answer.status_code == 200:
                    self.confirmed.add((entry_id, answer.json()["version"]))
                elif answer.status_code == 409 and answer.json()["detail"]["current"]["version"] <= version:
                    self.statuses["409 without a newer version"] += 1


def test_concurrent_decisions_survive_a_kill(live):
    srv, db, headers, ids = live
    stop = threading.Event()
    curators = [Curator(srv.url, headers["甲审核"], ids, seed, stop) for seed in range(THREADS)]
    for curator in curators:
        curator.start()
    time.sleep(2.0)
    srv.kill()  # while the curators are posting
    time.sleep(0.3)
    stop.set()
    for curator in curators:
        curator.join(timeout=60)
        assert not curator.is_alive()
    statuses = sum((c.statuses for c in curators), Counter())
    assert set(statuses) <= {200, 409, "transport"}, statuses
    assert statuses[200] >= 20 and statuses[409] >= 1, statuses

    decisions = _check_consistent(db)
    confirmed = set().union(*(c.confirmed for c in curators))
    assert confirmed <= _committed(db), "a decision answered 200 was lost"
    assert len(confirmed) <= decisions <= len(confirmed) + THREADS  # at most the ones in flight at the kill

    srv.start()
    with httpx.Client(base_url=srv.url, headers=headers["乙审核"], timeout=30) as client:
        entry = client.get(f"{BASE}/entries/{ids[0]}").json()
        body = {"action": "edit", "version": entry["version"], "rationale": "重启后", "changes": {"remarks": "重启后"}}
        answer = client.post(f"{BASE}/entries/{ids[0]}/decisions", json=body)
        assert answer.status_code == 200, answer.text
        assert answer.json()["version"] == entry["version"] + 1 and answer.json()["updated_by"] == "乙审核"
        detail = client.get(f"{BASE}/entries/{ids[0]}").json()
        assert detail["remarks"] == "重启后" and detail["decisions"][0]["rationale"] == "重启后"
    assert _check_consistent(db) == decisions + 1


def test_two_curators_on_one_version(live):
    srv, db, headers, ids = live
    clients = {name: httpx.Client(base_url=srv.url, headers=h, timeout=30) for name, h in headers.items()}
    try:
        for entry_id in ids[:10]:
            versions = {name: c.get(f"{BASE}/entries/{entry_id}").json()["version"] for name, c in clients.items()}
            assert len(set(versions.values())) == 1
            version = versions["甲审核"]
            barrier = threading.Barrier(len(clients))
            answers: dict[str, httpx.Response] = {}

            def post(name: str, version: int = version, entry_id: int = entry_id, barrier=barrier, answers=answers):
                body = {
                    "action": "edit",
                    "version": version,
                    "rationale": f"{name}的意见",
                    "changes": {"remarks": name},
                }
                barrier.wait()
                answers[name] = clients[name].post(f"{BASE}/entries/{entry_id}/decisions", json=body)

            threads = [threading.Thread(target=post, args=(name,)) for name in clients]
            for t in threads:
                t.start()
            for t in threads:
                t.join(timeout=30)
            codes = sorted(a.status_code for a in answers.values())
            assert codes == [200, 409], {n: a.text for n, a in answers.items()}
            winner = next(n for n, a in answers.items() if a.status_code == 200)
            loser = answers[next(n for n in answers if n != winner)].json()
            assert loser["detail"]["current"]["version"] == version + 1
            assert loser["detail"]["current"]["remarks"] == winner
            assert loser["detail"]["current"]["updated_by"] == winner
            now = clients[winner].get(f"{BASE}/entries/{entry_id}").json()
            assert (now["version"], now["remarks"], now["updated_by"]) == (version + 1, winner, winner)
            assert [(d["actor"], d["rationale"]) for d in now["decisions"]] == [(winner, f"{winner}的意见")]
    finally:
        for c in clients.values():
            c.close()
    assert _check_consistent(db) == 10
