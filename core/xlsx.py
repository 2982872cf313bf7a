"""An XLSX workbook of one sheet, written as a stream of bytes while its rows
are read.

openpyxl (and XlsxWriter) assemble the zip file only when the workbook is
saved, so the first byte of an export left the server after its last row was
read: 43 s for the people at XL, past gunicorn's worker timeout (issue 18).
Here the zip is written to a sink that the response drains as it goes
(``zipfile`` writes data descriptors when its file cannot seek), and the
sheet's XML is written a chunk of rows at a time, so the first bytes leave
within the first chunk and memory stays at one chunk.

Cells are what ``core.exports.cell`` makes of a value: text (written inline,
not in a shared-strings table, which would need every string before the
sheet), int, float, date or naive datetime (serial numbers with a date
format, as openpyxl writes them).
"""

import datetime
import zipfile
from xml.sax.saxutils import escape

from django.utils.translation import gettext

CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

# Fast to write and still about a tenth of the XML's size; the default level
# (6) doubled the time of a 100,000-row export for 10% less.
COMPRESS_LEVEL = 1

EPOCH = datetime.datetime(1899, 12, 30)
# Cell styles: 0 plain, 1 date and time, 2 date (styles.xml below).
DATETIME_STYLE, DATE_STYLE = 1, 2

_XML = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
_PACKAGE = "http://schemas.openxmlformats.org/package/2006"
_RELATIONS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml"

_CONTENT_TYPES = (
    f'{_XML}<Types xmlns="{_PACKAGE}/content-types">'
    '<Default Extension="rels" '
    'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    f'<Override PartName="/xl/workbook.xml" ContentType="{_TYPE}.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" '
    f'ContentType="{_TYPE}.worksheet+xml"/>'
    f'<Override PartName="/xl/styles.xml" ContentType="{_TYPE}.styles+xml"/>'
    "</Types>"
)
_ROOT_RELS = (
    f'{_XML}<Relationships xmlns="{_PACKAGE}/relationships">'
    f'<Relationship Id="rId1" Type="{_RELATIONS}/officeDocument" '
    'Target="xl/workbook.xml"/></Relationships>'
)
_WORKBOOK = (
    f'{_XML}<workbook xmlns="{_MAIN}" xmlns:r="{_RELATIONS}">'
    '<sheets><sheet name="{name}" sheetId="1" r:id="rId1"/></sheets></workbook>'
)
_WORKBOOK_RELS = (
    f'{_XML}<Relationships xmlns="{_PACKAGE}/relationships">'
    f'<Relationship Id="rId1" Type="{_RELATIONS}/worksheet" '
    'Target="worksheets/sheet1.xml"/>'
    f'<Relationship Id="rId2" Type="{_RELATIONS}/styles" Target="styles.xml"/>'
    "</Relationships>"
)
_XF = 'fontId="0" fillId="0" borderId="0"'
_STYLES = (
    f'{_XML}<styleSheet xmlns="{_MAIN}">'
    '<numFmts count="2"><numFmt numFmtId="164" formatCode="yyyy-mm-dd h:mm:ss"/>'
    '<numFmt numFmtId="165" formatCode="yyyy-mm-dd"/></numFmts>'
    '<fonts count="1"><font><sz val="11"/><name val="Calibri"/></font></fonts>'
    '<fills count="2"><fill><patternFill patternType="none"/></fill>'
    '<fill><patternFill patternType="gray125"/></fill></fills>'
    '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/>'
    "</border></borders>"
    f'<cellStyleXfs count="1"><xf numFmtId="0" {_XF}/></cellStyleXfs>'
    f'<cellXfs count="3"><xf numFmtId="0" {_XF} xfId="0"/>'
    f'<xf numFmtId="164" {_XF} xfId="0" applyNumberFormat="1"/>'
    f'<xf numFmtId="165" {_XF} xfId="0" applyNumberFormat="1"/></cellXfs>'
    '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/>'
    "</cellStyles></styleSheet>"
)
_SHEET_START = f'{_XML}<worksheet xmlns="{_MAIN}">{{views}}{{columns}}<sheetData>'
_SHEET_END = "</sheetData></worksheet>"


class _Sink:
    """A write-only file for ``zipfile``: what is written waits in memory
    until ``take()``. No ``seek`` or ``tell``, so zipfile streams."""

    def __init__(self):
        self.parts = []

    def write(self, data):
        self.parts.append(bytes(data))
        return len(data)

    def flush(self):
        pass

    def take(self):
        data = b"".join(self.parts)
        self.parts = []
        return data


def _text(value):
    # Leading or trailing spaces survive only with xml:space="preserve".
    if value[:1].isspace() or value[-1:].isspace():
        return (
            f'<c t="inlineStr"><is><t xml:space="preserve">{escape(value)}</t></is></c>'
        )
    return f'<c t="inlineStr"><is><t>{escape(value)}</t></is></c>'


def _cell(value):
    if isinstance(value, str):
        return _text(value) if value else "<c/>"
    if isinstance(value, bool):  # before int: a bool is an int
        return _text(gettext("yes") if value else gettext("no"))
    if isinstance(value, int | float):
        return f"<c><v>{value!r}</v></c>"
    if isinstance(value, datetime.datetime):
        serial = (value - EPOCH).total_seconds() / 86400
        return f'<c s="{DATETIME_STYLE}"><v>{serial!r}</v></c>'
    if isinstance(value, datetime.date):
        serial = (value - EPOCH.date()).days
        return f'<c s="{DATE_STYLE}"><v>{serial}</v></c>'
    if value is None:
        return "<c/>"
    return _text(str(value))


def rows_xml(rows):
    """The ``<row>`` elements of ``rows`` (sequences of cells), as text."""
    return "".join(f"<row>{''.join(map(_cell, row))}</row>" for row in rows)


def sheet_name(name):
    """A name Excel accepts for a sheet: at most 31 characters, none of
    ``[]:*?/\\``."""
    cleaned = "".join(" " if c in "[]:*?/\\" else c for c in name).strip("' ")
    return escape(cleaned[:31] or "Sheet1", {'"': "&quot;"})


def column_letters(number):
    """The letters of the column ``number`` (1 is A, 27 is AA)."""
    letters = ""
    while number:
        number, rest = divmod(number - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return letters


def sheet_views(freeze):
    """The ``<sheetViews>`` that keep the first ``columns`` and ``rows`` of
    ``freeze`` (a pair) in view as the rest scrolls, or nothing."""
    if not freeze or not any(freeze):
        return ""
    columns, rows = freeze
    corner = f"{column_letters(columns + 1)}{rows + 1}"
    if columns and rows:
        pane = "bottomRight"
    else:
        pane = "topRight" if columns else "bottomLeft"
    split = (f' xSplit="{columns}"' if columns else "") + (
        f' ySplit="{rows}"' if rows else ""
    )
    return (
        '<sheetViews><sheetView workbookViewId="0">'
        f'<pane{split} topLeftCell="{corner}" activePane="{pane}" state="frozen"/>'
        f'<selection pane="{pane}" activeCell="{corner}" sqref="{corner}"/>'
        "</sheetView></sheetViews>"
    )


def column_widths(widths):
    """The ``<cols>`` giving each column its width in ``widths`` (characters,
    from the first column; None leaves one as it is), or nothing."""
    columns = "".join(
        f'<col min="{number}" max="{number}" width="{width}" customWidth="1"/>'
        for number, width in enumerate(widths or (), start=1)
        if width
    )
    return f"<cols>{columns}</cols>" if columns else ""


def stream(name, chunks, *, on_error=None, freeze=None, widths=None):
    """Yield the bytes of a workbook whose only sheet, ``name``, holds the
    rows of ``chunks`` (an iterable of lists of rows), a chunk at a time.
    ``freeze``, a pair (columns, rows), keeps that many first columns and
    rows in view as the sheet scrolls (a header row, a column of names);
    ``widths``, the columns' widths in characters (``column_widths``).

    If reading ``chunks`` raises, ``on_error(exception)`` gives the rows to
    end the sheet with (what the reader is told) and the workbook is closed as
    a valid file of the rows written so far; without ``on_error`` the
    exception propagates and the download breaks off."""
    sink = _Sink()
    archive = zipfile.ZipFile(
        sink, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=COMPRESS_LEVEL
    )
    for part, text in (
        ("[Content_Types].xml", _CONTENT_TYPES),
        ("_rels/.rels", _ROOT_RELS),
        ("xl/workbook.xml", _WORKBOOK.format(name=sheet_name(name))),
        ("xl/_rels/workbook.xml.rels", _WORKBOOK_RELS),
        ("xl/styles.xml", _STYLES),
    ):
        archive.writestr(part, text)
    sheet = archive.open("xl/worksheets/sheet1.xml", "w", force_zip64=True)
    start = _SHEET_START.format(
        views=sheet_views(freeze), columns=column_widths(widths)
    )
    sheet.write(start.encode())
    yield sink.take()
    try:
        for rows in chunks:
            sheet.write(rows_xml(rows).encode())
            data = sink.take()
            if data:
                yield data
    except Exception as error:
        if on_error is None:
            raise
        sheet.write(rows_xml(on_error(error)).encode())
    sheet.write(_SHEET_END.encode())
    sheet.close()
    archive.close()
    yield sink.take()
