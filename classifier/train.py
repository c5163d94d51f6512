"""Train the model from the project's own data, calibrate it, measure it and save it with its card.

Steps (all deterministic for a given seed):

1. build the labelled texts (:mod:`classifier.training_data`) and split them by group into
   ``train`` (~80%), ``calib`` (~10%) and ``test`` (~10%);
2. fit the features, the category model and the HS retriever on ``train``;
3. classify ``calib`` (with code and name only) and fit one isotonic calibrator per decision basis
   on the raw scores, so that confidence reflects how often such decisions are right on unseen names;
4. refit on ``train`` + ``calib`` (the calibrators stay as fitted on unseen data);
5. measure on ``test`` (:mod:`classifier.evaluate`) and save the model with its card.
"""

from __future__ import annotations

import platform
import time
from collections import Counter
from collections.abc import Callable
from importlib import metadata
from pathlib import Path
from typing import Any

from sklearn.isotonic import IsotonicRegression
from sklearn.linear_model import LogisticRegression

from classifier.catalogue import Catalogue
from classifier.classify import Classifier
from classifier.evaluate import calibration_data, metrics, run_scenarios
from classifier.lexicon import Lexicon
from classifier.match import KeywordMatcher, match_text
from classifier.model import GreenModel, TextRetrievalClassifier, make_featurizer, model_text, save_model
from classifier.normalise import normalise
from classifier.segment import Segmenter
from classifier.training_data import SOURCES, TrainingText, build_training_texts

_MIN_CALIBRATION = 30
_NAME_SOURCES = ("name", "national", "lexicon", "keyword", "decision")
LIBRARIES = ("scikit-learn", "numpy", "scipy", "jieba", "rapidfuzz", "pandas", "joblib", "zhconv")


def user_words(catalogue: Catalogue, lexicon: Lexicon) -> tuple[str, ...]:
    """The segmenter's dictionary: green keywords, lexicon trade names, short official names."""
    words = set(KeywordMatcher(catalogue).keywords)
    words.update(t.term for terms in lexicon.terms.values() for t in terms if t.kind == "name" and t.lang == "zh")
    words.update(n.name_zh for n in catalogue.subheadings() if n.name_zh and len(n.name_zh) <= 8)
    return tuple(sorted(w for w in words if w))


def _fit(texts: list[str], labels: list[TrainingText], words: tuple[str, ...]) -> GreenModel:
    featurizer = make_featurizer()
    X = featurizer.fit_transform(texts)
    category = LogisticRegression(C=5.0, max_iter=500, class_weight="balanced")
    category.fit(X, [t.category for t in labels])
    hs = TextRetrievalClassifier().fit(X, [t.hs6 for t in labels])
    names: dict[str, dict[str, None]] = {}
    for t in labels:
        if t.source in _NAME_SOURCES:
            names.setdefault(t.hs6, {})[match_text(t.text)] = None
    return GreenModel(
        featurizer=featurizer,
        category=category,
        hs=hs,
        user_words=words,
        names={code: "\n".join(found) for code, found in names.items()},
    )


def train(
    catalogue: Catalogue,
    lexicon: Lexicon,
    out_path: Path,
    *,
    seed: int = 20261127,
    extra: list[TrainingText] | None = None,
    log: Callable[[str], None] = lambda _: None,
) -> dict[str, Any]:
    """Train, calibrate, evaluate and save; returns the model card."""
    start = time.perf_counter()
    texts = build_training_texts(catalogue, lexicon, seed=seed, extra=extra)
    words = user_words(catalogue, lexicon)
    segmenter = Segmenter(words)
    prepared = [model_text(normalise(t.text), segmenter) for t in texts]
    split = [t.split for t in texts]
    log(f"{len(texts)} labelled texts ({dict(Counter(split))}); {len(words)} user words")

    def subset(names: tuple[str, ...]) -> tuple[list[str], list[TrainingText]]:
        idx = [i for i, s in enumerate(split) if s in names and prepared[i]]
        return [prepared[i] for i in idx], [texts[i] for i in idx]

    calib = [t for t, s, p in zip(texts, split, prepared, strict=True) if s == "calib" and p]
    test = [t for t, s, p in zip(texts, split, prepared, strict=True) if s == "test" and p]

    first = _fit(*subset(("train",)), words)
    log(f"fitted on train in {time.perf_counter() - start:.0f} s; calibrating on {len(calib)} texts")
    probe = Classifier(catalogue, first, {}, lexicon=lexicon)
    calibrators = {}
    for basis, (scores, correct) in calibration_data(run_scenarios(probe, calib)).items():
        if len(scores) >= _MIN_CALIBRATION:
            calibrators[basis] = IsotonicRegression(y_min=0.0, y_max=1.0, out_of_bounds="clip").fit(scores, correct)

    model = _fit(*subset(("train", "calib")), words)
    model.calibrator = calibrators
    log(f"refitted on train+calib in {time.perf_counter() - start:.0f} s; evaluating on {len(test)} texts")
    figures = metrics(run_scenarios(Classifier(catalogue, model, {}, lexicon=lexicon), test))

    source_counts = Counter(t.source for t in texts)
    card = {
        "name": "greentrade text model",
        "trained_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "seconds": round(time.perf_counter() - start, 1),
        "seed": seed,
        "training_data": {
            "texts": len(texts),
            "by_source": {s: source_counts.get(s, 0) for s in SOURCES},
            "share_generated": round(source_counts.get("generated", 0) / len(texts), 3),
            "by_split": dict(Counter(split)),
            "by_category": dict(Counter(t.category for t in texts)),
            "subheadings": len({t.hs6 for t in texts}),
            "national_codes": len(catalogue.national),
            "lexicon_terms": len(lexicon),
            "decisions": source_counts.get("decision", 0),
            "generator": "classifier/training_data.py: declaration, e-commerce and English lines from lexicon names, "
            "materials and uses, with invented brands, models and specs; 8% traditional, 4% full-width",
        },
        "features": "TF-IDF char 2-3-grams within jieba words + word 1-2-grams + spec shapes (digits -> #)",
        "models": {
            "category": "LogisticRegression(C=5, class_weight=balanced) over SPEC categories",
            "hs": "TextRetrievalClassifier(knn_weight=0.5, query_features=16, max_df=300, centroid_max_df=500); "
            "top 6 re-ranked with rapidfuzz ratio to the trained names (weight 0.2)",
            "calibration": {b: "IsotonicRegression on the calib split" for b in calibrators},
        },
        "metrics": {"data": "held-out test split of the project's own labelled texts (generated data)", **figures},
        "libraries": {**{lib: _version(lib) for lib in LIBRARIES}, "python": platform.python_version()},
    }
    saved = save_model(model, out_path, card)
    log(f"saved {out_path} in {time.perf_counter() - start:.0f} s")
    return saved


def _version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "not installed"
