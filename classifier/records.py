"""Read trade records from real customs exports, in chunks, and write classified records back.

Columns are matched to SPEC section 4 by their aliases, ignoring case, width and spaces
(``商品编码``, ``ＨＳ编码``, ``HS Code`` all mean ``hs_code``). Files stream in chunks so memory
stays flat with file size, and no row is ever dropped: a row the reader cannot parse (a CSV line
with the wrong number of fields) comes out with ``_error`` set, so the classifier can reject it
with a reason instead of losing it.

>>> match_columns(["报关单号", "商品编码", "商品名称", "规格型号", "美元"]).canonical
{'hs_code': '商品编码', 'name': '商品名称', 'spec': '规格型号', 'value_usd': '美元'}
"""

from __future__ import annotations

import csv
import io
import json
import math
import os
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from classifier.errors import InputFileError
from classifier.tables import (
    atomic_target,
    defuse_formula,
    defuse_frame,
    detect_encoding,
    sniff_format,
    write_text_atomic,
)

ALIASES: dict[str, tuple[str, ...]] = {
    "record_id": ("record_id", "报关单号+项号", "记录号", "id", "序号", "编号"),
    "month": ("month", "年月", "月份", "申报日期", "date", "period", "日期"),
    "direction": ("direction", "进出口", "进出口标志", "flow", "trade_flow", "进出口方向"),
    "hs_code": ("hs_code", "商品编码", "hs编码", "税号", "hs", "code", "hscode", "商品编号", "税则号列"),
    "name": ("name", "商品名称", "品名", "product", "description", "货物名称", "商品描述", "productname"),
    "spec": ("spec", "规格型号", "申报要素", "specification", "规格"),
    "partner": ("partner", "贸易伙伴", "贸易国(地区)", "目的国", "原产国", "country", "贸易国", "国别"),
    "value_usd": ("value_usd", "美元", "金额(美元)", "美元值", "usd", "美元金额"),
    "value_cny": ("value_cny", "人民币", "金额(人民币)", "人民币值", "cny", "rmb"),
    "quantity": ("quantity", "数量", "qty", "成交数量"),
    "unit": ("unit", "单位", "计量单位", "成交单位"),
    "enterprise": ("enterprise", "企业名称", "经营单位", "company", "收发货人"),
}
ROW_COLUMN = "_row"
ERROR_COLUMN = "_error"
DEFAULT_CHUNK_ROWS = 50_000


def column_key(name: object) -> str:
    """A column name as matched: NFKC (full-width to half-width), lower case, no spaces, _ or -."""
    return re.sub(r"[\s_\-]+", "", unicodedata.normalize("NFKC", str(name)).lower())


_ALIAS_KEYS = {column_key(alias): canonical for canonical, aliases in ALIASES.items() for alias in aliases}


@dataclass(frozen=True)
class ColumnMap:
    """Which input column plays each SPEC role (``canonical``), and all columns found."""

    canonical: dict[str, str]
    found: tuple[str, ...]

    def get(self, role: str) -> str | None:
        return self.canonical.get(role)

    def text(self, frame: pd.DataFrame, role: str) -> pd.Series:
        """The role's column of ``frame`` as text (missing cells empty); all empty if the file has none."""
        name = self.canonical.get(role)
        return frame[name].fillna("").astype(str) if name else pd.Series("", index=frame.index)


def match_columns(columns: list[str], *, source: str = "input") -> ColumnMap:
    """Match input column names to SPEC section 4 roles; the first column matching a role wins.

    Raises :class:`~classifier.errors.InputFileError` listing the columns found when neither an HS
    code nor a product name column can be identified.
    """
    canonical: dict[str, str] = {}
    for column in columns:
        role = _ALIAS_KEYS.get(column_key(column))
        if role and role not in canonical:
            canonical[role] = column
    if "hs_code" not in canonical and "name" not in canonical:
        raise InputFileError(
            f"{source}: no HS code column (商品编码, HS编码, hs_code...) and no product name column "
            f"(商品名称, 品名, name...); columns found: {list(columns)}"
        )
    return ColumnMap(canonical, tuple(columns))


def _csv_chunks(path: Path, chunk_rows: int) -> Iterator[pd.DataFrame]:
    encoding = detect_encoding(path)
    with open(path, encoding=encoding, newline="", errors="replace") as fh:
        reader = csv.reader(fh)
        header = next(reader, None)
        if header is None:
            raise InputFileError(f"{path}: the file is empty")
        header = [h.strip() for h in header]
        width = len(header)
        rows: list[list[str]] = []
        numbers: list[int] = []
        errors: list[str] = []
        for number, row in enumerate(reader, start=1):
            if not row:
                continue
            error = ""
            if len(row) != width:
                error = f"line {reader.line_num}: {len(row)} fields where the header has {width}"
                row = (row + [""] * width)[:width]
            rows.append(row)
            numbers.append(number)
            errors.append(error)
            if len(rows) >= chunk_rows:
                yield _frame(header, rows, numbers, errors)
                rows, numbers, errors = [], [], []
        if rows or not numbers:
            yield _frame(header, rows, numbers, errors)


def _frame(header: list[str], rows: list[list[str]], numbers: list[int], errors: list[str]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=header, dtype=object)
    frame[ROW_COLUMN] = numbers
    frame[ERROR_COLUMN] = errors
    return frame


def _xlsx_chunks(path: Path, chunk_rows: int, sheet: str | None) -> Iterator[pd.DataFrame]:
    from openpyxl import load_workbook

    # A file handle, not the path: openpyxl refuses a path whose extension is not .xlsx, and
    # customs systems do save workbooks as ".csv".
    handle = open(path, "rb")  # noqa: SIM115 - closed in the finally below
    workbook = load_workbook(handle, read_only=True, data_only=True)
    try:
        if sheet is not None and sheet not in workbook.sheetnames:
            raise InputFileError(f"{path}: no sheet {sheet!r}; sheets are {workbook.sheetnames}")
        rows_iter = workbook[sheet or workbook.sheetnames[0]].iter_rows(values_only=True)
        header_raw = next(rows_iter, None)
        if header_raw is None:
            raise InputFileError(f"{path}: the sheet is empty")
        header = [str(h).strip() if h is not None else f"column_{i + 1}" for i, h in enumerate(header_raw)]
        rows: list[list[str]] = []
        numbers: list[int] = []
        number = 0
        for values in rows_iter:
            number += 1
            if values is None or all(v is None or str(v).strip() == "" for v in values):
                continue
            rows.append([_cell_text(v) for v in values[: len(header)]] + [""] * (len(header) - len(values)))
            numbers.append(number)
            if len(rows) >= chunk_rows:
                yield _frame(header, rows, numbers, [""] * len(rows))
                rows, numbers = [], []
        if rows or not numbers:
            yield _frame(header, rows, numbers, [""] * len(rows))
    finally:
        workbook.close()
        handle.close()


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _parquet_chunks(path: Path, chunk_rows: int) -> Iterator[pd.DataFrame]:
    import pyarrow.parquet as pq

    start = 0
    for batch in pq.ParquetFile(path).iter_batches(batch_size=chunk_rows):
        frame = batch.to_pandas().astype(object).where(lambda f: f.notna(), "")
        frame = frame.map(_cell_text)
        frame[ROW_COLUMN] = range(start + 1, start + len(frame) + 1)
        frame[ERROR_COLUMN] = ""
        start += len(frame)
        yield frame


def read_record_chunks(
    path: Path, *, chunk_rows: int = DEFAULT_CHUNK_ROWS, sheet: str | None = None
) -> Iterator[pd.DataFrame]:
    """Yield the file's rows as DataFrames of text, with ``_row`` (1-based data row) and ``_error``."""
    path = Path(path)
    if not path.is_file():
        raise InputFileError(f"{path}: file not found")
    kind = sniff_format(path)
    try:
        if kind == "xlsx":
            yield from _xlsx_chunks(path, chunk_rows, sheet)
        elif kind == "parquet":
            yield from _parquet_chunks(path, chunk_rows)
        else:
            yield from _csv_chunks(path, chunk_rows)
    except InputFileError:
        raise
    except (csv.Error, OSError, ValueError, KeyError) as exc:
        raise InputFileError(f"{path}: cannot read it as {kind.upper()}: {exc}") from exc


def read_records(path: Path, *, sheet: str | None = None) -> pd.DataFrame:
    """A whole (small) file as one DataFrame of text, for tables that fit in memory.

    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "t.csv"
    >>> _ = p.write_bytes("商品编码,商品名称\\n0702,番茄\\n".encode("gbk"))
    >>> read_records(p).to_dict("records")
    [{'商品编码': '0702', '商品名称': '番茄'}]
    """
    frame = pd.concat(list(read_record_chunks(path, sheet=sheet)), ignore_index=True)
    return frame.drop(columns=[ROW_COLUMN, ERROR_COLUMN])


def count_records(path: Path, *, sheet: str | None = None) -> int:
    """Data rows in a file (header excluded), read cheaply: for limits and progress totals."""
    path = Path(path)
    kind = sniff_format(path)
    if kind == "parquet":
        import pyarrow.parquet as pq

        return int(pq.ParquetFile(path).metadata.num_rows)
    return sum(len(chunk) for chunk in read_record_chunks(path, sheet=sheet, chunk_rows=100_000))


class RecordWriter:
    """Write classified chunks to CSV, XLSX or Parquet as they come, then move the file into place.

    Nothing appears at the target path until :meth:`close` succeeds, so a crash never leaves a
    half-written result. Text cells are defused against formula injection in CSV and XLSX.

    ``about`` records what produced the file (model, release...): it is written beside the output
    as ``<output>.run.json`` for every format, and also inside XLSX (a sheet ``运行信息``) and
    Parquet (the schema's ``greentrade`` metadata), so it travels with the file.
    """

    def __init__(self, path: Path, *, fmt: str | None = None, about: dict[str, str] | None = None) -> None:
        self.path = Path(path)
        self.about = dict(about or {})
        self.fmt = fmt or self.path.suffix.lower().lstrip(".")
        if self.fmt not in ("csv", "xlsx", "parquet"):
            raise InputFileError(f"{self.path}: output format {self.fmt!r} should be csv, xlsx or parquet")
        fd, self._tmp = atomic_target(self.path)
        os.close(fd)
        self._columns: list[str] | None = None
        self._handle: object = None
        self.rows = 0

    def write(self, frame: pd.DataFrame) -> None:
        if self._columns is None:
            self._columns = list(frame.columns)
            self._open()
        frame = frame[self._columns]
        if self.fmt == "parquet":
            import pyarrow as pa

            table = pa.Table.from_pandas(frame.astype(str), schema=self._schema, preserve_index=False)
            self._handle.write_table(table)  # type: ignore[attr-defined]
        elif self.fmt == "csv":
            defuse_frame(frame).to_csv(self._handle, header=False, index=False)  # type: ignore[arg-type]
        else:
            sheet = self._handle.active  # type: ignore[attr-defined]
            for row in defuse_frame(frame).itertuples(index=False):
                sheet.append(list(row))
        self.rows += len(frame)

    def _open(self) -> None:
        assert self._columns is not None
        if self.fmt == "parquet":
            import pyarrow as pa
            import pyarrow.parquet as pq

            metadata = {"greentrade": json.dumps(self.about, ensure_ascii=False)} if self.about else None
            self._schema = pa.schema([(c, pa.string()) for c in self._columns], metadata=metadata)
            self._handle = pq.ParquetWriter(self._tmp, self._schema)
        elif self.fmt == "csv":
            handle = open(self._tmp, "w", encoding="utf-8-sig", newline="")  # noqa: SIM115 - closed in close()
            csv.writer(handle).writerow(self._columns)
            self._handle = handle
        else:
            from openpyxl import Workbook

            workbook = Workbook(write_only=True)
            workbook.create_sheet("classified").append(self._columns)
            self._handle = workbook

    def close(self) -> Path:
        """Finish the file and move it into place."""
        try:
            if self._handle is None:
                raise InputFileError(f"{self.path}: nothing was written")
            if self.fmt == "xlsx":
                if self.about:
                    sheet = self._handle.create_sheet("运行信息")  # type: ignore[attr-defined]
                    for key, value in self.about.items():
                        sheet.append([key, defuse_formula(value)])
                self._handle.save(self._tmp)  # type: ignore[attr-defined]
            else:
                self._handle.close()  # type: ignore[attr-defined]
            os.replace(self._tmp, self.path)
            if self.about:
                about = {**self.about, "output": self.path.name, "rows": str(self.rows)}
                write_text_atomic(
                    self.path.with_name(self.path.name + ".run.json"),
                    json.dumps(about, ensure_ascii=False, indent=2) + "\n",
                )
        except BaseException:
            self.abort()
            raise
        return self.path

    def abort(self) -> None:
        """Drop the temporary file; the target is left as it was."""
        if isinstance(self._handle, io.IOBase):
            self._handle.close()
        self._tmp.unlink(missing_ok=True)


_EXPORT = {"出口", "e", "export", "exports", "x", "出", "1"}
_IMPORT = {"进口", "i", "import", "imports", "m", "进", "0"}
_MONTH = re.compile(r"^\s*(\d{4})\s*(?:[-/.年]\s*)?(\d{1,2})(?:\d{2})?(?:\D|$)")


def parse_direction(value: object) -> str:
    """``export``, ``import`` or ``""`` from the ways customs exports write a trade flow.

    >>> [parse_direction(v) for v in ("出口", "I", " Export ", "转口", None)]
    ['export', 'import', 'export', '', '']
    """
    key = column_key(value) if isinstance(value, str) else ""
    return "export" if key in _EXPORT else "import" if key in _IMPORT else ""


def parse_month(value: object) -> str:
    """``YYYY-MM`` from a month or a date (2026-10, 202610, 2026/10/08, 2026年10月), else ``""``.

    >>> [parse_month(v) for v in ("2026-10", "202610", "20261008", "2026/1/8", "2026年10月", "10月", "2026-13")]
    ['2026-10', '2026-10', '2026-10', '2026-01', '2026-10', '', '']
    """
    if not isinstance(value, str):
        return ""
    match = _MONTH.match(unicodedata.normalize("NFKC", value))
    if not match:
        return ""
    year, month = int(match[1]), int(match[2])
    return f"{year:04d}-{month:02d}" if 1990 <= year <= 2100 and 1 <= month <= 12 else ""


def parse_amount(value: object) -> float:
    """A trade value as a number: thousands separators and currency signs allowed; 0.0 if unreadable.

    >>> parse_amount("1,234.50"), parse_amount("US$ 12"), parse_amount(""), parse_amount("n/a")
    (1234.5, 12.0, 0.0, 0.0)
    """
    if not isinstance(value, str):
        try:
            number = float(value) if isinstance(value, int | float) else 0.0
        except OverflowError:
            return 0.0
        return number if math.isfinite(number) else 0.0
    text = re.sub(r"[,\s$¥￥]|US|USD|CNY|RMB", "", unicodedata.normalize("NFKC", value), flags=re.IGNORECASE)
    try:
        number = float(text)
    except ValueError:
        return 0.0
    return number if math.isfinite(number) else 0.0
