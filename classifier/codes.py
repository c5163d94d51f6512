"""Parse HS codes as customs files write them, and say precisely what is wrong with a bad one.

Codes are text: they keep their leading zeros. Analysts' files write them with dots and spaces
(``8541.43``, ``8541 43 00``), in full-width digits, or as spreadsheet numbers (``8541430000.0``,
or ``10121`` for ``010121`` once a spreadsheet has dropped the leading zero). :func:`parse_code`
accepts the harmless forms and rejects the rest with a message that names the value and what
would be accepted.

>>> parse_code("8541.43")
'854143'
>>> parse_code("８５０４ ４０")
'850440'
>>> parse_code("8541430000.0")
'8541430000'
"""

from __future__ import annotations

import re
import unicodedata

from classifier.errors import InvalidCodeError

VALID_LENGTHS = (2, 4, 6, 8, 10)
_SEPARATORS = re.compile(r"[\s.\-_/·]")
_SPREADSHEET_FLOAT = re.compile(r"^(\d{6,10})\.0+$")


def parse_code(value: object) -> str:
    """Return the digits of an HS or national code given at 2-10 digits.

    Dots, spaces, hyphens and full-width characters are tolerated; anything else raises
    :class:`~classifier.errors.InvalidCodeError` with the reason.

    >>> parse_code("2903 41")
    '290341'
    >>> parse_code("85414")
    Traceback (most recent call last):
    ...
    classifier.errors.InvalidCodeError: HS code '85414' has 5 digits; HS codes have 2, 4, 6, 8 or 10 digits (if a leading zero was lost in a spreadsheet, it would be '085414')
    """
    if value is None:
        raise InvalidCodeError("HS code is empty")
    text = unicodedata.normalize("NFKC", str(value)).strip()
    if not text:
        raise InvalidCodeError("HS code is empty")
    float_form = _SPREADSHEET_FLOAT.match(text)
    digits = float_form.group(1) if float_form else _SEPARATORS.sub("", text)
    bad = [] if digits.isascii() and digits.isdigit() else sorted({ch for ch in digits if not ("0" <= ch <= "9")})
    if bad:
        shown = ", ".join(repr(ch) for ch in bad)
        raise InvalidCodeError(f"HS code {text!r} contains {shown}; only digits, dots and spaces are allowed")
    if len(digits) > max(VALID_LENGTHS):
        raise InvalidCodeError(f"HS code {text!r} has {len(digits)} digits; HS codes have at most 10 digits")
    if len(digits) not in VALID_LENGTHS:
        hint = ""
        if len(digits) + 1 in VALID_LENGTHS:
            hint = f" (if a leading zero was lost in a spreadsheet, it would be '0{digits}')"
        raise InvalidCodeError(
            f"HS code {text!r} has {len(digits)} digits; HS codes have 2, 4, 6, 8 or 10 digits{hint}"
        )
    chapter = int(digits[:2])
    if not 1 <= chapter <= 97:
        raise InvalidCodeError(f"HS code {text!r} starts with chapter {digits[:2]}; HS 2022 chapters run from 01 to 97")
    return digits


def code_path(code: str) -> list[str]:
    """The chapter, heading, subheading and national prefixes of a parsed code, shortest first.

    >>> code_path("8541430000")
    ['85', '8541', '854143', '85414300', '8541430000']
    """
    return [code[:n] for n in VALID_LENGTHS if n <= len(code)]


def format_code(code: str) -> str:
    """Write a code the way the tariff prints it: ``8541.43``, ``8541.43.00``.

    >>> format_code("854143"), format_code("85"), format_code("85414300")
    ('8541.43', '85', '8541.43.00')
    """
    if len(code) <= 4:
        return code
    return ".".join([code[:4]] + [code[i : i + 2] for i in range(4, len(code), 2)])
