"""Fuse the HS prior and the text evidence into one decision per record (SPEC section 5).

The rules, in order (each names its ``basis``):

1. ``rejected``: the row could not be read, or has neither a usable code nor any product text.
2. ``hs_full``: the declared subheading is wholly green: its category, whatever the text says;
   a text that points elsewhere (code/text conflict) lowers the confidence and asks for review.
3. ``hs_ex_text``: the declared subheading is partly green (``ex``) and the text holds a keyword
   of one of its mappings: that mapping's category (exact keyword above fuzzy).
4. ``hs_ex_no_text``: an ``ex`` subheading whose text shows no green keyword is **not green**
   (``NONE``); if the model nevertheless leans green, review.
5. ``hs_none``: the declared subheading has no green mapping: ``NONE``; green keywords or a
   confident green model score for text that fits another code mean a conflict to review.
6. ``text``: no valid code (missing or invalid): the category comes from the text: green keywords
   found anywhere, the model's category probabilities and the prior of the best suggested code.

Flags always come from the code: the declared one, or for rule 6 the suggested code when the
suggestion is confident (the evidence says so). An ``ex`` flag (PLASTIC on 392321) is lifted only
when the record is green through that same code's keywords (a fully biodegradable bag).

The returned ``score`` is raw; :mod:`classifier.classify` maps it to a calibrated ``confidence``.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from classifier.catalogue import Catalogue, Entry
from classifier.codes import format_code
from classifier.match import KeywordHit, SiblingMatch

REVIEW_BELOW = 0.6
SUGGESTION_FOR_FLAGS = 0.5
CONFLICT_SUGGESTION = 0.45
GREEN_LEAN = 0.5


@dataclass(frozen=True)
class Evidence:
    """Everything the text says about a record, gathered before deciding."""

    has_text: bool
    code_hits: tuple[KeywordHit, ...] = ()
    """Keywords of the declared subheading's mappings found in the text."""
    global_hits: tuple[KeywordHit, ...] = ()
    """Keywords of any mapping found in the text."""
    category_probs: dict[str, float] = field(default_factory=dict)
    suggestions: tuple[tuple[str, float], ...] = ()
    sibling: SiblingMatch | None = None


@dataclass(frozen=True)
class Decision:
    """One record's classification, before calibration."""

    hs6: str
    hs_valid: bool
    category: str
    score: float
    basis: str
    flags: tuple[str, ...]
    ref_lists: tuple[str, ...]
    evidence: str
    suggestions: tuple[tuple[str, float], ...]
    needs_review: bool
    status: str = "ok"
    reject_reason: str = ""


def rejected(reason: str, *, hs6: str = "", hs_valid: bool = False) -> Decision:
    """A row that cannot be classified, with the reason naming the column and value."""
    return Decision(
        hs6, hs_valid, "", 0.0, "rejected", (), (), f"拒绝 rejected: {reason}", (), True, "rejected", reason
    )


def _flags(entry: Entry | None, green_by_own_keyword: bool) -> tuple[str, ...]:
    if entry is None:
        return ()
    return tuple(f.flag for f in entry.flags if not (f.scope == "ex" and f.flag == "PLASTIC" and green_by_own_keyword))


def _name(cat: Catalogue, hs6: str) -> str:
    node = cat.nodes.get(hs6)
    return f"{format_code(hs6)} {node.name if node else ''}".strip()


def points_elsewhere(hs6: str, suggestions: tuple[tuple[str, float], ...] | list[tuple[str, float]]) -> bool:
    """Whether the text's suggestions confidently leave the declared code's heading.

    Only then is the (costlier) comparison with the heading's other subheadings worth making.
    """
    if not suggestions:
        return False
    top, score = suggestions[0]
    return hs6 not in {code for code, _ in suggestions} and top[:4] != hs6[:4] and score >= CONFLICT_SUGGESTION


def _conflict(cat: Catalogue, hs6: str, ev: Evidence) -> str:
    """Say why the text seems to belong to another code, or return an empty string."""
    if not ev.has_text or not points_elsewhere(hs6, ev.suggestions):
        return ""
    if ev.sibling is not None and ev.sibling.hs6 == hs6 and ev.sibling.score >= 80:
        return ""  # the text fits the declared subheading's own names well
    top, score = ev.suggestions[0]
    return f"申报编码与品名不符：品名更接近 {_name(cat, top)}（{score:.2f}）"


def decide(
    cat: Catalogue,
    *,
    entry: Entry | None,
    code_error: str,
    ev: Evidence,
) -> Decision:
    """Apply the rules of the module docstring to one record."""
    suggestions = ev.suggestions
    if entry is None:
        return _from_text(cat, code_error, ev)
    hs6 = entry.hs6 or ""
    lists = entry.list_codes
    code_text = f"商品编码 {_name(cat, hs6)}"
    conflict = _conflict(cat, hs6, ev)
    full = [m for m in entry.mappings if m.coverage == "full"]
    if full:
        m = full[0]
        evidence = f"{code_text} 整体属于 {m.category} {cat.category_name(m.category)}（full）"
        if conflict:
            evidence += f"；{conflict}"
        score = 0.6 if conflict else 0.97
        return Decision(
            hs6, True, m.category, score, "hs_full", _flags(entry, False), lists, evidence, suggestions, bool(conflict)
        )
    if entry.mappings:
        if ev.code_hits:
            counts = Counter(h.category for h in ev.code_hits)
            exact = any(h.method == "exact" for h in ev.code_hits)
            category = max(counts, key=lambda c: (counts[c], ev.category_probs.get(c, 0.0)))
            words = "、".join(dict.fromkeys(h.keyword for h in ev.code_hits if h.category == category))
            how = "命中关键词" if exact else "近似命中关键词"
            evidence = f"{code_text} 部分属于绿色（ex）；{how}“{words}” → {category} {cat.category_name(category)}"
            if conflict:
                evidence += f"；{conflict}"
            score = (0.92 if exact else 0.72) - (0.3 if conflict else 0.0)
            review = bool(conflict) or not exact
            return Decision(
                hs6, True, category, score, "hs_ex_text", _flags(entry, True), lists, evidence, suggestions, review
            )
        ex_categories = [m.category for m in entry.mappings]
        lean = max((ev.category_probs.get(c, 0.0) for c in ex_categories), default=0.0)
        described = "；".join(f"{m.category}: {m.ex_description_zh}" for m in entry.mappings)
        if not ev.has_text:
            evidence = f"{code_text} 仅部分属于绿色（ex：{described}），无品名可判断，按非绿色"
            return Decision(
                hs6, True, "NONE", 0.5, "hs_ex_no_text", _flags(entry, False), lists, evidence, suggestions, True
            )
        evidence = f"{code_text} 仅部分属于绿色（ex：{described}）；品名未见绿色特征，判为非绿色"
        if lean >= GREEN_LEAN:
            evidence += f"；但模型倾向绿色（{lean:.2f}），请复核"
        if conflict:
            evidence += f"；{conflict}"
        review = lean >= GREEN_LEAN or bool(conflict)
        return Decision(
            hs6, True, "NONE", 1.0 - lean, "hs_ex_no_text", _flags(entry, False), lists, evidence, suggestions, review
        )
    evidence = f"{code_text} 不在绿色目录中"
    green_hits = [h for h in ev.global_hits if h.hs6[:4] != hs6[:4]]
    lean_category, lean = max(
        ((c, p) for c, p in ev.category_probs.items() if c != "NONE"), key=lambda cp: cp[1], default=("", 0.0)
    )
    review = bool(conflict) and (bool(green_hits) or lean >= GREEN_LEAN)
    if review:
        evidence += f"；{conflict}"
        if green_hits:
            evidence += f"（绿色关键词“{green_hits[0].keyword}” → {green_hits[0].category}）"
        elif lean_category:
            evidence += f"（模型倾向 {lean_category} {lean:.2f}）"
    score = 0.6 if review else 0.95 - 0.3 * lean
    return Decision(hs6, True, "NONE", score, "hs_none", _flags(entry, False), lists, evidence, suggestions, review)


def _from_text(cat: Catalogue, code_error: str, ev: Evidence) -> Decision:
    """Rule 6: no valid code, so the text decides."""
    suggestions = ev.suggestions
    top = suggestions[0] if suggestions else None
    used = top[0] if top and top[1] >= SUGGESTION_FOR_FLAGS else ""
    entry = cat.lookup(used) if used else None
    probs = dict(ev.category_probs)
    if entry is not None:
        # The suggested code's prior counts as evidence: a full mapping votes for its category.
        for m in entry.mappings:
            if m.coverage == "full":
                probs[m.category] = probs.get(m.category, 0.0) + 0.5 * top[1]  # type: ignore[index]
    hits = [h for h in ev.global_hits if h.method == "exact"]
    if hits:
        counts = Counter(h.category for h in hits)
        category = max(counts, key=lambda c: (counts[c], probs.get(c, 0.0)))
        score = max(0.8, min(1.0, probs.get(category, 0.0)))
        words = "、".join(dict.fromkeys(h.keyword for h in hits if h.category == category))
        reason = f"品名命中绿色关键词“{words}” → {category} {cat.category_name(category)}"
    else:
        category = max(probs, key=probs.get) if probs else "NONE"  # type: ignore[arg-type]
        score = min(1.0, probs.get(category, 0.0))
        reason = f"按品名判断：模型 {category} {cat.category_name(category)}（{score:.2f}）"
    prefix = f"申报编码无效（{code_error}）；" if code_error else "无商品编码；"
    evidence = prefix + reason
    if top:
        evidence += f"；建议编码 {_name(cat, top[0])}（{top[1]:.2f}）"
    if entry is not None and entry.flags:
        evidence += f"；标记取自建议编码 {format_code(used)}"
    green_own = bool(entry) and any(h.hs6 == used for h in hits)
    flags = _flags(entry, green_own)
    lists = entry.list_codes if entry is not None else ()
    review = bool(code_error) or score < REVIEW_BELOW
    return Decision(used, False, category, score, "text", flags, lists, evidence, suggestions, review)
