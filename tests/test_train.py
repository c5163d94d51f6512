"""Training is deterministic to the byte: the same data gives the same file, whatever the process."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

SCRIPT = """
import sys
from pathlib import Path
from classifier.catalogue import load_catalogue
from classifier.lexicon import Lexicon, load_lexicon
from classifier.train import train
lexicon = Lexicon({c: t for c, t in load_lexicon().terms.items() if c[:2] == "87"})
print(train(load_catalogue(), lexicon, Path(sys.argv[1]))["sha256"])
"""


@pytest.mark.slow
def test_two_trainings_give_the_same_file(tmp_path):
    hashes = []
    for seed in ("3", "4"):  # different string hashing, as two separate runs would have
        env = {**os.environ, "PYTHONHASHSEED": seed}
        out = subprocess.run(
            [sys.executable, "-c", SCRIPT, str(tmp_path / seed / "model.joblib")],
            env=env,
            capture_output=True,
            text=True,
            check=True,
        )
        hashes.append(out.stdout.split()[-1])
    assert hashes[0] == hashes[1]


@pytest.mark.slow
def test_curators_decisions_become_training_data_and_the_card_counts_them(tmp_path, catalogue):
    from classifier.curation import Actor, add_entry, decide, decision_texts
    from classifier.lexicon import Lexicon, load_lexicon
    from classifier.model import load_model
    from classifier.store import Store
    from classifier.train import train

    store = Store.open("sqlite://")
    accepted = add_entry(store, code="87038000", product_name="纯电动轿车 智驾版", category="NEV", coverage="full",
                         example_names='["纯电动轿车 智驾版", "纯电动SUV 四驱"]')  # fmt: skip
    rejected = add_entry(store, code="87089990", product_name="汽车装饰条", category="NEV", coverage="ex")
    add_entry(store, code="87149100", product_name="自行车车架", category="NEV", coverage="ex")  # undecided
    decide(store, accepted.id, action="accept", version=1, rationale="纯电动乘用车", actor=Actor("王审核"))
    decide(store, rejected.id, action="reject", version=1, rationale="普通汽车零件", actor=Actor("王审核"))

    texts = decision_texts(store)
    assert {(t.text, t.category) for t in texts} == {
        ("纯电动轿车 智驾版", "NEV"), ("纯电动SUV 四驱", "NEV"), ("汽车装饰条", "NONE"),
    }  # fmt: skip
    assert {t.source for t in texts} == {"decision"} and {t.split for t in texts} == {"train"}

    lexicon = Lexicon({c: t for c, t in load_lexicon().terms.items() if c[:2] == "87"})
    card = train(catalogue, lexicon, tmp_path / "model.joblib", extra=texts)
    assert card["training_data"]["decisions"] == 3
    assert load_model(tmp_path / "model.joblib")[1]["training_data"]["by_source"]["decision"] == 3
