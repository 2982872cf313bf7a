"""Streamed CSV and XLSX downloads of a filtered list.

Rows are read from the database in chunks and written out as they come, so memory
does not grow with the number of rows. Every text cell that a spreadsheet would
run as a formula is neutralised first.
"""

import csv
import datetime
import tempfile

from django.http import FileResponse, StreamingHttpResponse
from django.utils import timezone
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

# A spreadsheet runs a cell starting with one of these as a formula (the
# full-width forms too, which some spreadsheets read as the ASCII ones).
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r", "\n", "＝", "＋", "－", "＠")
CHUNK_SIZE = 2000


def neutralise(value):
    """Text that a spreadsheet would run as a formula, prefixed with an
    apostrophe so that it is shown as text; anything else unchanged."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def cell(value):
    """A Python value as a spreadsheet cell: local naive datetimes (XLSX has no
    time zones), text for everything that is not a number or a date."""
    if value is None:
        return ""
    if isinstance(value, datetime.datetime):
        return timezone.localtime(value).replace(tzinfo=None)
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int | float | datetime.date):
        return value
    # Control characters (Word's manual line break is \x0b) are not allowed in
    # an XLSX file and carry nothing in a CSV one.
    return neutralise(ILLEGAL_CHARACTERS_RE.sub(" ", str(value)))


def export_rows(queryset, columns):
    """Yield one list of cells per object of ``queryset``, read in chunks (with
    its prefetches, per chunk). ``columns`` is a list of (header, accessor)."""
    for obj in queryset.iterator(chunk_size=CHUNK_SIZE):
        yield [cell(accessor(obj)) for _header, accessor in columns]


class _Echo:
    """A file-like object that hands back what is written, for csv.writer."""

    def write(self, value):
        return value


def csv_response(queryset, columns, filename):
    writer = csv.writer(_Echo())

    def lines():
        # A byte-order mark, so that Excel reads Cyrillic names as UTF-8.
        yield "\ufeff" + writer.writerow([header for header, _accessor in columns])
        for row in export_rows(queryset, columns):
            yield writer.writerow(
                [
                    v.isoformat(sep=" ") if isinstance(v, datetime.datetime) else v
                    for v in row
                ]
            )

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}.csv"'
    return response


def xlsx_response(queryset, columns, filename):
    """The workbook is written row by row to a temporary file (openpyxl's
    write-only mode keeps no rows in memory), then streamed from it."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(filename[:31])
    sheet.append([str(header) for header, _accessor in columns])
    for row in export_rows(queryset, columns):
        sheet.append(row)
    output = tempfile.TemporaryFile()  # noqa: SIM115 - FileResponse closes it
    workbook.save(output)
    output.seek(0)
    return FileResponse(
        output,
        as_attachment=True,
        filename=f"{filename}.xlsx",
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
