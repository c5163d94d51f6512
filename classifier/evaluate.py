"""Measure a classifier on labelled texts it was not trained on.

Each labelled text is classified twice, as analysts' records come: once with its true subheading
declared (``with_code``) and once as a name alone (``text_only``). The figures:

- HS suggestions (text alone): top-1 and top-3 accuracy at HS6 and HS4;
- category: accuracy and macro-F1 in each scenario;
- calibration: expected calibration error (ECE, 10 bins) of the confidence;
- the worst categories by recall in the text-only scenario, with what they were mistaken for.

The labelled texts are the project's own (lexicon terms, examples, keywords and generated lines of
the held-out groups): the figures say how well unseen *names* are handled, not how the model does
on real declarations, which the project does not have.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
from typing import Any

import numpy as np
from sklearn.metrics import accuracy_score, f1_score

from classifier.classify import Classifier
from classifier.fuse import Decision
from classifier.training_data import TrainingText

SCENARIOS = ("with_code", "text_only")


@dataclass(frozen=True)
class Outcome:
    """One labelled text classified in one scenario."""

    scenario: str
    truth: TrainingText
    decision: Decision
    confidence: float

    @property
    def correct(self) -> bool:
        return self.decision.category == self.truth.category


def run_scenarios(classifier: Classifier, texts: list[TrainingText]) -> list[Outcome]:
    """Classify every text with its code declared and as a name alone."""
    outcomes = []
    for scenario in SCENARIOS:
        records = [(t.hs6 if scenario == "with_code" else "", t.text, "") for t in texts]
        for truth, decision in zip(texts, classifier.decide_many(records), strict=True):
            outcomes.append(Outcome(scenario, truth, decision, classifier.confidence(decision)))
    return outcomes


def expected_calibration_error(confidence: np.ndarray, correct: np.ndarray, bins: int = 10) -> float:
    """Weighted mean gap between confidence and accuracy over equal-width bins.

    >>> expected_calibration_error(np.array([0.9, 0.9, 0.1, 0.1]), np.array([1, 1, 0, 0]))
    0.1
    """
    edges = np.linspace(0, 1, bins + 1)
    which = np.clip(np.digitize(confidence, edges[1:-1]), 0, bins - 1)
    total = 0.0
    for b in range(bins):
        mask = which == b
        if mask.any():
            total += mask.mean() * abs(correct[mask].mean() - confidence[mask].mean())
    return round(float(total), 4)


def metrics(outcomes: list[Outcome]) -> dict[str, Any]:
    """The figures of the module docstring, JSON-ready."""
    text_only = [o for o in outcomes if o.scenario == "text_only"]
    result: dict[str, Any] = {"texts": len(text_only)}
    hs = {"hs6_top1": 0, "hs6_top3": 0, "hs4_top1": 0, "hs4_top3": 0}
    for o in text_only:
        codes = [c for c, _ in o.decision.suggestions[:3]]
        truth = o.truth.hs6
        hs["hs6_top1"] += bool(codes) and codes[0] == truth
        hs["hs6_top3"] += truth in codes
        hs["hs4_top1"] += bool(codes) and codes[0][:4] == truth[:4]
        hs["hs4_top3"] += truth[:4] in {c[:4] for c in codes}
    result["hs_suggestions"] = {k: round(v / max(len(text_only), 1), 4) for k, v in hs.items()}
    for scenario in SCENARIOS:
        chosen = [o for o in outcomes if o.scenario == scenario and o.decision.status == "ok"]
        truth = [o.truth.category for o in chosen]
        pred = [o.decision.category for o in chosen]
        result[scenario] = {
            "category_accuracy": round(float(accuracy_score(truth, pred)), 4) if chosen else 0.0,
            "category_macro_f1": round(float(f1_score(truth, pred, average="macro", zero_division=0)), 4)
            if chosen
            else 0.0,
            "needs_review_share": round(sum(o.decision.needs_review for o in chosen) / max(len(chosen), 1), 4),
        }
    ok = [o for o in outcomes if o.decision.status == "ok"]
    result["calibration_ece"] = expected_calibration_error(
        np.array([o.confidence for o in ok]), np.array([o.correct for o in ok], dtype=float)
    )
    result["worst_categories"] = _worst(text_only)
    return result


def _worst(outcomes: list[Outcome], n: int = 3) -> list[dict[str, Any]]:
    by_truth: dict[str, Counter[str]] = defaultdict(Counter)
    for o in outcomes:
        by_truth[o.truth.category][o.decision.category or "rejected"] += 1
    rows = []
    for category, predicted in by_truth.items():
        total = sum(predicted.values())
        rows.append(
            {
                "category": category,
                "texts": total,
                "recall": round(predicted[category] / total, 4),
                "mistaken_for": {k: v for k, v in predicted.most_common(4) if k != category},
            }
        )
    return sorted(rows, key=lambda r: r["recall"])[:n]


def calibration_data(outcomes: list[Outcome]) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """(raw scores, correct) per basis, to fit the calibrators on."""
    by_basis: dict[str, tuple[list[float], list[float]]] = defaultdict(lambda: ([], []))
    for o in outcomes:
        if o.decision.status == "ok":
            scores, correct = by_basis[o.decision.basis]
            scores.append(o.decision.score)
            correct.append(float(o.correct))
    return {b: (np.array(s), np.array(c)) for b, (s, c) in by_basis.items()}
