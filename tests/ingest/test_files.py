"""Reading files: encodings, size and binary refusals, CSV line numbers, XLSX rows."""

from __future__ import annotations

from datetime import datetime, time
from pathlib import Path

import pytest
from openpyxl import Workbook

from ingest import files
from ingest.files import (
    BAD_CSV_KEY,
    EXTRA_FIELDS_KEY,
    MAX_BAD_CSV_RECORDS,
    MAX_FILE_BYTES,
    MAX_RECORDS,
    read_csv_rows,
    read_text,
    read_xlsx_rows,
)
from ingest.records import SourceError

DUTCH = "Titel;Prijs;Omschrijving\nCafé-training;€ 25;Een cursus over ideeën en België\n"


def test_limits() -> None:
    assert MAX_FILE_BYTES == 50 * 1024 * 1024
    assert MAX_RECORDS == 200_000


def test_utf8_with_and_without_bom(tmp_path: Path) -> None:
    plain = tmp_path / "plain.csv"
    plain.write_bytes(DUTCH.encode("utf-8"))
    bom = tmp_path / "bom.csv"
    bom.write_bytes(b"\xef\xbb\xbf" + DUTCH.encode("utf-8"))
    assert read_text(plain) == DUTCH
    assert read_text(bom) == DUTCH


def test_windows_1252_dutch_file_is_read_correctly(tmp_path: Path) -> None:
    path = tmp_path / "excel.csv"
    path.write_bytes(DUTCH.encode("cp1252"))
    text = read_text(path)
    assert text == DUTCH
    assert "é" in text and "ë" in text and "€" in text


def test_undefined_windows_1252_byte_is_refused_with_its_offset(tmp_path: Path) -> None:
    path = tmp_path / "latin.csv"
    path.write_bytes(b"naam,prijs\ncaf\xe9,10\nstra\x81e,5\n")
    with pytest.raises(SourceError) as info:
        read_text(path)
    reason = info.value.reason
    assert "not UTF-8 or Windows-1252" in reason
    assert "offset 14" in reason  # the first byte that is not UTF-8 (0xE9)
    assert "0x81 at offset 23" in reason  # the byte Windows-1252 leaves undefined
    assert "line 3" in reason


def test_utf8_file_with_a_stray_byte_is_never_decoded_as_cp1252(tmp_path: Path) -> None:
    path = tmp_path / "mixed.csv"
    path.write_bytes("titel\ncafé\n".encode() + b"na\xefve\n")
    with pytest.raises(SourceError) as info:
        read_text(path)
    assert "not valid UTF-8" in info.value.reason
    assert "offset 14" in info.value.reason


def test_binary_and_utf16_files_are_refused(tmp_path: Path) -> None:
    binary = tmp_path / "image.csv"
    binary.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    with pytest.raises(SourceError, match="binary"):
        read_text(binary)
    utf16 = tmp_path / "unicode.csv"
    utf16.write_bytes("titel\ncafé\n".encode("utf-16"))
    with pytest.raises(SourceError, match="UTF-16"):
        read_text(utf16)


def test_oversized_file_is_refused_naming_size_and_limit(tmp_path: Path) -> None:
    path = tmp_path / "big.csv"
    path.write_bytes(b"a" * 2048)
    with pytest.raises(SourceError) as info:
        read_text(path, max_bytes=1000)
    assert "2,048 bytes" in info.value.reason
    assert "1,000 bytes" in info.value.reason


def test_missing_file_is_a_source_error(tmp_path: Path) -> None:
    with pytest.raises(SourceError, match="cannot read"):
        read_text(tmp_path / "nope.csv")


# -- CSV -----------------------------------------------------------------------------------------


def test_csv_rows_with_multiline_quoted_fields_keep_physical_line_numbers(tmp_path: Path) -> None:
    path = tmp_path / "rows.csv"
    path.write_text(
        ' id , title ,description\n1,One,"first\nsecond\nthird line"\n\n'
        '2,Two,"say ""hi"""\r\n3,Three,plain\n',
        encoding="utf-8",
    )
    headers, rows = read_csv_rows(path)
    assert headers == ["id", "title", "description"]
    got = list(rows)
    assert [line for line, _ in got] == [2, 6, 7]
    assert got[0][1]["description"] == "first\nsecond\nthird line"
    assert got[1][1]["description"] == 'say "hi"'


def test_csv_semicolon_delimiter_is_sniffed_from_the_header(tmp_path: Path) -> None:
    path = tmp_path / "nl.csv"
    path.write_bytes("Titel;Duur;Omschrijving\nExcel, de basis;45 min;Tabellen, grafieken\n".encode("cp1252"))
    headers, rows = read_csv_rows(path)
    assert headers == ["Titel", "Duur", "Omschrijving"]
    assert list(rows) == [
        (2, {"Titel": "Excel, de basis", "Duur": "45 min", "Omschrijving": "Tabellen, grafieken"})
    ]


def test_csv_short_and_long_rows(tmp_path: Path) -> None:
    path = tmp_path / "ragged.csv"
    path.write_text("a,b,c\n1\n1,2,3,4,5\n", encoding="utf-8")
    _, rows = read_csv_rows(path)
    got = dict(rows)
    assert got[2] == {"a": "1", "b": "", "c": ""}
    assert got[3][EXTRA_FIELDS_KEY] == "2"


@pytest.mark.parametrize("content", ["", "   \n\n"])
def test_empty_csv_is_refused(tmp_path: Path, content: str) -> None:
    path = tmp_path / "empty.csv"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(SourceError, match="empty"):
        read_csv_rows(path)


def test_duplicate_headers_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "dup.csv"
    path.write_text("title,url,Title\nx,y,z\n", encoding="utf-8")
    with pytest.raises(SourceError, match="duplicate header 'Title'.*columns 1 and 3"):
        read_csv_rows(path)


def test_a_broken_record_is_named_and_the_rows_around_it_are_kept(tmp_path: Path) -> None:
    """A quote never closed swallowed the rest of the file, and the whole file was refused."""
    path = tmp_path / "bad.csv"
    path.write_text('a,b\n1,2\n3,"unterminated\n4,5\n"x"y,3\n6,"multi\nline"\n', encoding="utf-8")
    _, rows = read_csv_rows(path)
    read = list(rows)
    assert [line for line, _ in read] == [2, 3, 4, 5, 6]
    assert read[0][1] == {"a": "1", "b": "2"} and read[2][1] == {"a": "4", "b": "5"}
    assert read[4][1] == {"a": "6", "b": "multi\nline"}
    assert set(read[1][1]) == {BAD_CSV_KEY} and read[1][1][BAD_CSV_KEY]
    assert set(read[3][1]) == {BAD_CSV_KEY}


def test_a_broken_header_or_a_file_of_broken_records_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_text('"a,b\n1,2\n', encoding="utf-8")
    with pytest.raises(SourceError, match="line 1: bad CSV"):
        read_csv_rows(path)
    path.write_text("a,b\n" + '"x"y,1\n' * (MAX_BAD_CSV_RECORDS + 1), encoding="utf-8")
    _, rows = read_csv_rows(path)
    with pytest.raises(SourceError, match="cannot be read as CSV"):
        list(rows)


def test_reading_a_file_again_after_broken_records_is_bounded(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A quote never closed is read to the end before it is found out; past REREAD_LIMIT readings of
    the file in all, it is refused (here the limit is 0, so one such quote is enough)."""
    monkeypatch.setattr(files, "REREAD_LIMIT", 0)
    path = tmp_path / "open.csv"
    path.write_text('a,b\n1,"open\n' + "2,3\n" * 100, encoding="utf-8")
    _, rows = read_csv_rows(path)
    with pytest.raises(SourceError, match="line 2: too many records cannot be read as CSV"):
        list(rows)


def test_a_few_broken_rows_at_the_top_of_a_long_file_cost_no_refusal(tmp_path: Path) -> None:
    path = tmp_path / "long.csv"
    path.write_text("a,b\n" + '"x"y,1\n' * 20 + "2,3\n" * 10_000, encoding="utf-8")
    _, rows = read_csv_rows(path)
    read = list(rows)
    assert sum(BAD_CSV_KEY in row for _, row in read) == 20 and len(read) == 10_020


# -- XLSX ----------------------------------------------------------------------------------------


def test_xlsx_rows(tmp_path: Path) -> None:
    workbook = Workbook()
    sheet = workbook.active
    sheet["A2"] = "Titel"
    sheet["B2"] = "Duur"
    sheet["C2"] = "Datum"
    sheet["D2"] = "Tijd"
    sheet.append(["Feedback geven", 45, datetime(2024, 5, 1), time(0, 45)])
    sheet.append([None, None, None, None])
    sheet.append(["Timemanagement", 1.5, datetime(2024, 5, 1, 9, 30), None])
    path = tmp_path / "export.xlsx"
    workbook.save(path)

    headers, rows = read_xlsx_rows(path)
    assert headers == ["Titel", "Duur", "Datum", "Tijd"]
    got = list(rows)
    assert [line for line, _ in got] == [3, 5]
    assert got[0][1] == {"Titel": "Feedback geven", "Duur": "45", "Datum": "2024-05-01", "Tijd": "0:45"}
    assert got[1][1]["Duur"] == "1.5"
    assert got[1][1]["Datum"] == "2024-05-01T09:30:00"


def test_not_an_xlsx_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "fake.xlsx"
    path.write_text("Titel,Duur\nx,5\n", encoding="utf-8")
    with pytest.raises(SourceError, match="not a valid XLSX"):
        read_xlsx_rows(path)


def test_empty_xlsx_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "empty.xlsx"
    Workbook().save(path)
    with pytest.raises(SourceError, match="empty"):
        read_xlsx_rows(path)


def test_double_encoded_utf8_is_repaired_and_correct_text_left_alone(tmp_path: Path) -> None:
    from ingest.files import repair_double_encoding

    damaged = "Obtén las habilidades más útiles “ahora”".encode().decode("latin-1")
    assert repair_double_encoding(damaged) == "Obtén las habilidades más útiles “ahora”"
    for fine in ("Ã la carte", "café, één, reçu", "ÂÃ"):
        assert repair_double_encoding(fine) == fine
    path = tmp_path / "scraped.csv"
    path.write_bytes("title\nIntroducción\n".encode().decode("latin-1").encode("utf-8"))
    assert read_text(path) == "title\nIntroducción\n"


def test_a_quote_never_closed_at_the_end_loses_only_its_own_row(tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_text('a,b\n1,2\n3,"never closed\n4,5\n', encoding="utf-8")
    _, rows = read_csv_rows(path)
    read = list(rows)
    assert [(line, row.get("a")) for line, row in read] == [(2, "1"), (3, None), (4, "4")]
    assert "unexpected end of data" in read[1][1][BAD_CSV_KEY]
