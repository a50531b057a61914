"""Reading the files that catalogs arrive in: text with a known encoding, CSV rows, XLSX rows.

Every source reads through here so that limits, encodings and error messages are the same everywhere:
a file is refused with a reason a person can act on (size, encoding with the offset of the bad byte,
binary content, bad quoting with the line), never half-read and never decoded into mojibake.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any

from ingest.records import RawRecord, RecordRejected, SourceError

MAX_FILE_BYTES = 50 * 1024 * 1024
MAX_RECORDS = 200_000

# Set by a row with more fields than the header has names (often an unquoted delimiter in a value);
# the value is the number of surplus fields, so a source can reject that row with a reason.
EXTRA_FIELDS_KEY = "\x00extra_fields"
# Set, alone, for a record the CSV reader could not read (a quote never closed, text after a closing
# quote): the value is the reader's reason; reading goes on at the next physical line.
BAD_CSV_KEY = "\x00bad_csv"
# More broken records than this and the file is no CSV at all: refused whole. So is a file whose
# broken records make the reader go over it again more than REREAD_LIMIT times its length in all (a
# quote never closed is read to the end before it is found out: a thousand of them in a 50 MB upload
# must not cost minutes).
MAX_BAD_CSV_RECORDS = 1000
REREAD_LIMIT = 4

_UTF8_BOM = b"\xef\xbb\xbf"
_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")
# A well-formed UTF-8 multi-byte sequence; cp1252 text almost never holds one, a broken UTF-8 file does.
_UTF8_SEQUENCE = re.compile(rb"[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}|[\xf0-\xf4][\x80-\xbf]{3}")


def _line_of(data: bytes, offset: int) -> int:
    return data.count(b"\n", 0, offset) + 1


def _check_size(path: Path, max_bytes: int) -> None:
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise SourceError(path, f"cannot read the file: {exc.strerror or exc}") from exc
    if size > max_bytes:
        raise SourceError(path, f"file is {size:,} bytes, over the limit of {max_bytes:,} bytes")


def read_text(path: Path, max_bytes: int = MAX_FILE_BYTES) -> str:
    """The text of a UTF-8 (with or without BOM) or Windows-1252 file.

    Windows-1252 is tried only when the bytes are not UTF-8 and hold no well-formed UTF-8 sequence, so a
    UTF-8 file with one stray byte is refused instead of turned into mojibake. Bytes that Windows-1252
    leaves undefined (0x81, 0x8D, 0x8F, 0x90, 0x9D) and NUL bytes (binary files, UTF-16) refuse the file.
    """
    _check_size(path, max_bytes)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise SourceError(path, f"cannot read the file: {exc.strerror or exc}") from exc
    if len(data) > max_bytes:
        raise SourceError(path, f"file is {len(data):,} bytes, over the limit of {max_bytes:,} bytes")
    if data.startswith(_UTF16_BOMS):
        raise SourceError(path, "file is UTF-16 encoded; save it as UTF-8 (or Windows-1252) text")
    nul = data.find(b"\x00")
    if nul >= 0:
        raise SourceError(
            path,
            f"file holds a NUL byte at offset {nul} (line {_line_of(data, nul)}): "
            "it looks like a binary file, not text",
        )
    had_bom = data.startswith(_UTF8_BOM)
    body = data[len(_UTF8_BOM) :] if had_bom else data
    try:
        return repair_double_encoding(body.decode("utf-8"))
    except UnicodeDecodeError as exc:
        utf8_error = exc
    offset = utf8_error.start + (len(_UTF8_BOM) if had_bom else 0)
    bad = data[offset]
    where = f"byte 0x{bad:02X} at offset {offset} (line {_line_of(data, offset)})"
    if had_bom or _UTF8_SEQUENCE.search(body):
        raise SourceError(
            path,
            f"encoding is not valid UTF-8: {where} is not UTF-8, although the rest of the file is; "
            "fix or re-save the file as UTF-8",
        )
    try:
        text = body.decode("cp1252")
    except UnicodeDecodeError as exc:
        cp_offset = exc.start
        raise SourceError(
            path,
            f"encoding is not UTF-8 or Windows-1252: {where} is not UTF-8, and byte "
            f"0x{body[cp_offset]:02X} at offset {cp_offset} (line {_line_of(data, cp_offset)}) "
            "is undefined in Windows-1252",
        ) from exc
    if any("\x80" <= ch <= "\x9f" for ch in text):  # cannot happen with Python's cp1252; kept as a guard
        raise SourceError(path, f"encoding is not UTF-8 or Windows-1252: {where}")
    return text


# A run of characters that UTF-8 bytes turn into when they are decoded once too often as Latin-1 or
# Windows-1252: a lead byte (Â..ô) followed by continuation bytes (U+0080..U+00BF or their cp1252 glyphs).
_CP1252_CONTINUATIONS = "€‚ƒ„…†‡ˆ‰Š‹ŒŽ‘’“”•–—˜™š›œžŸ"
_DOUBLE_ENCODED = re.compile(f"[\u00c2-\u00f4][\u0080-\u00bf{_CP1252_CONTINUATIONS}]{{1,3}}")


def _undo_one(match: re.Match[str]) -> str:
    run = match.group(0)
    for codec in ("latin-1", "cp1252"):
        try:
            return run.encode(codec).decode("utf-8")
        except (UnicodeEncodeError, UnicodeDecodeError):
            continue
    return run


def repair_double_encoding(text: str) -> str:
    """Undo UTF-8 that was decoded as Latin-1/Windows-1252 and re-encoded ('ObtÃ©n' back to 'Obtén').

    Scraped catalogs carry this damage (the Coursera sample does). Only runs that decode to exactly one
    valid UTF-8 character are replaced, so correct text such as 'Ã la carte' is left alone.
    """
    if not _DOUBLE_ENCODED.search(text):
        return text
    return _DOUBLE_ENCODED.sub(lambda m: _fix_if_single(m), text)


def _fix_if_single(match: re.Match[str]) -> str:
    fixed = _undo_one(match)
    return fixed if len(fixed) == 1 else match.group(0)


def _sniff_delimiter(text: str) -> str:
    """';' for Dutch Excel exports, ',' otherwise (tab when the header is tab-separated), from the header."""
    header = text.split("\n", 1)[0]
    unquoted = re.sub(r'"[^"]*"', "", header)
    counts = {d: unquoted.count(d) for d in (",", ";", "\t")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] > counts[","] else ","


def _check_headers(path: Path, headers: list[str], line: int) -> None:
    if not any(headers):
        raise SourceError(path, f"line {line}: the header row has no column names")
    first_seen: dict[str, int] = {}
    for column, name in enumerate(headers, start=1):
        if not name:
            continue
        key = name.casefold()
        if key in first_seen:
            raise SourceError(
                path, f"line {line}: duplicate header {name!r} (columns {first_seen[key]} and {column})"
            )
        first_seen[key] = column


def _row_dict(headers: list[str], values: list[str]) -> dict[str, str]:
    row = {name: (values[i].strip() if i < len(values) else "") for i, name in enumerate(headers) if name}
    surplus = [v for v in values[len(headers) :] if v.strip()]
    if surplus:
        row[EXTRA_FIELDS_KEY] = str(len(surplus))
    return row


def _line_starts(text: str) -> list[int]:
    """The offset where each physical line starts (line 1 at 0), by the line ends csv knows."""
    return [0] + [match.end() for match in re.finditer(r"\r\n|\r|\n", text)]


def read_csv_rows(path: Path) -> tuple[list[str], Iterator[tuple[int, dict[str, str]]]]:
    """Headers and (line, row) pairs of a CSV file, line being where the record starts (header = 1).

    RFC 4180 quoting (a quoted value may span lines, which the line numbers account for); the delimiter
    is ';' when the header line holds more of them than commas. Blank rows are skipped; values are
    stripped; a row longer than the header carries EXTRA_FIELDS_KEY. A record the reader cannot read
    (a quote never closed swallows the rest of the file) comes as a row holding only BAD_CSV_KEY with
    the reason, and reading goes on at the physical line after the one it started on, so the good rows
    before and after it are kept; a broken header, more than MAX_BAD_CSV_RECORDS broken records, or
    broken records that make it read the file again more than REREAD_LIMIT times, refuse the file.
    """
    text = read_text(path)
    if not text.strip():
        raise SourceError(path, "file is empty")
    csv.field_size_limit(max(csv.field_size_limit(), MAX_FILE_BYTES))
    delimiter = _sniff_delimiter(text)
    starts = _line_starts(text)
    # the reader reads from physical line `first` on; reader.line_num counts from there
    state = {"first": 1, "reread": 0}
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)

    def offset_of(line: int) -> int:
        return starts[line - 1] if line - 1 < len(starts) else len(text)

    def restart(line: int) -> None:
        """Read on from physical line `line`; what the failed reader went through past it is read again."""
        nonlocal reader
        reached = state["first"] + reader.line_num  # the line after the last one the reader took
        state["reread"] += max(0, offset_of(reached) - offset_of(line))
        if state["reread"] > REREAD_LIMIT * len(text):
            raise SourceError(path, f"line {line - 1}: too many records cannot be read as CSV")
        state["first"] = line
        reader = csv.reader(
            io.StringIO(text[offset_of(line) :], newline=""), delimiter=delimiter, strict=True
        )

    def next_row() -> tuple[int, list[str] | str] | None:
        """(line, values), or (line, the reason) for a record that cannot be read; None at the end."""
        start = state["first"] + reader.line_num
        try:
            values = next(reader)
        except StopIteration:
            return None
        except csv.Error as exc:
            restart(start + 1)
            return start, str(exc)
        return start, values

    header_line = 0
    headers: list[str] = []
    while True:
        found = next_row()
        if found is None:
            raise SourceError(path, "file is empty")
        header_line, values = found
        if isinstance(values, str):
            raise SourceError(path, f"line {header_line}: bad CSV: {values}")
        if any(v.strip() for v in values):
            headers = [v.strip() for v in values]
            break
    _check_headers(path, headers, header_line)

    def rows() -> Iterator[tuple[int, dict[str, str]]]:
        count = bad = 0
        while (found := next_row()) is not None:
            line, values = found
            if isinstance(values, str):
                bad += 1
                if bad > MAX_BAD_CSV_RECORDS:
                    raise SourceError(
                        path, f"more than {MAX_BAD_CSV_RECORDS:,} records cannot be read as CSV"
                    )
                yield line, {BAD_CSV_KEY: values}
                continue
            if not any(v.strip() for v in values):
                continue
            count += 1
            if count > MAX_RECORDS:
                raise SourceError(path, f"more than {MAX_RECORDS:,} records; split the file")
            yield line, _row_dict(headers, values)

    return headers, rows()


def _cell_text(value: Any) -> str:
    """A cell as the text a person sees: 3 not '3.0', dates in ISO, durations in minutes."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time(0) else value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, time):
        return f"{value.hour}:{value.minute:02d}" + (f":{value.second:02d}" if value.second else "")
    if isinstance(value, timedelta):
        return f"{round(value.total_seconds() / 60)} min"
    return str(value).strip()


def read_xlsx_rows(path: Path) -> tuple[list[str], Iterator[tuple[int, dict[str, str]]]]:
    """Headers and (row number, row) pairs of the first sheet of an XLSX workbook.

    The header row is the first row with any value; values are stringified as shown in Excel
    (whole numbers without '.0'); line numbers are the spreadsheet's row numbers.
    """
    _check_size(path, MAX_FILE_BYTES)
    from openpyxl import load_workbook  # only the sources that read XLSX pay for the import

    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises zipfile, KeyError, XML and its own errors for bad files
        raise SourceError(path, f"not a valid XLSX workbook ({type(exc).__name__}: {exc})") from exc
    try:
        if not workbook.worksheets:
            raise SourceError(path, "the workbook has no sheets")
        sheet = workbook.worksheets[0]
        row_iter = enumerate(sheet.iter_rows(values_only=True), start=1)
        headers: list[str] = []
        header_line = 0
        for number, values in row_iter:
            texts = [_cell_text(v) for v in values]
            if any(texts):
                headers, header_line = texts, number
                break
    except SourceError:
        workbook.close()
        raise
    except Exception as exc:
        workbook.close()
        raise SourceError(path, f"cannot read the first sheet ({type(exc).__name__}: {exc})") from exc
    if not headers:
        workbook.close()
        raise SourceError(path, "the first sheet is empty")
    try:
        _check_headers(path, headers, header_line)
    except SourceError:
        workbook.close()
        raise

    def rows() -> Iterator[tuple[int, dict[str, str]]]:
        count = 0
        try:
            for number, values in row_iter:
                texts = [_cell_text(v) for v in values]
                if not any(texts):
                    continue
                count += 1
                if count > MAX_RECORDS:
                    raise SourceError(path, f"more than {MAX_RECORDS:,} records; split the file")
                yield number, _row_dict(headers, texts)
        finally:
            workbook.close()

    return headers, rows()


def reject_extra_fields(fields: dict[str, object]) -> None:
    """A record the CSV reader could not read, or a row longer than its header (it usually hides an
    unquoted delimiter): its columns cannot be trusted."""
    broken = fields.get(BAD_CSV_KEY)
    if broken:
        raise RecordRejected(f"bad CSV: {broken}; the rows after it were read on from the next line")
    surplus = fields.get(EXTRA_FIELDS_KEY)
    if surplus:
        raise RecordRejected(
            f"row has {surplus} more field(s) than the header; quote values that contain the delimiter"
        )


def mapped_records(
    path: Path,
    rows: Iterator[tuple[int, dict[str, str]]],
    mapping: dict[str, str],
    constants: dict[str, str] | None = None,
) -> Iterator[RawRecord]:
    """Table rows as records keyed by our field names (`mapping`: field -> header), plus fixed values;
    a row longer than its header keeps EXTRA_FIELDS_KEY so that `to_item` can reject it."""
    for line, row in rows:
        fields: dict[str, Any] = {field: row.get(header, "") for field, header in mapping.items()}
        fields.update(constants or {})
        for key in (EXTRA_FIELDS_KEY, BAD_CSV_KEY):
            if key in row:
                fields[key] = row[key]
        yield RawRecord(line=line, fields=fields, origin=str(path))


def field_text(fields: dict[str, Any], name: str) -> str:
    """A record field as stripped text; missing or empty is ''."""
    return str(fields.get(name) or "").strip()
