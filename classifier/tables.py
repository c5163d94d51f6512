"""File formats and safe writing: what kind of file this is, its text encoding, atomic writes.

The format is told by the file's first bytes (XLSX is a zip, Parquet starts with ``PAR1``), and a
CSV's encoding by its content (BOM, then strict UTF-8, then GB18030, which covers GBK and GB2312),
never by the file name: customs systems export ``.csv`` files that are really GBK or even XLSX.
Writes are atomic (a temporary file renamed into place) and cells that a spreadsheet would run as a
formula are defused. Reading records is :mod:`classifier.records`.
"""

from __future__ import annotations

import codecs
import os
import re
import tempfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pandas as pd

from classifier.errors import InputFileError

_SAMPLE = 1 << 20
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$")
FORMATS = ("csv", "xlsx", "parquet")


def sniff_format(path: Path) -> str:
    """``xlsx``, ``parquet`` or ``csv``, from the file's first bytes."""
    with open(path, "rb") as fh:
        head = fh.read(4)
    if head.startswith(b"PK\x03\x04"):
        return "xlsx"
    if head == b"PAR1":
        return "parquet"
    return "csv"


def detect_encoding(path: Path) -> str:
    """The encoding of a CSV file: ``utf-8-sig``, ``utf-8``, ``utf-16`` or ``gb18030``.

    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "gbk.csv"
    >>> _ = p.write_bytes("商品名称\\n光伏组件\\n".encode("gbk"))
    >>> detect_encoding(p)
    'gb18030'
    """
    with open(path, "rb") as fh:
        sample = fh.read(_SAMPLE)
    if sample.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if sample.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    for encoding in ("utf-8", "gb18030"):
        try:
            # final=False: a multi-byte character cut by the sample's end is not an error.
            codecs.getincrementaldecoder(encoding)().decode(sample, final=False)
            return encoding
        except UnicodeDecodeError:
            continue
    raise InputFileError(f"{path}: cannot tell the text encoding; tried UTF-8 and GB18030 (GBK)")


def defuse_formula(value: object) -> object:
    """Prefix text that a spreadsheet would execute as a formula with an apostrophe.

    >>> defuse_formula("=HYPERLINK(\\"http://x\\")"), defuse_formula("-12.5"), defuse_formula("光伏")
    ('\\'=HYPERLINK("http://x")', '-12.5', '光伏')
    """
    if isinstance(value, str) and value.startswith(FORMULA_START) and not _NUMBER.match(value):
        return "'" + value
    return value


def defuse_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """The frame with formula-like text cells defused; only the cells that need it are touched."""
    out = None
    for column in frame.columns:
        values = frame[column]
        if not (values.dtype == object or pd.api.types.is_string_dtype(values)):
            continue
        risky = values.astype(str).str.startswith(FORMULA_START)
        if risky.any():
            out = frame.copy() if out is None else out
            out.loc[risky, column] = values[risky].map(defuse_formula)
    return frame if out is None else out


def atomic_target(path: Path) -> tuple[int, Path]:
    """A temporary file beside ``path``, readable like any new file (mkstemp makes it private)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(tmp, 0o666 & ~umask)
    return fd, Path(tmp)


@contextmanager
def atomic_path(path: Path) -> Iterator[Path]:
    """A temporary path beside ``path`` to write to: moved onto ``path`` when the block ends, deleted if it raises.

    >>> import tempfile
    >>> target = Path(tempfile.mkdtemp()) / "out.txt"
    >>> with atomic_path(target) as tmp:
    ...     _ = tmp.write_text("whole or nothing")
    >>> target.read_text()
    'whole or nothing'
    """
    path = Path(path)
    fd, tmp = atomic_target(path)
    os.close(fd)
    try:
        yield tmp
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def write_table(frame: pd.DataFrame, path: Path, *, fmt: str | None = None) -> Path:
    """Write a table atomically as CSV (UTF-8 with BOM, so Excel shows Chinese), XLSX or Parquet.

    The format comes from ``fmt`` or the file extension. Text cells are defused against formula
    injection in CSV and XLSX.
    """
    path = Path(path)
    fmt = fmt or path.suffix.lower().lstrip(".")
    if fmt not in FORMATS:
        raise InputFileError(f"{path}: output format {fmt!r} should be one of {list(FORMATS)}")
    with atomic_path(path) as tmp:
        if fmt == "parquet":
            frame.to_parquet(tmp, index=False)
        else:
            safe = defuse_frame(frame)
            if fmt == "csv":
                safe.to_csv(tmp, index=False, encoding="utf-8-sig")
            else:
                safe.to_excel(tmp, index=False, engine="openpyxl")
    return path


def write_csv_rows(rows: Iterable[dict[str, str]], fieldnames: list[str], path: Path) -> Path:
    """Write plain UTF-8 CSV rows atomically (for the project's own data files)."""
    import csv

    with atomic_path(path) as tmp, open(tmp, "w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    return Path(path)


def write_text_atomic(path: Path, content: str) -> Path:
    """Write a small UTF-8 text file (a run record, a report) so that it appears whole or not at all."""
    with atomic_path(path) as tmp:
        tmp.write_text(content, encoding="utf-8")
    return Path(path)
