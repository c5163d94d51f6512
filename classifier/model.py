"""The trained model: green category from text, and HS 2022 subheading suggestions from text.

One scikit-learn feature union turns a record's text into TF-IDF features (character 2-3-grams
inside words, and words and word pairs after jieba segmentation); on it sit

- ``category``: a logistic regression over the eight categories of SPEC section 1;
- ``hs``: :class:`TextRetrievalClassifier`, which scores each subheading by the most similar of its
  training texts (nearest neighbours) blended with the similarity to its centroid, so cost does not
  grow with the number of classes the way one-vs-rest models do;
- ``calibrator``: isotonic regressions that turn the fused decision's raw score into a calibrated
  confidence (fitted on a split the model had not seen).

The jieba tokenizer cannot be pickled, so text is segmented before vectorising (:func:`model_text`)
and the model stores only the list of user words, from which the process rebuilds its segmenter.

A saved model is a joblib file plus a card (``<file>.card.json``) with the training data, features,
metrics, library versions and the file's SHA-256. :func:`load_model` refuses, without unpickling,
a file whose hash does not match its card.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import joblib
import numpy as np
import scipy.sparse as sp
from rapidfuzz import fuzz, process
from sklearn import config_context
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.pipeline import FeatureUnion
from sklearn.preprocessing import normalize
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, check_non_negative, validate_data

from classifier.errors import ModelError
from classifier.normalise import NormalisedText
from classifier.segment import Segmenter

MODEL_FORMAT = 1
_DIGITS = re.compile(r"\d+(?:\.\d+)?")


def spec_shape(spec: str) -> str:
    """A spec's shape without its numbers: units and model patterns generalise, values don't.

    >>> [spec_shape(s) for s in ("550w", "48v", "lr5-72hph", "18650")]
    ['#w', '#v', 'lr#-#hph', '#']
    """
    return _DIGITS.sub("#", spec)


def model_text(normalised: NormalisedText, segmenter: Segmenter) -> str:
    """The text the model sees: segmented product words, then spec shapes.

    >>> from classifier.normalise import normalise
    >>> model_text(normalise("光伏组件 550W"), Segmenter(["光伏组件"]))
    '光伏组件 #w'
    """
    words = segmenter.cut(normalised.words)
    return " ".join(words + [spec_shape(s) for s in normalised.specs])


def make_featurizer() -> FeatureUnion:
    """TF-IDF of character 2-3-grams within words and of word uni- and bigrams."""
    return FeatureUnion(
        [
            (
                "chars",
                TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 3), sublinear_tf=True, min_df=2, dtype=np.float32),
            ),
            (
                "words",
                TfidfVectorizer(
                    analyzer="word", token_pattern=r"\S+", ngram_range=(1, 2), sublinear_tf=True, dtype=np.float32
                ),
            ),
        ]
    )


class TextRetrievalClassifier(ClassifierMixin, BaseEstimator):
    """Score classes by their most similar training rows, blended with class-centroid similarity.

    A class's score for a query is ``knn_weight * (best cosine similarity among the class's
    training rows) + (1 - knn_weight) * (cosine similarity to the class centroid)``, in [0, 1] for
    non-negative features such as TF-IDF. The neighbour search is an inverted index over the
    telling features only: features found in more than ``max_df`` training rows (common characters
    and words) are left out of it, and each query uses its ``query_features`` heaviest remaining
    features. A query then touches a few hundred training rows instead of most of them, so its cost
    stays flat as the lexicon grows; the centroid term still sees every feature.

    Parameters
    ----------
    knn_weight : float
        Weight of the nearest-neighbour score against the centroid score.
    query_features : int
        Features of each query used for the neighbour search.
    max_df : int
        Features in more training rows than this are left out of the neighbour index.
    centroid_max_df : int
        Features in more class centroids than this are left out of the centroid term (they say
        little about the class and cost the most).
    batch_size : int
        Query rows per sparse product, to bound memory.

    >>> clf = TextRetrievalClassifier().fit(np.array([[1.0, 0], [0, 1.0], [0.9, 0.1]]), ["a", "b", "a"])
    >>> clf.predict(np.array([[1.0, 0.2]]))
    array(['a'], dtype='<U1')
    >>> clf.top_k(np.array([[1.0, 0.2]]), k=2)
    [[('a', 0.99...), ('b', 0.19...)]]
    """

    def __init__(
        self,
        knn_weight: float = 0.5,
        query_features: int = 16,
        max_df: int = 300,
        centroid_max_df: int = 500,
        batch_size: int = 2000,
    ) -> None:
        self.knn_weight = knn_weight
        self.query_features = query_features
        self.max_df = max_df
        self.centroid_max_df = centroid_max_df
        self.batch_size = batch_size

    def fit(self, X: Any, y: Any) -> TextRetrievalClassifier:
        X, y = validate_data(self, X, y, accept_sparse="csr", dtype=np.float64)
        check_non_negative(X, "TextRetrievalClassifier (it needs features such as TF-IDF)")
        check_classification_targets(y)
        self.classes_, y_idx = np.unique(y, return_inverse=True)
        # Rows sorted by class: in a query's sorted neighbour list, each class is one contiguous run.
        order = np.argsort(y_idx, kind="stable")
        rows = normalize(sp.csr_matrix(X, dtype=np.float32)[order])
        self.row_class_ = y_idx[order].astype(np.int64)
        membership = sp.csr_matrix(
            (np.ones(len(order), dtype=np.float32), (self.row_class_, np.arange(len(order)))),
            shape=(len(self.classes_), len(order)),
        )
        centroids = normalize(membership @ rows)
        class_frequency = np.bincount(centroids.indices, minlength=centroids.shape[1])
        # Both matrices are only ever used transposed (queries @ matrix.T): store them that way, so
        # that no product pays for a transposition.
        self.centroids_t_ = _masked(centroids, (class_frequency <= self.centroid_max_df).astype(np.float32)).T.tocsr()
        document_frequency = np.bincount(rows.indices, minlength=rows.shape[1])
        self.index_features_ = (document_frequency <= self.max_df).astype(np.float32)
        self.rows_t_ = _masked(rows, self.index_features_).T.tocsr()
        return self

    def _scores(self, X: Any, *, validate: bool = True) -> np.ndarray:
        """Dense class scores, shape (n_rows, n_classes); ``validate=False`` trusts a CSR input."""
        check_is_fitted(self)
        if validate:
            X = validate_data(self, X, accept_sparse="csr", dtype=np.float32, reset=False)
        X = normalize(sp.csr_matrix(X, dtype=np.float32))
        out = np.empty((X.shape[0], len(self.classes_)), dtype=np.float32)
        for start in range(0, X.shape[0], self.batch_size):
            block = X[start : start + self.batch_size]
            out[start : start + block.shape[0]] = self._block_scores(block)
        return out

    def _block_scores(self, X: sp.csr_matrix) -> np.ndarray:
        n, n_classes = X.shape[0], len(self.classes_)
        # A query shares some n-gram with most centroids: the centroid term is dense anyway.
        scores = (X @ self.centroids_t_).toarray()
        scores *= 1 - self.knn_weight
        query = _heaviest(_masked(X, self.index_features_), self.query_features)
        sims = (query @ self.rows_t_).tocsr()
        sims.sort_indices()
        row = np.repeat(np.arange(n, dtype=np.int64), np.diff(sims.indptr))
        key = row * n_classes + self.row_class_[sims.indices]
        if len(key):
            starts = np.flatnonzero(np.r_[True, key[1:] != key[:-1]])
            best = np.maximum.reduceat(sims.data, starts)
            scores[key[starts] // n_classes, key[starts] % n_classes] += self.knn_weight * best
        return scores

    def decision_function(self, X: Any) -> np.ndarray:
        """Class scores in [0, 1], shape (n_rows, n_classes); for two classes, score(1) - score(0)."""
        scores = self._scores(X)
        return scores[:, 1] - scores[:, 0] if len(self.classes_) == 2 else scores

    def predict_proba(self, X: Any) -> np.ndarray:
        """Scores normalised to sum to one per row (uniform where nothing matched)."""
        scores = self._scores(X).astype(np.float64)
        totals = scores.sum(axis=1, keepdims=True)
        uniform = np.full_like(scores, 1.0 / scores.shape[1])
        return np.where(totals > 0, scores / np.where(totals > 0, totals, 1), uniform)

    def predict(self, X: Any) -> np.ndarray:
        scores = self._scores(X)
        return self.classes_[np.argmax(scores, axis=1)]

    def top_k(self, X: Any, k: int = 3) -> list[list[tuple[str, float]]]:
        """The ``k`` best classes with a positive score for each row, best first."""
        out: list[list[tuple[str, float]]] = []
        trusted = sp.issparse(X) and X.shape[1] == self.n_features_in_
        X = sp.csr_matrix(X) if sp.issparse(X) else X
        for start in range(0, X.shape[0], self.batch_size):
            scores = self._scores(X[start : start + self.batch_size], validate=not trusted)
            rows = np.arange(scores.shape[0])
            picks = []
            for _ in range(min(k, scores.shape[1])):  # k argmax passes beat one argpartition for small k
                best = scores.argmax(axis=1)
                picks.append((best, scores[rows, best].copy()))
                scores[rows, best] = -1.0
            top = np.stack([p[0] for p in picks], axis=1)
            top_scores = np.stack([p[1] for p in picks], axis=1)
            names = self.classes_[top]
            out.extend(
                [(str(c), float(v)) for c, v in zip(row_names, row_scores, strict=True) if v > 0]
                for row_names, row_scores in zip(names, top_scores, strict=True)
            )
        return out

    def __sklearn_tags__(self):  # type: ignore[no-untyped-def]
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        tags.input_tags.positive_only = True
        # Cosine similarity ignores magnitude, so the dense low-dimensional blobs of scikit-learn's
        # generic accuracy check are not its ground; on text features it is the point.
        tags.classifier_tags.poor_score = True
        return tags


def _masked(X: sp.csr_matrix, keep: np.ndarray) -> sp.csr_matrix:
    """X with the columns where ``keep`` is 0 removed from its stored entries (O(nnz), no dense step)."""
    out = sp.csr_matrix(X, dtype=np.float32, copy=True)
    out.data *= keep[out.indices]
    out.eliminate_zeros()
    return out


def _heaviest(X: sp.csr_matrix, keep: int) -> sp.csr_matrix:
    """Keep each row's ``keep`` largest values (ties may keep a few more)."""
    lengths = np.diff(X.indptr)
    if lengths.max(initial=0) <= keep:
        return X
    data = X.data.copy()
    for i in np.flatnonzero(lengths > keep):
        segment = data[X.indptr[i] : X.indptr[i + 1]]
        threshold = np.partition(segment, len(segment) - keep)[len(segment) - keep]
        segment[segment < threshold] = 0
    pruned = sp.csr_matrix((data, X.indices, X.indptr), shape=X.shape)
    pruned.eliminate_zeros()
    return pruned


RERANK_CANDIDATES = 6
RERANK_WEIGHT = 0.2


@dataclass
class GreenModel:
    """Everything one classification run needs from training, saved as one joblib file."""

    featurizer: FeatureUnion
    category: Any
    hs: TextRetrievalClassifier
    user_words: tuple[str, ...]
    names: dict[str, str] = field(default_factory=dict)
    """Per subheading, the trained names (official, lexicon, keywords) in match form, one per line:
    one string per code unpickles far faster than tens of thousands of small ones."""
    calibrator: dict[str, Any] = field(default_factory=dict)
    format: int = MODEL_FORMAT
    _split: dict[str, list[str]] = field(default_factory=dict, repr=False, compare=False)

    def __getstate__(self) -> dict[str, Any]:
        state = self.__dict__.copy()
        state["_split"] = {}  # a per-process cache, not part of the model
        return state

    def names_of(self, code: str) -> list[str]:
        """The trained names of a subheading, split on first use."""
        if code not in self._split:
            self._split[code] = self.names[code].split("\n") if code in self.names else []
        return self._split[code]

    def features(self, texts: list[str]) -> sp.csr_matrix:
        """The feature union's transform, without its parallel dispatch (a few records at a time
        is the API's common case, and the dispatch would cost more than the work)."""
        with config_context(assume_finite=True, skip_parameter_validation=True):
            blocks = [transformer.transform(texts) for _, transformer in self.featurizer.transformer_list]
        return sp.hstack(blocks, format="csr", dtype=np.float32)

    def suggest(self, X: sp.csr_matrix, texts: list[str], k: int = 3) -> list[list[tuple[str, float]]]:
        """HS suggestions: the retriever's best candidates, re-ranked with rapidfuzz.

        The retriever proposes :data:`RERANK_CANDIDATES` subheadings; each is re-scored with the
        rapidfuzz similarity of the record's text (``texts``, in match form) to its closest trained
        name, blended in with weight :data:`RERANK_WEIGHT`. Scores stay in [0, 1].
        """
        out = []
        for text, candidates in zip(texts, self.hs.top_k(X, max(k, RERANK_CANDIDATES)), strict=True):
            rescored = []
            for code, score in candidates:
                found = process.extractOne(text, self.names_of(code), scorer=fuzz.ratio) if text else None
                similarity = found[1] / 100 if found else 0.0
                rescored.append((code, (1 - RERANK_WEIGHT) * score + RERANK_WEIGHT * similarity))
            rescored.sort(key=lambda cs: -cs[1])
            out.append(rescored[:k])
        return out


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def card_path(model_path: Path) -> Path:
    """The card that records a model file's hash and provenance: ``<model>.card.json``."""
    return model_path.with_name(model_path.name + ".card.json")


def save_model(model: GreenModel, path: Path, card: dict[str, Any]) -> dict[str, Any]:
    """Write the model atomically, then its card with the file's SHA-256; returns the card as saved."""
    from classifier.tables import atomic_target

    path = Path(path)
    for _, vectorizer in model.featurizer.transformer_list:
        # Not needed to transform, and they differ run to run (a set pickled in hash order, an
        # object id that transform() sets again), which would change the SHA-256 of the same model.
        for attribute in ("stop_words_", "_stop_words_id"):
            if hasattr(vectorizer, attribute):
                delattr(vectorizer, attribute)
    fd, tmp = atomic_target(path)
    os.close(fd)
    try:
        joblib.dump(model, tmp)  # uncompressed: loads faster, and start-up time matters more than disk
        card = {**card, "file": path.name, "sha256": sha256_file(tmp), "format": MODEL_FORMAT}
        fd2, tmp_card = atomic_target(card_path(path))
        with os.fdopen(fd2, "w", encoding="utf-8") as fh:
            json.dump(card, fh, ensure_ascii=False, indent=2)
        os.replace(tmp, path)
        os.replace(tmp_card, card_path(path))
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return card


def read_card(path: Path) -> dict[str, Any]:
    card = card_path(Path(path))
    if not card.is_file():
        raise ModelError(
            f"{path}: no model card {card.name} beside it; the model cannot be trusted (run greentrade train)"
        )
    try:
        return json.loads(card.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise ModelError(f"{card}: the model card is not valid JSON: {exc}") from exc


def load_model(path: Path) -> tuple[GreenModel, dict[str, Any]]:
    """Load a model whose SHA-256 matches its card; anything else is refused before unpickling."""
    path = Path(path)
    if not path.is_file():
        raise ModelError(f"{path}: no trained model here; run `greentrade train` (make demo does it)")
    card = read_card(path)
    actual = sha256_file(path)
    if card.get("sha256") != actual:
        raise ModelError(
            f"{path}: SHA-256 {actual[:12]}... does not match its card ({str(card.get('sha256'))[:12]}...); "
            "refusing to load a model file the project did not record"
        )
    model = joblib.load(path)
    if not isinstance(model, GreenModel) or model.format != MODEL_FORMAT:
        raise ModelError(f"{path}: not a greentrade model of format {MODEL_FORMAT}; retrain it")
    return model, card
