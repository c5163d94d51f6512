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
