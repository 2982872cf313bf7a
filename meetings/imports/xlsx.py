"""Reading the sheet an XLSX workbook opens on, bounded in time and memory.

The workbook is a zip archive: ``_check_zip`` refuses one that is not a
workbook, is encrypted, or would unpack into far more than a sheet (a zip
bomb, XML entity declarations) before any part of it is parsed. The parts
are then read by expat (see ``_Workbook``); ``read_xlsx`` returns the rows as
lists of cell values, for ``reading`` to make a ``Sheet`` of.
"""

import io
import logging
import posixpath
import re
import zipfile
import zlib
from xml.parsers import expat

from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from openpyxl.styles.numbers import (
    BUILTIN_FORMATS,
    is_date_format,
    is_timedelta_format,
)
from openpyxl.utils.cell import range_boundaries
from openpyxl.utils.datetime import (
    CALENDAR_MAC_1904,
    WINDOWS_EPOCH,
    from_excel,
    from_ISO8601,
)
from openpyxl.xml.constants import XLSM, XLSX, XLTM, XLTX

from .sheets import (
    MAX_COLUMNS,
    MAX_ROWS,
    SheetError,
    format_number,
    quote,
    too_long_message,
)

logger = logging.getLogger(__name__)

# An XLSX file is a zip archive. A sign-in sheet of MAX_ROWS rows unpacks to a
# few megabytes; anything far beyond that is a zip bomb, not a sheet.
MAX_XLSX_UNPACKED = 50 * 1024 * 1024
MAX_XLSX_RATIO = 100
MAX_XLSX_MEMBERS = 1000


def _check_zip(data):
    """Refuse a zip that is not an XLSX workbook, or that would unpack into far
    more than a sheet, before any part of it is parsed."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        members = archive.infolist()
    except (zipfile.BadZipFile, ValueError, OSError):
        raise SheetError(gettext("The file is a damaged ZIP/XLSX archive.")) from None
    names = {member.filename for member in members}
    if "mimetype" in names and not any(n.startswith("xl/") for n in names):
        raise SheetError(
            gettext(
                "This is an OpenDocument file. Save it as .xlsx or CSV and upload that."
            )
        )
    if "[Content_Types].xml" not in names or not any(
        name.startswith("xl/") for name in names
    ):
        if any(n.startswith("word/") for n in names):
            raise SheetError(
                gettext("This is a Word document, not an XLSX workbook or CSV file.")
            )
        raise SheetError(
            gettext("This is a ZIP archive, not an XLSX workbook or CSV file.")
        )
    if len(members) > MAX_XLSX_MEMBERS:
        raise SheetError(
            gettext("The workbook has too many parts to be a sign-in sheet.")
        )
    unpacked = 0
    for member in members:
        if member.flag_bits & 0x1:
            raise SheetError(gettext("The workbook is encrypted; remove the password."))
        unpacked += member.file_size
        ratio = member.file_size / max(member.compress_size, 1)
        if member.file_size > 1024 * 1024 and ratio > MAX_XLSX_RATIO:
            raise SheetError(
                gettext(
                    "The workbook part %(part)s unpacks to %(ratio)s times its "
                    "size: refused as a possible zip bomb."
                )
                % {"part": quote(member.filename), "ratio": format_number(round(ratio))}
            )
    # zipfile never returns more than a member's declared size, so the
    # declared sizes bound what can be unpacked.
    if unpacked > MAX_XLSX_UNPACKED:
        raise SheetError(
            gettext(
                "The workbook unpacks to %(size)s MB, more than a sheet of "
                "%(rows)s rows needs: refused as a possible zip bomb."
            )
            % {
                "size": format_number(round(unpacked / 1024 / 1024)),
                "rows": format_number(MAX_ROWS),
            }
        )
    # Spreadsheet XML never declares a document type; entity declarations in
    # one are an attack ("billion laughs"). The parser refuses them too
    # (_refuse_document_type); this says so before any parsing.
    for member in members:
        if not member.filename.endswith((".xml", ".rels", ".vml")):
            continue
        with archive.open(member) as stream:
            tail = b""
            while chunk := stream.read(65536):
                window = (tail + chunk).upper()
                if any(marker in window for marker in _UNSAFE_MARKERS):
                    raise SheetError(str(_UNSAFE_XML))
                tail = chunk[-16:]
    return archive


_UNSAFE_MARKERS = (b"<!DOCTYPE", b"<!ENTITY")
_UNSAFE_XML = _(
    "The workbook contains XML document-type or entity declarations, which "
    "spreadsheets never need: refused as unsafe."
)


def read_xlsx(data):
    """The rows of the sheet a workbook opens on, and notices."""
    try:
        with _check_zip(data) as archive:
            return _Workbook(archive).read()
    except _DAMAGED_XLSX:
        # A damaged archive or part fails in many ways (a bad checksum, a cut
        # deflate stream, malformed XML, a missing part, a cell that does not
        # say what it is); none of them is the editor's to read.
        logger.info("Unreadable XLSX upload", exc_info=True)
        raise SheetError(
            gettext(
                "The file could not be read as an XLSX workbook; it may be damaged. "
                "Open it in Excel and save it again."
            )
        ) from None


_DAMAGED_XLSX = (
    zipfile.BadZipFile,
    zlib.error,
    EOFError,
    NotImplementedError,  # a compression method zipfile does not know
    OSError,
    expat.ExpatError,
    KeyError,
    IndexError,
    ValueError,
    OverflowError,
)

# Reading an XLSX workbook.
#
# openpyxl loads a workbook whole before a row can be read: all its shared
# strings and styles, the size of every sheet (a sheet that does not state it
# is parsed to the end), and every cell of a row however far right it goes.
# A 5 MB upload within every limit held a request for 21.5 s and 110 MB that
# way. The few parts a sign-in sheet needs are read here instead, by expat,
# each element once, within budgets that bound the time (elements parsed, a
# microsecond or two each) and the memory (characters of text, cells kept)
# whatever the workbook holds. A sheet of 10,000 rows of 20 cells is about
# 500,000 elements; its names, emails and titles about 2,000,000 characters.
MAX_XLSX_ELEMENTS = 2_000_000
MAX_XLSX_TEXT = 10_000_000
# Cells kept, counting each row up to its last value (within MAX_COLUMNS).
MAX_XLSX_CELLS = MAX_ROWS * MAX_COLUMNS
_WORKBOOK_TYPES = {XLSX, XLSM, XLTX, XLTM}


def _too_heavy_message():
    return gettext(
        "The workbook holds far more than a sheet of %(rows)s rows needs (cells "
        "formatted far beyond the participants, very long texts, or other large "
        "sheets). Copy the participants' rows into a new workbook, or save the "
        "sheet as “CSV UTF-8”, and upload that."
    ) % {"rows": format_number(MAX_ROWS)}


class _LocalNames(dict):
    """Element names without their namespace: "c" for
    "http://schemas.openxmlformats.org/spreadsheetml/2006/main c"."""

    def __missing__(self, name):
        local = self[name] = name.rpartition(" ")[2]
        return local


class _Stop(Exception):
    """A handler has read what it needs of a part."""


def _refuse_document_type(*args):
    # Spreadsheet XML never declares a document type; entity declarations in
    # one are an attack ("billion laughs"). _check_zip looks for them first.
    raise SheetError(str(_UNSAFE_XML))


class _Workbook:
    """The parts of an XLSX workbook that the sheet it opens on is read from:
    the manifest, the workbook and its relationships, the number formats (to
    tell dates), the shared strings and the worksheet, each parsed once."""

    def __init__(self, archive):
        self.archive = archive
        self.names = set(archive.namelist())
        # Spent of the budgets (MAX_XLSX_ELEMENTS, MAX_XLSX_TEXT).
        self.elements = 0
        self.text = 0

    def parse(self, path, start, end=None, characters=None):
        """Parse the part ``path`` with expat, calling ``start(name, attrs)``
        and ``end(name)`` with local names (no namespace) and
        ``characters(text)``; a handler raises ``_Stop`` when it has read what
        it needs."""
        parser = expat.ParserCreate(namespace_separator=" ")
        parser.buffer_text = True
        parser.StartDoctypeDeclHandler = _refuse_document_type
        parser.EntityDeclHandler = _refuse_document_type
        local = _LocalNames()
        budget = MAX_XLSX_ELEMENTS - self.elements

        def on_start(name, attrs):
            nonlocal budget
            if not budget:
                raise SheetError(_too_heavy_message())
            budget -= 1
            start(local[name], attrs)

        parser.StartElementHandler = on_start
        if end is not None:
            parser.EndElementHandler = lambda name: end(local[name])
        if characters is not None:
            parser.CharacterDataHandler = characters
        try:
            with self.archive.open(path) as stream:
                while chunk := stream.read(65536):
                    parser.Parse(chunk, False)
                parser.Parse(b"", True)
        except _Stop:
            pass
        finally:
            self.elements = MAX_XLSX_ELEMENTS - budget

    def spend_text(self, text):
        self.text += len(text)
        if self.text > MAX_XLSX_TEXT:
            raise SheetError(_too_heavy_message())

    def read(self):
        notices = []
        workbook_path = self.workbook_path()
        sheets, active, epoch = self.workbook(workbook_path)
        folder, name = posixpath.split(workbook_path)
        relations = self.relations(posixpath.join(folder, "_rels", f"{name}.rels"))
        sheets = [
            (title, relations[rid])
            for title, rid in sheets
            if rid in relations and relations[rid][1] in self.names
        ]
        worksheets = [(t, (k, path)) for t, (k, path) in sheets if k == "worksheet"]
        if not worksheets:
            raise SheetError(
                gettext(
                    "The workbook has no worksheet; it may be damaged. Open it in "
                    "Excel and save it again."
                )
            )
        if 0 <= active < len(sheets) and sheets[active][1][0] == "worksheet":
            title, (_kind, path) = sheets[active]
        else:
            title, (_kind, path) = worksheets[0]
        if len(sheets) > 1:
            others = [quote(other) for other, _ in sheets if other != title]
            notices.append(
                gettext("Read the sheet %(sheet)s; other sheets ignored: %(others)s.")
                % {"sheet": quote(title), "others": ", ".join(others)}
            )
        targets = dict(relations.values())
        date_styles, duration_styles = self.number_styles(targets.get("styles"))
        rows, merged, wide = self.worksheet(path, date_styles, duration_styles, epoch)
        if wide:
            notices.append(
                gettext("Only the first %(columns)s columns were read.")
                % {"columns": MAX_COLUMNS}
            )
        # The shared strings are read after the sheet, for the cells it keeps:
        # the table holds the text of every sheet of the workbook.
        needed = {
            value for row in rows.values() for value in row if type(value) is _Shared
        }
        strings = self.shared_strings(targets.get("sharedStrings"), needed)
        for row in rows.values():
            for position, value in enumerate(row):
                if type(value) is _Shared:
                    row[position] = strings[value]
        self.fill_merged(rows, merged)
        last = max(rows, default=0)
        return (rows.get(number, []) for number in range(1, last + 1)), notices

    def workbook_path(self):
        found = []

        def start(name, attrs):
            if name == "Override" and attrs.get("ContentType") in _WORKBOOK_TYPES:
                found.append(attrs.get("PartName", "").lstrip("/"))

        self.parse("[Content_Types].xml", start)
        return found[0] if found else "xl/workbook.xml"

    def workbook(self, path):
        """The sheets (title, relationship id) in order, the index of the one
        the workbook opens on, and the epoch its dates count from."""
        sheets = []
        views = []
        epoch = [WINDOWS_EPOCH]

        def start(name, attrs):
            if name == "sheet":
                # r:id, whatever the prefix or the namespace's version.
                rid = next((v for k, v in attrs.items() if k.endswith(" id")), None)
                sheets.append((attrs.get("name", ""), rid))
            elif name == "workbookView":
                views.append(int(attrs.get("activeTab", 0)))
            elif name == "workbookPr" and attrs.get("date1904") in ("1", "true"):
                epoch[0] = CALENDAR_MAC_1904

        def end(name):
            # What follows (defined names, external links, caches) is not
            # needed and may be large.
            if name == "sheets":
                raise _Stop

        self.parse(path, start, end)
        return sheets, views[0] if views else 0, epoch[0]

    def relations(self, path):
        """Relationship id -> (kind, part path) of the part whose
        relationships ``path`` holds."""
        relations = {}
        if path not in self.names:
            return relations
        # Targets are relative to the folder of the part they belong to.
        folder = posixpath.dirname(posixpath.dirname(path))

        def start(name, attrs):
            if name != "Relationship" or attrs.get("TargetMode") == "External":
                return
            target = attrs.get("Target", "")
            if target.startswith("/"):
                target = target[1:]
            else:
                target = posixpath.normpath(posixpath.join(folder, target))
            kind = attrs.get("Type", "").rpartition("/")[2]
            relations[attrs.get("Id")] = (kind, target)

        self.parse(path, start)
        return relations

    def number_styles(self, path):
        """The indices of the cell styles whose number format is a date, and
        of those that are a duration, as openpyxl tells them."""
        custom = {}
        formats = []
        if path in self.names:

            def start(name, attrs):
                if name == "numFmt":
                    custom[int(attrs.get("numFmtId", 0))] = attrs.get("formatCode")
                elif name == "xf" and in_cell_xfs and len(formats) < 65_536:
                    # Excel makes at most 64,000 cell styles.
                    formats.append(int(attrs.get("numFmtId", 0)))
                elif name == "cellXfs":
                    in_cell_xfs.append(True)

            def end(name):
                # Fonts, borders and named styles come later, and may be many.
                if name == "cellXfs":
                    raise _Stop

            in_cell_xfs = []
            self.parse(path, start, end)
        dates, durations = set(), set()
        for index, number_format in enumerate(formats):
            code = custom.get(number_format) or BUILTIN_FORMATS.get(number_format)
            if is_date_format(code):
                dates.add(index)
            if is_timedelta_format(code):
                durations.add(index)
        return dates, durations

    def shared_strings(self, path, needed):
        """The shared strings whose index is in ``needed``, by index."""
        strings = {}
        if path not in self.names or not needed:
            return strings
        parts = []
        state = {"index": -1, "text": False, "phonetic": False}

        def start(name, attrs):
            if name == "si":
                state["index"] += 1
            elif name == "t":
                state["text"] = not state["phonetic"] and state["index"] in needed
            elif name == "rPh":
                state["phonetic"] = True

        def end(name):
            if name == "si":
                if state["index"] in needed:
                    strings[state["index"]] = "".join(parts)
                parts.clear()
            elif name == "t":
                state["text"] = False
            elif name == "rPh":
                state["phonetic"] = False

        def characters(text):
            if state["text"]:
                self.spend_text(text)
                parts.append(text)

        self.parse(path, start, end, characters)
        return strings

    def worksheet(self, path, date_styles, duration_styles, epoch):
        """The sheet's rows with a value, by row number, each a list of
        values up to its last one; its merged ranges; whether it has values
        beyond MAX_COLUMNS.

        Values are what openpyxl reads with ``data_only=True``: text, numbers,
        booleans, dates and times for numbers in a date format, a formula's
        last result; a shared string is its index (``_Shared``)."""
        rows = {}
        merged = []
        limit = 10 * MAX_ROWS
        # The cell being read: its row; its column, or the reference it is
        # told from when needed (most cells of a heavy sheet are empty); its
        # type and style; whether text is being read and is the cell's.
        cell = {"row": 0, "column": 0, "reference": None, "type": None, "style": None}
        cell.update(reading=False, inline=False, phonetic=False, kept=0, wide=False)
        parts = []

        def column():
            if cell["reference"] is not None:
                cell["column"] = _column_number(cell["reference"])
                cell["reference"] = None
            return cell["column"]

        def start(name, attrs):
            if name == "c":
                reference = attrs.get("r")
                if reference is None:
                    cell["column"] = column() + 1
                cell["reference"] = reference
                cell["type"] = attrs.get("t")
                cell["style"] = attrs.get("s")
                parts.clear()
            elif name == "v" or (
                name == "t" and cell["inline"] and not cell["phonetic"]
            ):
                cell["reading"] = column() <= MAX_COLUMNS
                if not cell["reading"]:
                    cell["wide"] = True
            elif name == "is":
                cell["inline"] = True
            elif name == "rPh":
                cell["phonetic"] = True
            elif name == "row":
                number = attrs.get("r")
                cell["row"] = _row_number(number) if number else cell["row"] + 1
                cell["column"] = 0
                cell["reference"] = None
            elif name == "mergeCell" and attrs.get("ref"):
                merged.append(attrs["ref"])

        def end(name):
            if name == "c":
                cell["inline"] = False
                if not parts:
                    return
                value = _xlsx_value(
                    "".join(parts),
                    cell["type"] or "n",
                    int(cell["style"] or 0),
                    date_styles,
                    duration_styles,
                    epoch,
                )
                if value is None or value == "":
                    return
                number = cell["row"]
                if number > limit:
                    raise SheetError(too_long_message())
                row = rows.setdefault(number, [])
                position = column()
                if position > len(row):
                    cell["kept"] += position - len(row)
                    if cell["kept"] > MAX_XLSX_CELLS:
                        raise SheetError(_too_heavy_message())
                    row.extend([None] * (position - len(row)))
                row[position - 1] = value
            elif name in ("v", "t"):
                cell["reading"] = False
            elif name == "rPh":
                cell["phonetic"] = False

        def characters(text):
            if cell["reading"]:
                if cell["type"] == "inlineStr":
                    self.spend_text(text)
                parts.append(text)

        self.parse(path, start, end, characters)
        return rows, merged, cell["wide"]

    @staticmethod
    def fill_merged(rows, merged):
        """Merged cells hold their value in the first cell only: an
        organisation written once beside its three representatives belongs
        to all three."""
        last = max(rows, default=0)
        # Cells looked at and added: ranges may span every row, many times.
        work = 0
        for reference in merged:
            min_col, min_row, max_col, max_row = range_boundaries(reference)
            min_col, min_row = min_col or 1, min_row or 1
            max_col = min(max_col or MAX_COLUMNS, MAX_COLUMNS)
            max_row = min(max_row or last, last)
            top = rows.get(min_row, [])
            value = top[min_col - 1] if min_col - 1 < len(top) else None
            if value is None or min_col > max_col:
                continue
            for number in range(min_row, max_row + 1):
                row = rows.get(number)
                work += 1 + (len(row) if row else 0)
                if work > MAX_XLSX_CELLS:
                    raise SheetError(_too_heavy_message())
                # A row empty but for the merged cell is an empty row.
                if not row or not any(
                    cell not in (None, "")
                    for position, cell in enumerate(row)
                    if not min_col - 1 <= position < max_col
                ):
                    continue
                if len(row) < max_col:
                    work += max_col - len(row)
                    row.extend([None] * (max_col - len(row)))
                for column in range(min_col - 1, max_col):
                    if row[column] in (None, ""):
                        row[column] = value


_COLUMN_LETTERS = re.compile("[A-Z]{1,3}")
_column_numbers = {}


def _column_number(reference):
    """The column number of a cell reference: 28 for "AB12"."""
    letters = _COLUMN_LETTERS.match(reference)
    if letters is None:
        raise ValueError(f"Not a cell reference: {reference!r}")
    letters = letters.group()
    number = _column_numbers.get(letters)
    if number is None:
        number = 0
        for letter in letters:
            number = number * 26 + ord(letter) - 64
        _column_numbers[letters] = number
    return number


def _row_number(text):
    number = float(text) if "." in text else int(text)
    if number != int(number) or number < 1:
        raise ValueError(f"Not a row number: {text!r}")
    return int(number)


class _Shared(int):
    """The index of a shared string in a cell, until the string is read."""

    __slots__ = ()


def _xlsx_value(text, kind, style, date_styles, duration_styles, epoch):
    """The value of a cell from the text of its ``<v>`` (or inline string)."""
    if kind == "inlineStr":
        return text
    if kind == "s":
        return _Shared(text)
    if kind in ("str", "e"):
        return text
    if kind == "b":
        return bool(int(text))
    if kind == "d":
        return from_ISO8601(text)
    if not text:
        return None
    number = float(text) if "." in text or "e" in text.lower() else int(text)
    if style in date_styles:
        try:
            return from_excel(number, epoch, timedelta=style in duration_styles)
        except (OverflowError, ValueError):
            return "#VALUE!"
    return number
