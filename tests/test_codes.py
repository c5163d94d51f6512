"""Parsing HS codes: the forms analysts' files use, and precise reasons for the rest."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given
from hypothesis import strategies as st

from classifier.codes import code_path, format_code, parse_code
from classifier.errors import InvalidCodeError

ACCEPTED = [
    ("854143", "854143"),
    ("8541.43", "854143"),
    ("8541 43 00", "85414300"),
    ("8541.43.00.10", "8541430010"),
    ("８５４１．４３", "854143"),
    (" 7208.10 ", "720810"),
    ("8541430000.0", "8541430000"),
    ("85", "85"),
    (854143, "854143"),
]

REJECTED = [
    ("", "empty"),
    (None, "empty"),
    ("85414", "5 digits.*'085414'"),
    ("12345678901", "11 digits; HS codes have at most 10"),
    ("8541A3", "contains 'A'"),
    ("98", "chapter 98; HS 2022 chapters run from 01 to 97"),
    ("000000", "chapter 00"),
]


@pytest.mark.parametrize(("text", "expected"), ACCEPTED)
def test_accepted_forms(text, expected):
    assert parse_code(text) == expected


@pytest.mark.parametrize(("text", "message"), REJECTED)
def test_rejected_forms_say_why(text, message):
    with pytest.raises(InvalidCodeError, match=message):
        parse_code(text)


valid_codes = st.integers(1, 97).flatmap(
    lambda chapter: st.sampled_from([0, 2, 4, 6, 8]).flatmap(
        lambda extra: st.text("0123456789", min_size=extra, max_size=extra).map(lambda rest: f"{chapter:02d}{rest}")
    )
)


@given(valid_codes)
def test_formatted_codes_parse_back(code):
    assert parse_code(format_code(code)) == code


@given(valid_codes, st.lists(st.sampled_from([" ", ".", "-"]), max_size=4), st.randoms())
def test_separators_anywhere_are_ignored(code, separators, rnd):
    chars = list(code)
    for sep in separators:
        chars.insert(rnd.randint(1, len(chars)), sep)
    assert parse_code("".join(chars)) == code


@given(st.text(max_size=20))
def test_any_text_parses_or_raises_invalid_code(text):
    try:
        code = parse_code(text)
    except InvalidCodeError as exc:
        assert str(exc)
    else:
        assert code.isdigit() and len(code) in (2, 4, 6, 8, 10)


@given(valid_codes)
def test_path_runs_from_chapter_to_code(code):
    path = code_path(code)
    assert path[0] == code[:2] and path[-1] == code
    assert all(b.startswith(a) for a, b in itertools.pairwise(path))
