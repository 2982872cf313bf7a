"""Reading a sign-in sheet: ``read_sheet`` turns the bytes of a CSV or XLSX
file into a ``Sheet``, which column holds what and the cleaned rows.

A file that is too big, too long, not really CSV or XLSX, hostile (zip bomb,
XML entities) or in an encoding that cannot be told without guessing is
refused here with ``SheetError``, before any row is looked at. CSV files are
decoded here (UTF-8, UTF-16, the Windows code pages, the delimiter);
workbooks are read by ``xlsx``. Either gives a table of cells, whose header
row is found (``words``) and whose rows are checked and cleaned.
"""

import csv
import io
import re
import unicodedata
from datetime import date, datetime, time

from charset_normalizer import from_bytes
from django.utils.text import get_text_list
from django.utils.translation import gettext, ngettext, pgettext
from django.utils.translation import gettext_lazy as _
from openpyxl.utils.cell import get_column_letter

from .sheets import (
    FIELD_LABELS,
    MAX_FILE_SIZE,
    MAX_LENGTHS,
    MAX_ROWS,
    NAME,
    NAME_PARTS,
    ORGANISATION,
    ROLE,
    STATUS,
    Sheet,
    SheetError,
    SheetRow,
    format_number,
    quote,
    too_big_message,
    too_long_message,
)
from .words import header_field
from .xlsx import read_xlsx

# Rows above the header (a title, the date) are skipped; the header must be
# among the first rows.
HEADER_SEARCH_ROWS = 20


def read_sheet(data, filename):
    """Read a sign-in sheet from the bytes of a CSV or XLSX file.

    The format is told from the content, not the file name. Raises
    ``SheetError`` with a message for the editor when the file is refused.
    """
    if len(data) > MAX_FILE_SIZE:
        raise SheetError(too_big_message(len(data)))
    if not data.strip():
        raise SheetError(gettext("The file is empty."))
    if data.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        table, notices = read_xlsx(data)
    elif data.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        raise SheetError(
            gettext(
                "This is an Excel 97–2003 (.xls) or password-protected workbook. "
                "Remove the password, save it as .xlsx or CSV, and upload that."
            )
        )
    elif data.startswith(b"%PDF"):
        raise SheetError(
            gettext("This is a PDF document, not a CSV or XLSX spreadsheet.")
        )
    else:
        table, notices = _read_csv(data)
    return _sheet_from_table(table, filename, notices)


def _decode(data):
    """The text of a CSV file and, when it was not UTF-8, a notice saying how
    it was read. Refuses what cannot be read without guessing."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        # Excel's "Unicode Text" export.
        try:
            return data.decode("utf-16"), None
        except UnicodeDecodeError:
            raise SheetError(
                gettext(
                    "The file starts as UTF-16 text but is damaged; save it again "
                    "as “CSV UTF-8”."
                )
            ) from None
    if b"\x00" in data[:8192]:
        raise SheetError(
            gettext("This is not a CSV or XLSX file (it holds binary data).")
        )
    try:
        return data.decode("utf-8-sig"), None
    except UnicodeDecodeError as error:
        utf8_error = error
    # A few bad bytes among plenty of readable UTF-8: a damaged UTF-8 file.
    # Reading it as Windows-1251 would turn each letter into two others.
    text = data.decode("utf-8", errors="replace")
    bad = text.count("\ufffd")
    decoded = [c for c in text if ord(c) > 127 and c != "\ufffd"]
    # Latin, Cyrillic, punctuation: what a sign-in sheet here is written in.
    plausible = sum(1 for c in decoded if ord(c) < 0x530 or 0x2000 <= ord(c) < 0x2070)
    if (
        decoded
        and bad <= max(3, len(decoded) // 100)
        and plausible >= 0.9 * len(decoded)
    ):
        line = data.count(b"\n", 0, utf8_error.start) + 1
        raise SheetError(
            gettext(
                "The file is UTF-8 but damaged at line %(line)s (byte %(byte)s is "
                "not valid UTF-8). Save it again as “CSV UTF-8” and upload that."
            )
            % {"line": line, "byte": utf8_error.start + 1}
        )
    # Not UTF-8: Excel's "CSV (Comma delimited)" writes the computer's Windows
    # code page, Windows-1251 in a Russian or Uzbek Cyrillic locale and
    # Windows-1252 (whose letters are Latin-1's) in a Western European one.
    # Most bytes past ASCII are letters in both, so a file reads either way:
    # "Société" read as Windows-1251 is "Sociйtй". A reading is taken only
    # when its words are words (_code_page_words), the other reading's are
    # not, and charset-normalizer finds it orderly; never a guess that would
    # fill the records with mojibake.
    readings = {}
    for encoding in _CODE_PAGES:
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        readings[encoding] = (text, *_code_page_words(text, encoding))
    if len(readings) == 2 and readings["cp1251"][0] == readings["cp1252"][0]:
        # Only punctuation, which the two code pages share, is not ASCII.
        return readings["cp1252"][0], str(_CODE_PAGES["cp1252"])
    for encoding, (text, good, bad) in readings.items():
        others = [g for e, (_t, g, _b) in readings.items() if e != encoding]
        if (
            # Most words are words: a few may be mistyped with a letter of
            # the other alphabet ("Пeтров" with a Latin e).
            good
            and bad * 4 <= good
            # and hardly any read as words the other way: not two files
            # pasted together.
            and all(other * 20 <= good for other in others)
        ):
            match = from_bytes(data, cp_isolation=[encoding], threshold=1.0).best()
            if match is not None and match.chaos < 0.2:
                return text, str(_CODE_PAGES[encoding])
    if any(good for _text, good, _bad in readings.values()):
        # Words of an alphabet in one reading, but not clearly: a mixture, or
        # too few words to tell Cyrillic from Western European text.
        raise SheetError(
            gettext(
                "The file is not UTF-8, and its letters cannot be told apart as "
                "Windows-1251 (Cyrillic) or Windows-1252 (Western European) "
                "without risking garbled names. In Excel choose “Save As” → “CSV "
                "UTF-8 (Comma delimited)”, or upload the .xlsx file."
            )
        )
    guess = from_bytes(data).best()
    if guess is not None:
        raise SheetError(
            gettext(
                "The file is not UTF-8, nor Windows-1251 (Cyrillic) or "
                "Windows-1252 (Western European) text (it looks like "
                "%(encoding)s), so it cannot be read without garbling names. In "
                "Excel choose “Save As” → “CSV UTF-8 (Comma delimited)”, or "
                "upload the .xlsx file."
            )
            % {"encoding": guess.encoding}
        )
    raise SheetError(
        gettext(
            "The file is not UTF-8, nor Windows-1251 (Cyrillic) or Windows-1252 "
            "(Western European) text, so it cannot be read without garbling "
            "names. In Excel choose “Save As” → “CSV UTF-8 (Comma delimited)”, "
            "or upload the .xlsx file."
        )
    )


# The Windows code pages a CSV file that is not UTF-8 is read in, with the
# notice that says so.
_CODE_PAGES = {
    "cp1251": _("Read as Windows-1251 (Cyrillic): the file is not UTF-8."),
    "cp1252": _("Read as Windows-1252 (Western European): the file is not UTF-8."),
}
# The letters of each reading that names are written in: Russian, Ukrainian and
# Uzbek Cyrillic (Ў ў; Қ, Ғ and Ҳ are not in Windows-1251) in Windows-1251;
# the Latin letters of Western European languages in Windows-1252, without
# Icelandic Ð, Þ and Ý, which are what Turkish ğ, ş and İ (Windows-1254) read
# as. Either reading of the other code page's text gives other letters, or
# these mixed with ASCII ones.
_CODE_PAGE_LETTERS = {
    "cp1251": frozenset("АБВГДЕЁЖЗИЙКЛМНОПРСТУФХЦЧШЩЪЫЬЭЮЯЎІЇЄҐ"),
    "cp1252": frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZÀÁÂÃÄÅÆÇÈÉÊËÌÍÎÏÑÒÓÔÕÖØÙÚÛÜŸŒŠŽ"),
}
# A word: letters, and the signs that sit among the letters of one code page
# and are letters in the other ("£ukasz" is "Łukasz" written in Windows-1250
# and read as Windows-1252; "Ïåòðîâè÷" is "Петрович").
_CODE_PAGE_WORD = re.compile(r"(?:[^\W\d_]|[¡¢£¤¥¦¨¯±²³´¶¸¹¼½¾¿ˆ˜‰†‡×÷])+")


def _code_page_words(text, encoding):
    """How many words of ``text`` (read in ``encoding``) that hold a letter
    outside ASCII read as words, and how many do not.

    A word reads as one when its letters are all of the code page's alphabet,
    its case is that of a word (not "пЕТРОВ", KOI8-R read as Windows-1251)
    and, in Windows-1252, at most half its letters are accented ("Société",
    not "Ïåòðîâ", which is "Петров" read as Windows-1252). "Sociйtй" mixes
    Latin and Cyrillic letters, so it is not a word in either alphabet.
    ASCII words read the same in both code pages and say nothing."""
    letters = _CODE_PAGE_LETTERS[encoding]
    good = bad = 0
    for word in _CODE_PAGE_WORD.findall(text):
        if word.isascii() or len(word) < 2:
            continue
        accented = sum(1 for c in word if not c.isascii())
        upper = word.upper()
        if (
            any(c not in letters for c in upper)
            or (encoding == "cp1251" and accented != len(word))
            or (encoding == "cp1252" and accented * 2 > len(word))
            or (word[0].islower() and not word.islower())
        ):
            bad += 1
        else:
            good += 1
    return good, bad


def _read_csv(data):
    text, notice = _decode(data)
    notices = [notice] if notice else []
    head = text.lstrip()[:200].lower()
    if head.startswith(("<!doctype html", "<html", "<table", "<?xml")):
        raise SheetError(
            gettext(
                "This is a web page or XML file, not a CSV or XLSX spreadsheet. "
                "Open it in Excel and save it as .xlsx."
            )
        )
    # Excel writes and reads a first line "sep=;" naming the delimiter; it does
    # not show it as a row.
    first_line, _, rest = text.partition("\n")
    hint = re.fullmatch(r"\s*sep=(.)\s*", first_line)
    if hint:
        delimiter, text = hint.group(1), rest
    else:
        delimiter = _sniff_delimiter(text)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)

    def rows():
        try:
            yield from reader
        except csv.Error as error:
            # csv's own explanation ("field larger than field limit") stays
            # in English: there is no translation of Python's messages.
            raise SheetError(
                gettext("The CSV file is malformed near line %(line)s: %(error)s.")
                % {"line": reader.line_num, "error": error}
            ) from None

    return rows(), notices


def _sniff_delimiter(text):
    """Comma, semicolon (Excel in a Russian locale) or tab: whichever the
    header line holds most of, outside quotes."""
    for line in text.splitlines()[:HEADER_SEARCH_ROWS]:
        if not line.strip():
            continue
        unquoted = re.sub(r'"[^"]*"', "", line)
        counts = {d: unquoted.count(d) for d in (",", ";", "\t")}
        best = max(counts, key=counts.get)
        if counts[best]:
            return best
    return ","


_INVISIBLE = re.compile("[\u200b-\u200d\u2060\ufeff]")
# Control characters: no name, email or title holds one. Tab, line feed and
# carriage return are spacing, which _cell_text collapses.
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
# Longer texts are checked and cleaned once: a workbook may repeat one long
# shared string in every row.
_REPEATED_TEXT = 64


class _CellsChecker:
    """Refuses a row holding a control character, naming the row and the
    column. PostgreSQL refuses a NUL in text (the import failed with a
    server error after its preview), SQLite stored it in names; no control
    character belongs in a record."""

    def __init__(self):
        self.headers = []
        self.checked = set()

    def check(self, number, cells):
        for position, cell in enumerate(cells):
            if type(cell) is not str or not cell:
                continue
            repeated = len(cell) > _REPEATED_TEXT
            if repeated and cell in self.checked:
                continue
            bad = _CONTROL.search(cell)
            if bad:
                header = self.headers[position] if position < len(self.headers) else ""
                column = quote(header) if header else get_column_letter(position + 1)
                raise SheetError(
                    gettext(
                        "Row %(row)s, column %(column)s: the cell holds a control "
                        "character (%(character)s), which no name, email or title "
                        "contains; the file may be damaged. Delete it (retype the "
                        "cell) and upload the file again."
                    )
                    % {
                        "row": number,
                        "column": column,
                        "character": f"U+{ord(bad.group()):04X}",
                    }
                )
            if repeated:
                self.checked.add(cell)


def _cell_text(value):
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, datetime):
        value = value.date() if value.time() == time.min else value
    if isinstance(value, date | datetime):
        return value.isoformat()
    text = unicodedata.normalize("NFC", _INVISIBLE.sub("", str(value)))
    return " ".join(text.split())


def _find_header(table, cells_checker):
    """Consume ``table`` up to its header row: (row number, cells, title rows
    skipped)."""
    for number, cells in enumerate(table, start=1):
        cells_checker.check(number, cells)
        texts = [_cell_text(cell) for cell in cells]
        found = [header_field(text) for text in texts]
        known = [f for f in found if f]
        if ORGANISATION in known or len(set(known)) >= 2:
            return number, texts, found
        if number >= HEADER_SEARCH_ROWS:
            break
    raise SheetError(
        gettext(
            "No header row found. The first row should name the columns: at least "
            "“Organisation” (or “Организация”), and any of “Name”, “Email”, "
            "“Position”, “Role”, “Status”."
        )
    )


# What a row keeps of a cell's text, at most: one character past a field's
# limit, so that a longer text is still refused as too long (by the plan), and
# a sheet repeating a long text in every row stays small in the session.
_KEPT_LENGTHS = {ROLE: 100, STATUS: 100, **MAX_LENGTHS}


def _kept(text, name):
    limit = _KEPT_LENGTHS[name]
    return text if len(text) <= limit else text[:limit] + "…"


def _sheet_from_table(table, filename, notices):
    table = iter(table)
    checker = _CellsChecker()
    header_number, headers, found = _find_header(table, checker)
    # Headers name the columns in messages and notices.
    headers = [
        header if len(header) <= 100 else header[:100] + "…" for header in headers
    ]
    checker.headers = headers
    columns = {}
    positions = {}
    ignored = []
    for position, (header, name) in enumerate(zip(headers, found, strict=True)):
        if name is None:
            if header:
                ignored.append(header)
            continue
        if name in positions:
            raise SheetError(
                gettext(
                    "Columns %(first)s and %(second)s both hold the %(field)s; keep "
                    "one of them."
                )
                % {
                    "first": quote(columns[name]),
                    "second": quote(header),
                    "field": FIELD_LABELS[name],
                }
            )
        columns[name] = header
        positions[name] = position
    if ORGANISATION not in positions:
        raise SheetError(
            gettext(
                "The sheet has no organisation column. Every participant attends "
                "on behalf of an organisation: add a column headed “Organisation” "
                "(or “Организация”)."
            )
        )
    parts = sorted(
        (positions.pop(part), part) for part in NAME_PARTS if part in positions
    )
    if parts and NAME in positions:
        split = [quote(columns[p]) for _position, p in parts]
        raise SheetError(
            gettext(
                "The person's name is in %(column)s and also split over "
                "%(columns)s; keep one form."
            )
            % {
                "column": quote(columns[NAME]),
                "columns": get_text_list(split, pgettext("list", "and")),
            }
        )
    if parts:
        columns[NAME] = " + ".join(columns.pop(part) for _position, part in parts)
    if header_number > 1:
        notices.append(
            gettext("The header is row %(row)s; the rows above it were skipped.")
            % {"row": header_number}
        )
    if ignored:
        notices.append(
            gettext("Columns not imported (not a known heading): %(columns)s.")
            % {"columns": ", ".join(quote(h) for h in ignored)}
        )

    texts = {}

    def text(cell):
        if type(cell) is not str or len(cell) <= _REPEATED_TEXT:
            return _cell_text(cell)
        cleaned = texts.get(cell)
        if cleaned is None:
            cleaned = texts[cell] = _cell_text(cell)
        return cleaned

    rows = []
    blank = 0
    for number, cells in enumerate(table, start=header_number + 1):
        if not any(cell not in (None, "") for cell in cells):
            blank += 1
            continue
        checker.check(number, cells)
        values = {}
        for name, position in positions.items():
            values[name] = (
                _kept(text(cells[position]), name) if position < len(cells) else ""
            )
        if parts:
            values[NAME] = _kept(
                " ".join(
                    part
                    for position, _ in parts
                    if position < len(cells)
                    if (part := text(cells[position]))
                ),
                NAME,
            )
        if not any(values.values()):
            # A numbered, empty line of a printed sign-in sheet.
            blank += 1
            continue
        if len(rows) >= MAX_ROWS:
            raise SheetError(too_long_message())
        rows.append(SheetRow(number, **values))
    if blank:
        notices.append(
            ngettext(
                "%(count)s empty row skipped.", "%(count)s empty rows skipped.", blank
            )
            % {"count": format_number(blank)}
        )
    if not rows:
        raise SheetError(gettext("The sheet has a header but no rows to import."))
    return Sheet(
        filename=filename,
        columns=columns,
        rows=rows,
        notices=notices,
        ignored_columns=ignored,
    )
