"""The model: a scikit-learn-conformant retriever, and a file that is refused if its hash is wrong."""

from __future__ import annotations

import json

import joblib
import numpy as np
import pytest
from sklearn.utils.estimator_checks import parametrize_with_checks

from classifier.errors import ModelError
from classifier.model import TextRetrievalClassifier, card_path, load_model, sha256_file

# This check fits on make_blobs data with negative values, which a cosine retriever rejects by design.
_EXPECTED_FAILURES = {"check_decision_proba_consistency": "fits on negative features, which the retriever refuses"}


@parametrize_with_checks([TextRetrievalClassifier()], expected_failed_checks=lambda _: _EXPECTED_FAILURES)
def test_retriever_follows_the_estimator_contract(estimator, check):
    check(estimator)


def test_retriever_prefers_the_closest_class():
    X = np.array([[1.0, 0, 0], [0, 1.0, 0], [0, 0, 1.0], [0.9, 0.1, 0]])
    clf = TextRetrievalClassifier().fit(X, ["a", "b", "c", "a"])
    top = clf.top_k(np.array([[0.95, 0.05, 0]]), k=2)[0]
    assert [c for c, _ in top] == ["a", "b"]
    assert 0 < top[1][1] < top[0][1] <= 1


def test_card_records_the_hash_and_training_data(small_model):
    card = json.loads(card_path(small_model).read_text(encoding="utf-8"))
    assert card["file"] == small_model.name
    assert card["sha256"] == sha256_file(small_model)
    assert card["training_data"]["texts"] > 10000
    assert {"hs6_top1", "hs6_top3", "hs4_top1", "hs4_top3"} <= set(card["metrics"]["hs_suggestions"])
    assert card["libraries"]["scikit-learn"]


def test_model_with_a_wrong_hash_is_refused_without_unpickling(small_model, tmp_path, monkeypatch):
    tampered = tmp_path / "model.joblib"
    tampered.write_bytes(small_model.read_bytes() + b"\0")
    card_path(tampered).write_text(card_path(small_model).read_text(encoding="utf-8"), encoding="utf-8")

    def never(*args, **kwargs):
        raise AssertionError("joblib.load must not run on an unverified file")

    monkeypatch.setattr(joblib, "load", never)
    with pytest.raises(ModelError, match="does not match its card"):
        load_model(tampered)


def test_model_without_a_card_is_refused(small_model, tmp_path):
    lone = tmp_path / "model.joblib"
    lone.write_bytes(small_model.read_bytes())
    with pytest.raises(ModelError, match="no model card"):
        load_model(lone)


def test_missing_model_says_how_to_make_one(tmp_path):
    with pytest.raises(ModelError, match="run `greentrade train`"):
        load_model(tmp_path / "none.joblib")
