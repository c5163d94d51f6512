"""Classify trade records: read, deduplicate, gather text evidence, decide, calibrate, write.

The expensive work runs once per distinct (code, name, spec) of a run, not once per row: a month of
declarations repeats the same lines many times. Within a chunk, rows are deduplicated on the raw
fields, then on the normalised ones; across chunks, decisions are cached for the run. The tests
(``tests/test_classify.py``) and the notebook show it at work with a trained model.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from sklearn import config_context

from classifier.catalogue import Catalogue, Entry, cached_catalogue
from classifier.codes import parse_code
from classifier.errors import GreentradeError
from classifier.fuse import Decision, Evidence, decide, points_elsewhere, rejected
from classifier.lexicon import Lexicon, load_lexicon
from classifier.match import HeadingMatcher, KeywordMatcher, match_text
from classifier.model import GreenModel, load_model, model_text
from classifier.normalise import NormalisedText, normalise
from classifier.segment import get_segmenter

if TYPE_CHECKING:
    # pandas and the file readers load on first use: one --text line should start fast.
    import pandas as pd

    from classifier.records import ColumnMap
    from classifier.releases import ReleaseRules

OUTPUT_COLUMNS = [
    "hs6",
    "hs_valid",
    "category",
    "category_zh",
    "confidence",
    "basis",
    "flags",
    "ref_lists",
    "evidence",
    "hs_suggestions",
    "needs_review",
    "status",
    "reject_reason",
]
_CACHE_LIMIT = 500_000
_DECIDE_BATCH = 5_000


@dataclass
class Summary:
    """What a run did, for the end-of-run report."""

    rows: int = 0
    rejected: int = 0
    needs_review: int = 0
    distinct: int = 0
    by_category: Counter[str] = field(default_factory=Counter)
    seconds: float = 0.0
    output: Path | None = None

    @property
    def records_per_second(self) -> float:
        return self.rows / self.seconds if self.seconds else 0.0

    @property
    def green_share(self) -> dict[str, float]:
        """Share of classified (not rejected) rows per green category."""
        ok = self.rows - self.rejected
        return {c: n / ok for c, n in sorted(self.by_category.items()) if c not in ("NONE", "") and ok}

    def add(self, frame: pd.DataFrame) -> None:
        self.rows += len(frame)
        self.rejected += int((frame["status"] == "rejected").sum())
        self.needs_review += int((frame["needs_review"] == "true").sum())
        self.by_category.update(frame.loc[frame["status"] == "ok", "category"].tolist())


def _format_suggestions(suggestions: tuple[tuple[str, float], ...]) -> str:
    return ";".join(f"{code}:{score:.2f}" for code, score in suggestions[:3])


class Classifier:
    """Catalogue, model and matchers, loaded once; classify frames, files or single records."""

    def __init__(
        self,
        catalogue: Catalogue,
        model: GreenModel,
        card: dict[str, Any],
        *,
        catalogue_dir: Path | None = None,
        lexicon: Lexicon | None = None,
    ) -> None:
        self.catalogue = catalogue
        self.model = model
        self.card = card
        self.segmenter = get_segmenter(model.user_words)
        self.keywords = KeywordMatcher(catalogue)
        self._lexicon = lexicon
        self._catalogue_dir = catalogue_dir
        self._headings: HeadingMatcher | None = None
        self._cache: dict[tuple[str, str, str], tuple[Any, ...]] = {}
        self.rules: ReleaseRules | None = None
        """The release whose curated entries decide first (see :meth:`pin_release`)."""
        self.decided = 0
        """Distinct records decided so far (after deduplication), for the run summary."""

    @classmethod
    def load(
        cls,
        model_path: Path | None = None,
        *,
        catalogue_dir: Path | None = None,
        national_codes: Path | None = None,
    ) -> Classifier:
        """Load the catalogue and the model (refused if its hash does not match its card)."""
        from classifier.settings import get_settings

        settings = get_settings()
        model, card = load_model(model_path or settings.model_path)
        national = national_codes or (settings.national_codes_path if settings.national_codes_path.is_file() else None)
        catalogue = cached_catalogue(catalogue_dir or settings.catalogue_dir, national)
        return cls(catalogue, model, card, catalogue_dir=catalogue_dir or settings.catalogue_dir)

    def pin_release(self, rules: ReleaseRules | None) -> None:
        """Classify with a release's curated entries first (``basis = curated``), or with none."""
        self.rules = rules
        self._cache.clear()

    def provenance(self) -> dict[str, str]:
        """What produced the results: model, release, catalogue and greentrade versions, for the record."""
        from importlib import metadata

        release = self.rules.release if self.rules else None
        return {
            "greentrade": metadata.version("greentrade"),
            "model_sha256": str(self.card.get("sha256", "")),
            "model_trained_at": str(self.card.get("trained_at", "")),
            "release": release.name if release else "",
            "release_number": str(release.number) if release else "",
            "release_sha256": release.sha256 if release else "",
            "classified_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        }

    @property
    def headings(self) -> HeadingMatcher:
        """Built on first use: a name-only run, or one ``--text`` line, never pays for the lexicon."""
        if self._headings is None:
            lexicon = self._lexicon if self._lexicon is not None else load_lexicon(self._catalogue_dir)
            self._headings = HeadingMatcher(self.catalogue, lexicon)
        return self._headings

    # -- one distinct record -------------------------------------------------------------------

    def _entry(self, raw_code: str) -> tuple[Entry | None, str, str, bool]:
        """(entry, code error, hs6, hs_valid) for a declared code."""
        if not raw_code.strip():
            return None, "", "", False
        try:
            code = parse_code(raw_code)
            if len(code) < 6:
                return None, f"hs_code {raw_code!r} has only {len(code)} digits; a subheading needs 6", "", False
            entry = self.catalogue.lookup(code)
        except GreentradeError as exc:
            return None, f"hs_code {raw_code!r}: {exc}", "", False
        return entry, "", entry.hs6 or "", True

    def decide_many(self, records: list[tuple[str, str, str]]) -> list[Decision]:
        """Decisions for distinct (hs_code, name, spec) triples, text work batched."""
        entries = [self._entry(code) for code, _, _ in records]
        normalised = [normalise(name, spec) for _, name, spec in records]
        texts = [match_text(name, spec) for _, name, spec in records]
        has_text = [bool(n.words) for n in normalised]
        probs, suggestions = self._predict(
            [n for n, h in zip(normalised, has_text, strict=True) if h],
            [t for t, h in zip(texts, has_text, strict=True) if h],
        )
        decisions = []
        k = 0
        for (_code, _name, _spec), (entry, error, _hs6, _valid), _norm, text, text_present in zip(
            records, entries, normalised, texts, has_text, strict=True
        ):
            if not text_present and entry is None:
                if error:
                    decisions.append(rejected(f"{error}; name is empty, so nothing can be classified"))
                else:
                    decisions.append(rejected("hs_code and name are both empty"))
                continue
            ev = Evidence(has_text=False)
            if text_present:
                hs6 = entry.hs6 if entry is not None else None
                ev = Evidence(
                    has_text=True,
                    code_hits=tuple(self.keywords.find(text, hs6=hs6)) if hs6 else (),
                    global_hits=tuple(self.keywords.find(text)),
                    category_probs=probs[k],
                    suggestions=tuple(suggestions[k]),
                    sibling=self.headings.best(text, hs6[:4])
                    if hs6 and points_elsewhere(hs6, suggestions[k])
                    else None,
                )
                k += 1
            decisions.append(decide(self.catalogue, entry=entry, code_error=error, ev=ev))
        if self.rules is not None:
            decisions = [self.rules.apply(d, code, name) for d, (code, name, _) in zip(decisions, records, strict=True)]
        return decisions

    def _predict(
        self, normalised: list[NormalisedText], texts: list[str]
    ) -> tuple[list[dict[str, float]], list[list[tuple[str, float]]]]:
        """Category probabilities and HS suggestions for records with product words."""
        if not normalised:
            return [], []
        X = self.model.features([model_text(n, self.segmenter) for n in normalised])
        with config_context(assume_finite=True, skip_parameter_validation=True):
            proba = self.model.category.predict_proba(X)
        classes = [str(c) for c in self.model.category.classes_]
        probs = [dict(zip(classes, row, strict=True)) for row in proba.tolist()]
        return probs, self.model.suggest(X, texts, 3)

    def confidence(self, decision: Decision) -> float:
        """The calibrated confidence of a decision (raw score where no calibrator was fitted).

        Kept within [0.01, 0.99]: the calibrators learn from the project's generated texts, on
        which some decisions are never wrong, and no decision on a real declaration is certain.
        """
        if decision.status != "ok":
            return 0.0
        calibrator = self.model.calibrator.get(decision.basis)
        value = decision.score if calibrator is None else calibrator.predict([decision.score])[0]
        return float(np.clip(value, 0.01, 0.99))

    def _row(self, decision: Decision) -> tuple[Any, ...]:
        category_zh = self.catalogue.category_name(decision.category) if decision.category else ""
        return (
            decision.hs6,
            "true" if decision.hs_valid else "false",
            decision.category,
            category_zh,
            f"{self.confidence(decision):.3f}",
            decision.basis,
            ";".join(decision.flags),
            ";".join(decision.ref_lists),
            decision.evidence,
            _format_suggestions(decision.suggestions),
            "true" if decision.needs_review else "false",
            decision.status,
            decision.reject_reason,
        )

    # -- frames and files -------------------------------------------------------------------------

    def classify_frame(self, frame: pd.DataFrame, columns: ColumnMap) -> pd.DataFrame:
        """Add the SPEC section 5 columns to a chunk of records (input columns kept, order kept)."""
        import pandas as pd

        from classifier.records import ERROR_COLUMN, ROW_COLUMN

        codes, names, specs = (columns.text(frame, role) for role in ("hs_code", "name", "spec"))
        keys = codes + "\x1f" + names + "\x1f" + specs
        index, uniques = pd.factorize(keys, sort=False)
        triples = [tuple(u.split("\x1f")) for u in uniques]
        missing = [t for t in triples if t not in self._cache]
        if missing:
            if len(self._cache) + len(missing) > _CACHE_LIMIT:
                self._cache.clear()  # keeps memory flat on huge runs with few repeats
            # Second deduplication: raw variants that normalise alike are decided once.
            norm_keys = {t: (t[0].strip(), normalise(t[1], t[2]).key) for t in missing}
            representative: dict[tuple[str, str], tuple[str, str, str]] = {}
            for t in missing:
                representative.setdefault(norm_keys[t], t)
            reps = list(representative.values())
            self.decided += len(reps)
            decided = {}
            for start in range(0, len(reps), _DECIDE_BATCH):  # bounds the working set of the text path
                batch = reps[start : start + _DECIDE_BATCH]
                decided.update(zip(batch, (self._row(d) for d in self.decide_many(batch)), strict=True))
            for t in missing:
                self._cache[t] = decided[representative[norm_keys[t]]]
        rows = [self._cache[t] for t in triples]
        out = pd.DataFrame([rows[i] for i in index], columns=OUTPUT_COLUMNS, index=frame.index)
        if ERROR_COLUMN in frame:
            broken = frame[ERROR_COLUMN].astype(str) != ""
            if broken.any():
                for i in np.flatnonzero(broken.to_numpy()):
                    reason = f"row {frame[ROW_COLUMN].iloc[i]}: malformed line ({frame[ERROR_COLUMN].iloc[i]})"
                    out.iloc[i] = self._row(rejected(reason))
        keep = [c for c in frame.columns if c not in (ROW_COLUMN, ERROR_COLUMN)]
        clashing = [c for c in OUTPUT_COLUMNS if c in keep]
        result = frame[keep].rename(columns={c: f"input_{c}" for c in clashing})
        return pd.concat([result, out], axis=1)

    def classify_file(
        self,
        source: Path,
        target: Path,
        *,
        sheet: str | None = None,
        chunk_rows: int = 50_000,
        progress: Callable[[int], None] | None = None,
        input_name: str | None = None,
    ) -> Summary:
        """Classify a whole file into ``target`` (CSV, XLSX or Parquet by extension), streaming.

        Every input row is written, in input order, classified or rejected with a reason; the
        target appears only once complete, with a record of the model and release that produced
        it (``<target>.run.json``, see :class:`~classifier.records.RecordWriter`).
        """
        from classifier.records import ERROR_COLUMN, ROW_COLUMN, RecordWriter, match_columns, read_record_chunks

        start = time.perf_counter()
        summary = Summary()
        writer = RecordWriter(target, about={"input": input_name or Path(source).name, **self.provenance()})
        columns: ColumnMap | None = None
        decided_before = self.decided
        try:
            for chunk in read_record_chunks(source, chunk_rows=chunk_rows, sheet=sheet):
                if columns is None:
                    found = [c for c in chunk.columns if c not in (ROW_COLUMN, ERROR_COLUMN)]
                    columns = match_columns(found, source=str(source))
                result = self.classify_frame(chunk, columns)
                writer.write(result)
                summary.add(result)
                if progress:
                    progress(len(chunk))
            summary.output = writer.close()
        except BaseException:
            writer.abort()
            raise
        summary.distinct = self.decided - decided_before
        summary.seconds = time.perf_counter() - start
        return summary

    def classify_many(self, records: list[tuple[str, str, str]]) -> list[dict[str, str]]:
        """(hs_code, name, spec) triples in, their SPEC section 5 fields out, in order (for the API)."""
        missing = [r for r in dict.fromkeys(records) if r not in self._cache]
        if missing:
            if len(self._cache) + len(missing) > _CACHE_LIMIT:
                self._cache.clear()
            self._cache.update(zip(missing, (self._row(d) for d in self.decide_many(missing)), strict=True))
        return [dict(zip(OUTPUT_COLUMNS, self._cache[r], strict=True)) for r in records]

    def classify_one(self, *, name: str = "", hs_code: str = "", spec: str = "") -> dict[str, str]:
        """One record in, its SPEC section 5 fields out (for ``classify --text``)."""
        return self.classify_many([(hs_code, name, spec)])[0]

    def suggest_hs(self, text: str, k: int = 3) -> list[tuple[str, float]]:
        """The ``k`` subheadings the text fits best, by the model alone."""
        norm = normalise(text)
        if not norm.words:
            return []
        X = self.model.features([model_text(norm, self.segmenter)])
        return self.model.suggest(X, [match_text(text)], k)[0]
