"""Reads uploaded spreadsheets (CSV and XLSX) into rows of cell values for the archive import.

CSV files saved by Excel on Chinese Windows are GBK/GB18030, elsewhere UTF-8 (often with a BOM): both
are accepted. XLSX is read with openpyxl in read-only mode (streamed; formulas as their cached values),
first sheet only.
"""

from __future__ import annotations

import csv
import io
import zipfile
from typing import Any

from chalicelib.services.ports import UnreadableSheet

MAX_COLUMNS = 60
_ENCODINGS = ("utf-8-sig", "gb18030")


class SpreadsheetFiles:
    """Implements ``SpreadsheetReader``."""

    def rows(self, data: bytes, kind: str, max_rows: int) -> list[list[Any]]:
        if kind == "csv":
            return _csv_rows(data, max_rows)
        if kind == "xlsx":
            return _xlsx_rows(data, max_rows)
        raise UnreadableSheet(kind)


def _csv_rows(data: bytes, max_rows: int) -> list[list[Any]]:
    if b"\x00" in data[:4096]:
        raise UnreadableSheet("binary data is not CSV")
    for encoding in _ENCODINGS:
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise UnreadableSheet("unknown text encoding")
    sample = text[:4096]
    try:
        dialect: Any = csv.Sniffer().sniff(sample, delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    rows = []
    try:
        for row in csv.reader(io.StringIO(text, newline=""), dialect):
            rows.append(row[:MAX_COLUMNS])
            if len(rows) > max_rows:
                break
    except csv.Error as error:
        raise UnreadableSheet(str(error)) from None
    return rows


def _xlsx_rows(data: bytes, max_rows: int) -> list[list[Any]]:
    from openpyxl import load_workbook  # imported on use: only imports need it, and it is not small

    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError, TypeError) as error:
        raise UnreadableSheet(str(error)) from None
    try:
        sheet = workbook.worksheets[0]
        rows = []
        for row in sheet.iter_rows(values_only=True, max_col=MAX_COLUMNS):
            rows.append(list(row))
            if len(rows) > max_rows:
                break
        return rows
    except Exception as error:  # a damaged part of the file shows only while reading it
        raise UnreadableSheet(str(error)) from None
    finally:
        workbook.close()
