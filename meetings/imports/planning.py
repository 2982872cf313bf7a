"""Reading a meeting's sign-in sheet and planning its import.

Three steps, each usable on its own:

1. ``read_sheet(data, filename)`` turns the bytes of a CSV or XLSX file into a
   ``Sheet``: which column holds what, and the cleaned rows. A file that is too
   big, too long, not really CSV or XLSX, hostile (zip bomb, XML entities) or in
   an encoding it cannot be sure of is refused here with ``SheetError``, before
   any row is looked at.
2. ``MatchIndex.load(meeting, sheet)`` reads, in a fixed handful of queries
   whatever the length of the sheet and the size of the database, everything
   matching needs: how the sheet's organisation names resolve (every name on
   record is keyed, but only what the sheet's names need is kept), the people
   the sheet's emails and organisations point to, and the meeting's
   attendance.
3. ``build_plan(sheet, index, decisions)`` is pure (no queries, no writes): it
   says row by row what an import would do. The admin preview, the management
   command and ``meetings.services.attendance_import`` all call it, so what the
   editor previews is what is written.
"""

import csv
import hashlib
import io
import logging
import posixpath
import re
import unicodedata
import zipfile
import zlib
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, time
from functools import cached_property, lru_cache
from typing import NamedTuple
from xml.parsers import expat

import iuliia
from anyascii import anyascii
from charset_normalizer import from_bytes
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import connection, models, transaction
from django.db.models.functions import Lower
from django.utils.text import get_text_list
from django.utils.translation import gettext_lazy as _
from openpyxl.styles.numbers import (
    BUILTIN_FORMATS,
    is_date_format,
    is_timedelta_format,
)
from openpyxl.utils.cell import get_column_letter, range_boundaries
from openpyxl.utils.datetime import (
    CALENDAR_MAC_1904,
    WINDOWS_EPOCH,
    from_excel,
    from_ISO8601,
)
from openpyxl.xml.constants import XLSM, XLSX, XLTM, XLTX
from rapidfuzz import fuzz, process

from stakeholders.models import (
    Organisation,
    OrganisationName,
    OrganisationType,
    Person,
    Position,
)

from .models import Attendance

logger = logging.getLogger(__name__)

MAX_FILE_SIZE = 5 * 1024 * 1024
MAX_ROWS = 10_000
# An XLSX file is a zip archive. A sign-in sheet of MAX_ROWS rows unpacks to a
# few megabytes; anything far beyond that is a zip bomb, not a sheet.
MAX_XLSX_UNPACKED = 50 * 1024 * 1024
MAX_XLSX_RATIO = 100
MAX_XLSX_MEMBERS = 1000
# Whole-row formatting can make a worksheet claim 16,384 columns.
MAX_COLUMNS = 100
# Rows above the header (a title, the date) are skipped; the header must be
# among the first rows.
HEADER_SEARCH_ROWS = 20
# rapidfuzz WRatio (0-100) from which a name is offered as a suggestion.
SUGGESTION_SCORE = 86
MAX_SUGGESTIONS = 3
# Below this the person's name on the sheet and on record are told apart.
SAME_PERSON_SCORE = 70

DEFAULT_NEW_ORGANISATION_TYPE = "other"

# Field names, in the order a row stores them.
ORGANISATION = "organisation"
NAME = "name"
EMAIL = "email"
TITLE = "title"
ROLE = "role"
STATUS = "status"
PHONE = "phone"
FIELDS = (ORGANISATION, NAME, EMAIL, TITLE, ROLE, STATUS, PHONE)
# A name split over several columns is joined, in the sheet's column order.
FIRST_NAME, LAST_NAME, MIDDLE_NAME = "first_name", "last_name", "middle_name"
NAME_PARTS = (FIRST_NAME, LAST_NAME, MIDDLE_NAME)

FIELD_LABELS = {
    ORGANISATION: "organisation",
    NAME: "person name",
    EMAIL: "email",
    TITLE: "position / title",
    ROLE: "role",
    STATUS: "status",
    PHONE: "phone",
    FIRST_NAME: "first name",
    LAST_NAME: "last name",
    MIDDLE_NAME: "middle name",
}
MAX_LENGTHS = {
    ORGANISATION: Organisation._meta.get_field("name").max_length,
    NAME: Person._meta.get_field("full_name").max_length,
    EMAIL: Person._meta.get_field("email").max_length,
    TITLE: Position._meta.get_field("title").max_length,
    PHONE: Person._meta.get_field("phone").max_length,
}

# Header names a coordinator writes, in English, Russian and Uzbek. They are
# compared by ``_word_key``: case, spacing and punctuation do not matter.
HEADERS = {
    ORGANISATION: [
        "organisation",
        "organization",
        "organisation name",
        "organization name",
        "org",
        "company",
        "institution",
        "agency",
        "on behalf of",
        "организация",
        "название организации",
        "наименование организации",
        "учреждение",
        "ведомство",
        "компания",
        "место работы",
        "от организации",
        "tashkilot",
        "tashkilot nomi",
        "ташкилот",
        "ташкилот номи",
    ],
    NAME: [
        "name",
        "full name",
        "person",
        "person name",
        "participant",
        "participant name",
        "attendee",
        "representative",
        "фио",
        "полное имя",
        "имя и фамилия",
        "фамилия и имя",
        "фамилия имя",
        "фамилия имя отчество",
        "участник",
        "представитель",
        "ism",
        "ismi",
        "ism familiya",
        "ism sharif",
        "fish",
        "фиш",
        "исм",
        "исм шариф",
    ],
    FIRST_NAME: ["first name", "given name", "forename", "имя"],
    LAST_NAME: ["last name", "surname", "family name", "фамилия", "familiya"],
    MIDDLE_NAME: ["middle name", "patronymic", "отчество", "otasining ismi"],
    EMAIL: [
        "email",
        "email address",
        "mail",
        "электронная почта",
        "эл почта",
        "почта",
        "адрес электронной почты",
        "email адрес",
        "elektron pochta",
        "электрон почта",
    ],
    TITLE: [
        "position",
        "title",
        "job title",
        "position title",
        "post",
        "designation",
        "должность",
        "позиция",
        "lavozim",
        "lavozimi",
        "лавозим",
        "лавозими",
    ],
    ROLE: ["role", "role at the meeting", "роль", "роль на встрече", "rol", "роли"],
    STATUS: ["status", "attendance", "статус", "присутствие", "holat", "ҳолат"],
    PHONE: [
        "phone",
        "telephone",
        "tel",
        "mobile",
        "phone number",
        "телефон",
        "тел",
        "мобильный",
        "номер телефона",
        "telefon",
        "telefon raqami",
    ],
}

ROLE_WORDS = {
    Attendance.Role.HOST: [
        "организатор",
        "принимающая сторона",
        "mezbon",
        "мезбон",
        "tashkilotchi",
        "ташкилотчи",
    ],
    Attendance.Role.PRESENTER: [
        "speaker",
        "докладчик",
        "спикер",
        "выступающий",
        "выступающая",
        "maruzachi",
        "маърузачи",
    ],
    Attendance.Role.PARTICIPANT: [
        "attendee",
        "участник",
        "участница",
        "ishtirokchi",
        "иштирокчи",
    ],
    Attendance.Role.OBSERVER: ["наблюдатель", "kuzatuvchi", "кузатувчи"],
}
STATUS_WORDS = {
    Attendance.Status.INVITED: [
        "приглашен",
        "приглашена",
        "приглашены",
        "taklif qilingan",
    ],
    Attendance.Status.CONFIRMED: [
        "подтвердил",
        "подтвердила",
        "подтверждено",
        "подтвержден",
        "подтверждена",
        "tasdiqlagan",
        "tasdiqlandi",
    ],
    Attendance.Status.ATTENDED: [
        "present",
        "присутствовал",
        "присутствовала",
        "присутствует",
        "присутствовали",
        "ishtirok etdi",
        "qatnashdi",
    ],
    Attendance.Status.DECLINED: [
        "отказался",
        "отказалась",
        "отказ",
        "отклонил",
        "отклонила",
        "rad etdi",
    ],
    Attendance.Status.ABSENT: [
        "отсутствовал",
        "отсутствовала",
        "отсутствует",
        "не пришел",
        "не пришла",
        "не был",
        "kelmadi",
    ],
}


class SheetError(Exception):
    """The file as a whole cannot be read; the message says why, for the editor."""


class ImportNotReady(Exception):
    """The plan has errors or unresolved names: nothing was written."""

    def __init__(self, plan):
        self.plan = plan
        super().__init__(plan.blocking_message())


class PlanChanged(Exception):
    """The data changed since the editor's preview: nothing was written."""

    def __init__(self, plan):
        self.plan = plan
        super().__init__(
            "The records changed since the preview, or the choices did: review "
            "the preview again, then import."
        )


# Names: one spelling-independent key, whatever the script.
#
# An import compares the sheet's few hundred spellings with every spelling on
# record (hundreds of thousands at national scale), so those are keyed all at
# once (``_name_keys``) and as cheaply as the rules allow: ASCII text needs no
# normalisation, transliteration or anyascii, and the Uzbek schema maps letter
# by letter, so it is a ``str.translate`` table. The keys are the same as
# applying each rule in turn (tests/meetings/test_import_matching.py).

_CYRILLIC = re.compile("[\u0400-\u04ff]")
_WORD = re.compile(r"[a-z0-9]+")
# Letters Latin spellings of Uzbek and Russian names disagree on: Узинфоком is
# written Uzinfocom, Хасанов Xasanov or Khasanov, КфВ KfW. Longest first.
_FOLD = re.compile("kh|ch|ck|ph|zh|dj|ts|[cqwx]")
_FOLDS = {
    "kh": "h",
    "ch": "ch",
    "ck": "k",
    "ph": "f",
    "zh": "j",
    "dj": "j",
    "ts": "s",
    # Kept whole: "ch" (ч) is not "c" + "h".
    "c": "k",
    "q": "k",
    "w": "v",
    "x": "h",
}


def _translit_table():
    """iuliia's Uzbek schema as a ``str.translate`` table of the Cyrillic
    block, or None when the schema is not letter by letter (it then has to be
    run as it is).

    The schema translates each letter on its own (no rules for a letter's
    neighbours or a word's ending), so translating each Cyrillic letter alone
    gives its table; the schema's own samples check that."""
    table = {code: iuliia.UZ.translate(chr(code)) for code in range(0x0400, 0x0500)}
    for source, expected in iuliia.UZ.samples:
        if _CYRILLIC_RUN.sub(lambda run: run.group().translate(table), source) != (
            expected
        ):
            return None
    return table


_CYRILLIC_RUN = re.compile("[\u0400-\u04ff]+")
_NON_ASCII_RUN = re.compile("[^\x00-\x7f]+")
_TRANSLIT = _translit_table()


def _transliterate(text):
    """``iuliia.UZ.translate(text)``; the table is applied to the runs of
    Cyrillic letters only (``str.translate`` is slow on every other
    character)."""
    if _TRANSLIT is None:
        return iuliia.UZ.translate(text)
    return _CYRILLIC_RUN.sub(lambda run: run.group().translate(_TRANSLIT), text)


def _anyascii(text):
    """``anyascii(text)``, which goes letter by letter in Python: applied to
    the runs of non-ASCII letters only."""
    return _NON_ASCII_RUN.sub(lambda run: anyascii(run.group()), text)


def _ascii(text):
    """``text`` in ASCII: NFKC-normalised, Cyrillic transliterated by the
    Uzbek (UZ) schema, everything else by anyascii."""
    if text.isascii():
        # NFKC, the schema and anyascii leave ASCII as it is.
        return text
    text = unicodedata.normalize("NFKC", text)
    if _CYRILLIC.search(text):
        text = _transliterate(text)
    return _anyascii(text)


def _words(text):
    """The words of ``text`` in lower-case ASCII (see ``_ascii``);
    punctuation, quotes («», “”) and spacing dropped."""
    return _WORD.findall(_ascii(text).lower())


# Every byte but ASCII letters and digits.
_NOT_WORD_BYTES = bytes(
    set(range(256))
    - set(b"0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")
)


@lru_cache(maxsize=100_000)
def _fold(word):
    # Names on record share most of their words: one fold per word.
    return _FOLD.sub(lambda match: _FOLDS[match.group()], word)


def _name_key(text):
    # "".join(_words(text)), a few times faster.
    return (
        _ascii(text).encode("ascii").translate(None, _NOT_WORD_BYTES).lower()
    ).decode("ascii")


# Between the texts ``_name_keys`` keys at once: a control character, which
# NFKC, the schema and anyascii leave as it is and which combines with nothing.
_SEPARATOR = "\x01"
_KEY_BYTES = bytes(set(_NOT_WORD_BYTES) - {ord(_SEPARATOR)})


def _name_keys(texts):
    """``[_name_key(text) for text in texts]`` for the hundreds of thousands
    of spellings on record: each step (NFKC, the schema's table, anyascii,
    dropping what is not a letter or digit, lower case) goes character by
    character once the texts are split by ``_SEPARATOR``, so each runs once
    over all the texts joined (the ASCII ones, which need only the last two,
    apart)."""
    texts = list(texts)
    is_ascii = [text.isascii() for text in texts]
    keys = [""] * len(texts)
    for ascii_group in (True, False):
        positions = [i for i, flag in enumerate(is_ascii) if flag is ascii_group]
        joined = _SEPARATOR.join(texts[i] for i in positions)
        found = None
        if _TRANSLIT is not None and joined.count(_SEPARATOR) == len(positions) - 1:
            found = (
                (joined if ascii_group else _ascii(joined))
                .encode("ascii")
                .translate(None, _KEY_BYTES)
                .lower()
                .decode("ascii")
                .split(_SEPARATOR)
            )
        if found is None or len(found) != len(positions):
            # A text holding the separator, or the iuliia schema run as it is.
            found = [_name_key(texts[i]) for i in positions]
        for i, key in zip(positions, found, strict=True):
            keys[i] = key
    return keys


def _loose_key(text):
    return "".join(map(_fold, _words(text)))


def _fuzzy_form_of(text):
    return " ".join(map(_fold, _words(text)))


@lru_cache(maxsize=10_000)
def name_key(text):
    """Key under which two spellings of an organisation's name are the same:
    ``name_key("«Узинфоком»") == name_key("uzinfokom")``."""
    return _name_key(text)


@lru_cache(maxsize=10_000)
def loose_key(text):
    """``name_key`` with the letters transliterations disagree on folded
    together: ``loose_key("Узинфоком") == loose_key("UZINFOCOM")``."""
    return _loose_key(text)


@lru_cache(maxsize=10_000)
def _fuzzy_form(text):
    return _fuzzy_form_of(text)


@lru_cache(maxsize=100_000)
def person_key(text):
    """Key of a person's name: word order, script and case do not matter, so
    "Иванов Иван" and "Ivan Ivanov" are the same name."""
    return " ".join(sorted(map(_fold, _words(text))))


def _word_key(text):
    """Header, role and status words compared as written, in any script:
    ignoring case, spacing, punctuation and ё/е."""
    text = unicodedata.normalize("NFKC", text).casefold().replace("ё", "е")
    return re.sub(r"[\W_]+", "", text)


def _choice_words(words, choices):
    table = {}
    for value, extra in words.items():
        for word in [value, choices(value).label, *extra]:
            table[_word_key(str(word))] = value
    return table


_ROLES = _choice_words(ROLE_WORDS, Attendance.Role)
_STATUSES = _choice_words(STATUS_WORDS, Attendance.Status)
_HEADERS = {
    _word_key(header): column for column, names in HEADERS.items() for header in names
}


def _quote(text):
    return f"“{text}”"


# Reading the file.


class SheetRow(NamedTuple):
    """One row of the sheet, cells cleaned, "" where empty. ``number`` is the
    row number the spreadsheet shows (the header is row 1 unless title rows
    come before it)."""

    number: int
    organisation: str = ""
    name: str = ""
    email: str = ""
    title: str = ""
    role: str = ""
    status: str = ""
    phone: str = ""


@dataclass
class Sheet:
    filename: str
    # Field -> the header as written (several headers joined for a split name).
    columns: dict
    rows: list
    notices: list = field(default_factory=list)
    ignored_columns: list = field(default_factory=list)

    def column(self, name):
        return self.columns.get(name, FIELD_LABELS[name].capitalize())

    def to_data(self):
        """A JSON-serialisable form, for the session between preview and
        import."""
        return {
            "filename": self.filename,
            "columns": self.columns,
            "rows": [list(row) for row in self.rows],
            "notices": self.notices,
            "ignored_columns": self.ignored_columns,
        }

    @classmethod
    def from_data(cls, data):
        return cls(
            filename=data["filename"],
            columns=data["columns"],
            rows=[SheetRow(*row) for row in data["rows"]],
            notices=data["notices"],
            ignored_columns=data["ignored_columns"],
        )


def read_sheet(data, filename):
    """Read a sign-in sheet from the bytes of a CSV or XLSX file.

    The format is told from the content, not the file name. Raises
    ``SheetError`` with a message for the editor when the file is refused.
    """
    if len(data) > MAX_FILE_SIZE:
        raise SheetError(too_big_message(len(data)))
    if not data.strip():
        raise SheetError("The file is empty.")
    if data.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        table, notices = _read_xlsx(data)
    elif data.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        raise SheetError(
            "This is an Excel 97–2003 (.xls) or password-protected workbook. "
            "Remove the password, save it as .xlsx or CSV, and upload that."
        )
    elif data.startswith(b"%PDF"):
        raise SheetError("This is a PDF document, not a CSV or XLSX spreadsheet.")
    else:
        table, notices = _read_csv(data)
    return _sheet_from_table(table, filename, notices)


def too_big_message(size=None):
    actual = f"is {size / 1024 / 1024:.1f} MB" if size else "is too large"
    return (
        f"The file {actual}; sheets of up to {MAX_FILE_SIZE // 1024 // 1024} MB "
        "are accepted. Split it, or remove images and other sheets."
    )


def _decode(data):
    """The text of a CSV file and, when it was not UTF-8, a notice saying how
    it was read. Refuses what cannot be read without guessing."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        # Excel's "Unicode Text" export.
        try:
            return data.decode("utf-16"), None
        except UnicodeDecodeError:
            raise SheetError(
                "The file starts as UTF-16 text but is damaged; save it again as "
                "“CSV UTF-8”."
            ) from None
    if b"\x00" in data[:8192]:
        raise SheetError("This is not a CSV or XLSX file (it holds binary data).")
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
            f"The file is UTF-8 but damaged at line {line} (byte "
            f"{utf8_error.start + 1} is not valid UTF-8). Save it again as "
            "“CSV UTF-8” and upload that."
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
        return readings["cp1252"][0], _CODE_PAGES["cp1252"]
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
                return text, _CODE_PAGES[encoding]
    if any(good for _text, good, _bad in readings.values()):
        # Words of an alphabet in one reading, but not clearly: a mixture, or
        # too few words to tell Cyrillic from Western European text.
        raise SheetError(
            "The file is not UTF-8, and its letters cannot be told apart as "
            "Windows-1251 (Cyrillic) or Windows-1252 (Western European) without "
            "risking garbled names. In Excel choose “Save As” → “CSV UTF-8 "
            "(Comma delimited)”, or upload the .xlsx file."
        )
    guess = from_bytes(data).best()
    named = f" (it looks like {guess.encoding})" if guess is not None else ""
    raise SheetError(
        "The file is not UTF-8, nor Windows-1251 (Cyrillic) or Windows-1252 "
        f"(Western European) text{named}, so it cannot be read without garbling "
        "names. In Excel choose “Save As” → “CSV UTF-8 (Comma delimited)”, or "
        "upload the .xlsx file."
    )


# The Windows code pages a CSV file that is not UTF-8 is read in, with the
# notice that says so.
_CODE_PAGES = {
    "cp1251": "Read as Windows-1251 (Cyrillic): the file is not UTF-8.",
    "cp1252": "Read as Windows-1252 (Western European): the file is not UTF-8.",
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
            "This is a web page or XML file, not a CSV or XLSX spreadsheet. Open "
            "it in Excel and save it as .xlsx."
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
            raise SheetError(
                f"The CSV file is malformed near line {reader.line_num}: {error}."
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


def _check_zip(data):
    """Refuse a zip that is not an XLSX workbook, or that would unpack into far
    more than a sheet, before any part of it is parsed."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        members = archive.infolist()
    except (zipfile.BadZipFile, ValueError, OSError):
        raise SheetError("The file is a damaged ZIP/XLSX archive.") from None
    names = {member.filename for member in members}
    if "mimetype" in names and not any(n.startswith("xl/") for n in names):
        raise SheetError(
            "This is an OpenDocument file. Save it as .xlsx or CSV and upload that."
        )
    if "[Content_Types].xml" not in names or not any(
        name.startswith("xl/") for name in names
    ):
        kind = "a Word document" if any(n.startswith("word/") for n in names) else ""
        raise SheetError(
            f"This is {kind or 'a ZIP archive'}, not an XLSX workbook or CSV file."
        )
    if len(members) > MAX_XLSX_MEMBERS:
        raise SheetError("The workbook has too many parts to be a sign-in sheet.")
    unpacked = 0
    for member in members:
        if member.flag_bits & 0x1:
            raise SheetError("The workbook is encrypted; remove the password.")
        unpacked += member.file_size
        ratio = member.file_size / max(member.compress_size, 1)
        if member.file_size > 1024 * 1024 and ratio > MAX_XLSX_RATIO:
            raise SheetError(
                f"The workbook part {_quote(member.filename)} unpacks to "
                f"{ratio:.0f} times its size: refused as a possible zip bomb."
            )
    # zipfile never returns more than a member's declared size, so the
    # declared sizes bound what can be unpacked.
    if unpacked > MAX_XLSX_UNPACKED:
        raise SheetError(
            f"The workbook unpacks to {unpacked / 1024 / 1024:.0f} MB, more than a "
            f"sheet of {MAX_ROWS:,} rows needs: refused as a possible zip bomb."
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
                    raise SheetError(_UNSAFE_XML)
                tail = chunk[-16:]
    return archive


_UNSAFE_MARKERS = (b"<!DOCTYPE", b"<!ENTITY")
_UNSAFE_XML = (
    "The workbook contains XML document-type or entity declarations, which "
    "spreadsheets never need: refused as unsafe."
)


def _read_xlsx(data):
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
            "The file could not be read as an XLSX workbook; it may be damaged. "
            "Open it in Excel and save it again."
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
    return (
        f"The workbook holds far more than a sheet of {MAX_ROWS:,} rows needs "
        "(cells formatted far beyond the participants, very long texts, or other "
        "large sheets). Copy the participants' rows into a new workbook, or save "
        "the sheet as “CSV UTF-8”, and upload that."
    )


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
    raise SheetError(_UNSAFE_XML)


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
                "The workbook has no worksheet; it may be damaged. Open it in "
                "Excel and save it again."
            )
        if 0 <= active < len(sheets) and sheets[active][1][0] == "worksheet":
            title, (_kind, path) = sheets[active]
        else:
            title, (_kind, path) = worksheets[0]
        if len(sheets) > 1:
            others = [_quote(other) for other, _ in sheets if other != title]
            notices.append(
                f"Read the sheet {_quote(title)}; other sheets ignored: "
                f"{', '.join(others)}."
            )
        targets = dict(relations.values())
        date_styles, duration_styles = self.number_styles(targets.get("styles"))
        rows, merged, wide = self.worksheet(path, date_styles, duration_styles, epoch)
        if wide:
            notices.append(f"Only the first {MAX_COLUMNS} columns were read.")
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
                    raise SheetError(_too_long_message())
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


def _too_long_message():
    return (
        f"The sheet has more than {MAX_ROWS:,} rows; split it into several "
        "sheets of at most that many."
    )


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
                column = _quote(header) if header else get_column_letter(position + 1)
                raise SheetError(
                    f"Row {number}, column {column}: the cell holds a control "
                    f"character (U+{ord(bad.group()):04X}), which no name, email "
                    "or title contains; the file may be damaged. Delete it (retype "
                    "the cell) and upload the file again."
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


def _header_fields(header):
    """The field a header names, or None. A bilingual header such as
    "Организация / Organisation" names a field when its parts agree."""
    key = _word_key(header)
    if not key:
        return None
    if key in _HEADERS:
        return _HEADERS[key]
    parts = {
        _HEADERS.get(_word_key(part))
        for part in re.split(r"[/|\\()\[\]\n,;]+", header)
        if _word_key(part)
    }
    parts.discard(None)
    return parts.pop() if len(parts) == 1 else None


def _find_header(table, cells_checker):
    """Consume ``table`` up to its header row: (row number, cells, title rows
    skipped)."""
    for number, cells in enumerate(table, start=1):
        cells_checker.check(number, cells)
        texts = [_cell_text(cell) for cell in cells]
        found = [_header_fields(text) for text in texts]
        known = [f for f in found if f]
        if ORGANISATION in known or len(set(known)) >= 2:
            return number, texts, found
        if number >= HEADER_SEARCH_ROWS:
            break
    raise SheetError(
        "No header row found. The first row should name the columns: at least "
        "“Organisation” (or “Организация”), and any of “Name”, “Email”, "
        "“Position”, “Role”, “Status”."
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
                f"Columns {_quote(columns[name])} and {_quote(header)} both hold "
                f"the {FIELD_LABELS[name]}; keep one of them."
            )
        columns[name] = header
        positions[name] = position
    if ORGANISATION not in positions:
        raise SheetError(
            "The sheet has no organisation column. Every participant attends on "
            "behalf of an organisation: add a column headed “Organisation” (or "
            "“Организация”)."
        )
    parts = sorted(
        (positions.pop(part), part) for part in NAME_PARTS if part in positions
    )
    if parts and NAME in positions:
        raise SheetError(
            f"The person's name is in {_quote(columns[NAME])} and also split over "
            f"{get_text_list([_quote(columns[p]) for _position, p in parts], 'and')}; "
            "keep one form."
        )
    if parts:
        columns[NAME] = " + ".join(columns.pop(part) for _position, part in parts)
    if header_number > 1:
        notices.append(
            f"The header is row {header_number}; the rows above it were skipped."
        )
    if ignored:
        notices.append(
            "Columns not imported (not a known heading): "
            f"{', '.join(_quote(h) for h in ignored)}."
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
            raise SheetError(_too_long_message())
        rows.append(SheetRow(number, **values))
    if blank:
        notices.append(f"{blank} empty row{'s' if blank > 1 else ''} skipped.")
    if not rows:
        raise SheetError("The sheet has a header but no rows to import.")
    return Sheet(
        filename=filename,
        columns=columns,
        rows=rows,
        notices=notices,
        ignored_columns=ignored,
    )


# What the database holds, read once per import.


@dataclass(frozen=True)
class OrganisationInfo:
    id: int
    name: str
    acronym: str
    is_active: bool

    @property
    def label(self):
        label = self.name
        if self.acronym and self.acronym.casefold() != self.name.casefold():
            label = f"{self.name} ({self.acronym})"
        return label if self.is_active else f"{label} [inactive]"


@dataclass(frozen=True)
class PersonInfo:
    id: int
    full_name: str
    email: str
    phone: str

    @property
    def label(self):
        return f"{self.full_name} <{self.email}>" if self.email else self.full_name


@dataclass(frozen=True)
class OrganisationMatch:
    """How a name written on the sheet resolves: to one organisation, or to
    none (with suggestions for the editor)."""

    organisation_id: int | None
    how: str = ""
    suggestions: tuple = ()
    # The resemblance (rapidfuzz, 0-100) of each suggestion found by
    # resemblance; none for several organisations answering to the name.
    scores: tuple = ()


def _chunks(items, size=None):
    size = size or connection.features.max_query_params or 2000
    items = list(items)
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _fingerprint(rows):
    """What ``rows`` hold, whatever their order: their count and the sum of
    their hashes. Compared within one process only (Python salts the hashes
    of strings per process)."""
    return len(rows), sum(map(hash, rows)) & 0xFFFF_FFFF_FFFF_FFFF


class _ReadSnapshot:
    """The reads inside see the database as of one moment, and take no write
    lock: planning a 10,000-row sheet takes seconds (tens at national scale),
    during which other editors must be able to save.

    On SQLite, a plain read transaction (``BEGIN DEFERRED``), which under WAL
    never blocks a writer; ``transaction.atomic()`` would begin IMMEDIATE, the
    write lock (config/settings.py). On PostgreSQL, a read-only REPEATABLE
    READ transaction. Inside a transaction already (a caller's, a test's), its
    reads are used as they are."""

    def __enter__(self):
        self.begun = None
        if connection.in_atomic_block or not connection.get_autocommit():
            return self
        if connection.vendor == "sqlite":
            with connection.cursor() as cursor:
                cursor.execute("BEGIN DEFERRED")
            self.begun = "sqlite"
        elif connection.vendor == "postgresql":
            self.begun = transaction.atomic()
            self.begun.__enter__()
            with connection.cursor() as cursor:
                cursor.execute(
                    "SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY"
                )
        return self

    def __exit__(self, *exc_info):
        if self.begun == "sqlite":
            # Nothing was written: ending it either way only lets go of the
            # snapshot.
            with connection.cursor() as cursor:
                cursor.execute("COMMIT" if exc_info[0] is None else "ROLLBACK")
        elif self.begun is not None:
            return self.begun.__exit__(*exc_info)
        return False


class MatchIndex:
    """A snapshot of the records an import of one sheet into one meeting can
    touch. ``load`` costs a fixed number of queries whatever the size of the
    database (the email look-ups are split in chunks of the database's
    parameter limit).

    Organisations: every spelling on record (name, acronym, other names) is
    read and keyed, but only what the sheet's names need is kept: the
    spellings with one of their keys, the loose keys only for a name no key
    matches, and the suggestions only for a name nothing matches. People: those
    at the organisations the sheet's names resolve to (and those of its
    emails), read with their names in one query.

    Every read is remembered (its SQL and a fingerprint of its rows), so that
    ``is_current`` can tell, by running them again, whether a plan built from
    the index still holds: an import plans outside its write transaction and
    checks this inside it."""

    def __init__(self, meeting):
        self.meeting = meeting
        # (SQL, parameters) -> fingerprint of the rows read.
        self.reads = {}
        # Id -> OrganisationInfo of the organisations the names looked up
        # resolve to or resemble, and of those ``load_organisations`` read.
        self.organisations = {}
        # Name key -> {organisation id: how}, and loose key -> the same, for
        # the keys of the names looked up.
        self.by_key = {}
        self.by_loose = {}
        # Lower-case names of active organisations, among the names looked up.
        self.active_names = set()
        self.types = {}
        self.people = {}
        self.people_by_email = {}
        self.people_at = {}
        self._people_loaded_for = set()
        self._people_choices = {}
        self.attendance = {}
        self._matches = {}

    @classmethod
    def load(cls, meeting, sheet, decisions=None):
        index = cls(meeting)
        index.look_up(row.organisation for row in sheet.rows)
        if decisions is not None:
            index.load_organisations(decisions.organisation_ids())
        index.types = {
            slug: (pk, name)
            for pk, slug, name in index.fetch(
                OrganisationType.objects.order_by().values_list("pk", "slug", "name")
            )
        }
        index.attendance = {
            (organisation_id, person_id): (pk, role, status)
            for pk, organisation_id, person_id, role, status in index.fetch(
                Attendance.objects.filter(meeting=meeting)
                .order_by()
                .values_list("pk", "organisation_id", "person_id", "role", "status")
            )
        }
        emails = {row.email.lower() for row in sheet.rows if row.email}
        for chunk in _chunks(sorted(emails)):
            for person in index.fetch(
                Person.objects.exclude(email="")
                .annotate(email_ci=Lower("email"))
                .filter(email_ci__in=chunk)
                .order_by()
                .values_list("pk", "full_name", "email", "phone")
            ):
                info = PersonInfo(*person)
                index.people[info.id] = info
                index.people_by_email[info.email.lower()] = info.id
        organisation_ids = {
            index.match(row.organisation).organisation_id for row in sheet.rows
        }
        if decisions is not None:
            organisation_ids |= decisions.organisation_ids()
        index.load_people(organisation_ids - {None})
        return index

    def fetch(self, query, params=()):
        """The rows of ``query`` (a queryset, or SQL with ``params``) as tuples
        straight from the database cursor, without Django's per-row work (for
        the reads of every organisation's names, hundreds of thousands of
        rows at national scale); remembered for ``is_current``."""
        if not isinstance(query, str):
            query, params = query.query.sql_with_params()
        with connection.cursor() as cursor:
            cursor.execute(query, params)
            rows = cursor.fetchall()
        self.reads[(query, tuple(params))] = _fingerprint(rows)
        return rows

    def is_current(self):
        """Whether every read the index made reads the same rows now: if so,
        a plan built from it is what a plan built now would be
        (``build_plan`` depends on nothing else). The queries again, none of
        the matching; call it inside the transaction that writes."""
        for (sql, params), fingerprint in self.reads.items():
            with connection.cursor() as cursor:
                cursor.execute(sql, params)
                if _fingerprint(cursor.fetchall()) != fingerprint:
                    return False
        return True

    def look_up(self, texts):
        """Resolve the organisation names ``texts`` (``match`` then answers
        for them without a query): two queries, and a pass over every
        spelling on record."""
        wanted = {}
        lowered = set()
        for text in texts:
            key = name_key(text)
            if key and key not in self._matches:
                # As ``match`` caches: the first text written with a key
                # answers for all of them.
                wanted.setdefault(key, text)
                lowered.add(text.lower())
        if not wanted:
            return
        organisations = self.fetch(
            Organisation.objects.order_by("pk").values_list(
                "pk", "name", "acronym", "is_active"
            )
        )
        # In the order they are stored, as every spelling is considered in.
        other_names = self.fetch(
            OrganisationName.objects.order_by().values_list("organisation_id", "name")
        )
        records = {row[0]: row for row in organisations}
        # Every spelling: the names, the acronyms (blank ones never match),
        # the other names as stored.
        spellings = [
            *(row[1] for row in organisations),
            *(row[2] for row in organisations),
            *(row[1] for row in other_names),
        ]
        count = len(organisations)

        def spelling(i):
            """Spelling ``i``: its organisation, its order among the
            organisation's spellings, and what it is."""
            if i < count:
                return organisations[i][0], 0, "name"
            if i < 2 * count:
                return organisations[i - count][0], 1, "acronym"
            return other_names[i - 2 * count][0], i, "other name"

        def index_by(keys, spelling_keys, how_suffix=""):
            """{key: {organisation id: how}} of the spellings whose key is
            among ``keys``: organisations in id order, each described by its
            last spelling with that key."""
            hits = {}
            for i in [i for i, key in enumerate(spelling_keys) if key in keys]:
                hits.setdefault(spelling_keys[i], []).append(spelling(i))
            found = {}
            for key, spelt in hits.items():
                found[key] = {}
                for pk, _order, how in sorted(spelt):
                    found[key][pk] = how + how_suffix
            return found

        for _pk, name, _acronym, is_active in organisations:
            if is_active and name.lower() in lowered:
                self.active_names.add(name.lower())
        self.by_key.update(index_by(wanted.keys(), _name_keys(spellings)))
        # Only for the names no key matches: their loose keys, and for those
        # still unmatched, the suggestions.
        loose = {
            key: loose_key(text)
            for key, text in wanted.items()
            if key not in self.by_key
        }
        if loose:
            self.by_loose.update(
                index_by(
                    set(loose.values()),
                    [_loose_key(spelling) for spelling in spellings],
                    ", spelt differently",
                )
            )
        unmatched = [
            wanted[key]
            for key, loose_text_key in loose.items()
            if loose_text_key not in self.by_loose
        ]
        suggestions = self._suggest_all(unmatched, organisations, other_names)

        def info(pk):
            if pk not in self.organisations:
                self.organisations[pk] = OrganisationInfo(
                    pk, *records[pk][1:3], bool(records[pk][3])
                )
            return self.organisations[pk]

        for key, text in wanted.items():
            self._matches[key] = match = self._match(
                key, text, info, suggestions.get(text, ((), ()))
            )
            for pk in (match.organisation_id, *match.suggestions):
                if pk is not None:
                    info(pk)

    def _match(self, key, text, info, resembling):
        for found in (self.by_key.get(key), self.by_loose.get(loose_key(text))):
            if not found:
                continue
            active = [pk for pk in found if info(pk).is_active]
            if len(active) == 1:
                return OrganisationMatch(active[0], found[active[0]])
            # Several organisations answer to the name, or only inactive ones:
            # the editor decides.
            return OrganisationMatch(None, suggestions=tuple(active or found))
        suggestions, scores = resembling
        return OrganisationMatch(None, suggestions=suggestions, scores=scores)

    @staticmethod
    def _suggest_all(texts, organisations, other_names):
        """{text: (ids of the active organisations ``text`` resembles, best
        first, and their scores)} for the names nothing matched: they are
        compared with every active spelling."""
        forms = [(text, _fuzzy_form(text)) for text in texts]
        forms = [(text, form) for text, form in forms if form]
        if not forms:
            return {}
        others = {}
        for pk, name in other_names:
            others.setdefault(pk, []).append(name)
        choices, choice_ids = [], []
        for pk, name, acronym, is_active in organisations:
            if not is_active:
                continue
            for spelling in (name, acronym, *others.get(pk, ())):
                form = _fuzzy_form_of(spelling)
                if form:
                    choices.append(form)
                    choice_ids.append(pk)
        suggestions = {}
        for text, form in forms:
            # WRatio weighs partial matches, which makes any short name
            # "resemble" every long one that contains its letters.
            scorer = fuzz.ratio if len(form) <= 4 else fuzz.WRatio
            results = process.extract(
                form,
                choices,
                scorer=scorer,
                processor=None,
                score_cutoff=SUGGESTION_SCORE,
                limit=MAX_SUGGESTIONS * 4,
            )
            found = {}
            for _form, score, position in results:
                found.setdefault(choice_ids[position], score)
            best = list(found.items())[:MAX_SUGGESTIONS]
            suggestions[text] = (
                tuple(pk for pk, _score in best),
                tuple(score for _pk, score in best),
            )
        return suggestions

    def load_organisations(self, organisation_ids):
        """Read the organisations ``organisation_ids`` (the editor's choices)
        that are not loaded yet; an id with no organisation stays absent."""
        missing = set(organisation_ids) - set(self.organisations)
        for chunk in _chunks(sorted(missing)):
            for pk, name, acronym, is_active in self.fetch(
                Organisation.objects.filter(pk__in=chunk)
                .order_by()
                .values_list("pk", "name", "acronym", "is_active")
            ):
                self.organisations[pk] = OrganisationInfo(pk, name, acronym, is_active)

    def load_people(self, organisation_ids):
        """Load the people known at ``organisation_ids`` (by a position there or
        an earlier attendance for it), with their names: one query."""
        wanted = set(organisation_ids) - self._people_loaded_for
        if not wanted:
            return
        self._people_loaded_for |= wanted
        self._people_choices.clear()
        # Each organisation's people once (a UNION of its positions and its
        # attendance), then their records: the national core's organisations
        # have hundreds of thousands of attendance rows but a few thousand
        # people.
        quote = connection.ops.quote_name
        person = Person._meta
        columns = ", ".join(
            f"person.{quote(person.get_field(name).column)}"
            for name in ("id", "full_name", "email", "phone")
        )
        size = (connection.features.max_query_params or 4000) // 2
        for chunk in _chunks(sorted(wanted), size):
            links = [
                queryset.filter(organisation_id__in=chunk)
                .order_by()
                .values_list("organisation_id", "person_id")
                .query.sql_with_params()
                for queryset in (
                    Position.objects.all(),
                    Attendance.objects.filter(person__isnull=False),
                )
            ]
            # Django's own SQL for the two halves, quoted names for the rest.
            sql = (
                f"SELECT link.organisation_id, {columns} "  # noqa: S608
                f"FROM ({links[0][0]} UNION {links[1][0]}) link "
                f"JOIN {quote(person.db_table)} person "
                f"ON person.{quote(person.pk.column)} = link.person_id"
            )
            rows = self.fetch(sql, (*links[0][1], *links[1][1]))
            for organisation_id, person_id, full_name, email, phone in rows:
                if person_id not in self.people:
                    self.people[person_id] = PersonInfo(
                        person_id, full_name, email, phone
                    )
                key = person_key(full_name)
                self.people_at.setdefault(organisation_id, {}).setdefault(
                    key, set()
                ).add(person_id)

    def match(self, text):
        """How the organisation name ``text`` resolves (cached per key; a name
        ``load`` did not look up costs a look-up)."""
        key = name_key(text)
        if not key:
            return OrganisationMatch(None)
        if key not in self._matches:
            self.look_up([text])
        return self._matches[key]

    def person_suggestions(self, organisation_id, name):
        """People at the organisation whose name resembles ``name``: the
        better of rapidfuzz's token set ratio and ratio of the two
        ``person_key``s is at least ``SUGGESTION_SCORE``; best first."""
        return tuple(
            pk for pk, _score in self.scored_person_suggestions(organisation_id, name)
        )

    def scored_person_suggestions(self, organisation_id, name):
        """``person_suggestions`` with their scores: ((id, score), ...)."""
        known = self._people_choices.get(organisation_id)
        if known is None:
            known = self._people_choices[organisation_id] = _KnownNames(
                self.people_at.get(organisation_id, {})
            )
        form = person_key(name)
        scored = []
        for position in known.candidates(form):
            key = known.keys[position]
            score = max(fuzz.token_set_ratio(form, key), fuzz.ratio(form, key))
            if score >= SUGGESTION_SCORE:
                scored.extend((score, pk) for pk in known.people[position])
        scored.sort(
            key=lambda item: (-item[0], self.people[item[1]].full_name, item[1])
        )
        return tuple((pk, score) for score, pk in scored[:MAX_SUGGESTIONS])


class _KnownNames:
    """The ``person_key``s of the people at one organisation, indexed so that
    ``person_suggestions`` scores only the names that can reach the threshold,
    and scores those exactly as before. Without it a sheet of 10,000 new
    people at the national core's organisations scores millions of pairs.

    What can reach it follows from how rapidfuzz computes the token set ratio
    of two names A and B with no repeated word (a ``person_key`` is its words
    sorted, as rapidfuzz sorts them): with S the words they share, and D_A,
    D_B the rest of each joined,

    - S empty: the ratio of A and B;
    - S, D_A or D_B empty: 100;
    - otherwise the best of 1 - (1 + len D_B) / (2 len S + 1 + len D_B), the
      same for D_A, and 1 - indel(D_A, D_B) / (2 len S + 2 + len D_A +
      len D_B) (len S with its spaces), which at or above the threshold t
      needs ratio(D_A, D_B) >= t - (1 - t) (2 len S + 2) / (len D_A +
      len D_B).

    So a name is scored when its ratio to the sheet's is near the threshold;
    when it shares two or more words with it, or repeats a word; and when it
    shares one word w and either the share bounds above allow it, or the
    ratio of the rest, measured against the most lenient bound of the names
    with w, does. Each test keeps a point of slack for rounding."""

    def __init__(self, people_at):
        self.keys = list(people_at)
        self.people = list(people_at.values())
        self.by_word = {}
        self.repeating = []
        for position, key in enumerate(self.keys):
            words = key.split(" ") if key else []
            if not words or len(set(words)) != len(words):
                self.repeating.append(position)
                continue
            for word in words:
                self.by_word.setdefault(word, []).append(position)
        self._rests = {}

    def _rest(self, word):
        """For the names with ``word``: their positions, the rest of each
        (the name without ``word``), the shortest rest's length, and the
        positions whose rest is short enough to pass on the share alone."""
        if word not in self._rests:
            positions = self.by_word[word]
            rests = [
                " ".join(w for w in self.keys[p].split(" ") if w != word)
                for p in positions
            ]
            shared = len(word)
            short = [
                p
                for p, rest in zip(positions, rests, strict=True)
                # No rest: the name's words are among the sheet's, 100.
                if not rest or _share_score(shared, len(rest)) >= SUGGESTION_SCORE - 1
            ]
            self._rests[word] = (positions, rests, min(map(len, rests)), short)
        return self._rests[word]

    def candidates(self, form):
        """Positions of the keys that may score ``SUGGESTION_SCORE`` against
        ``form``, in order."""
        words = form.split(" ") if form else []
        if not words or len(set(words)) != len(words):
            return range(len(self.keys))
        found = set(self.repeating)
        found.update(
            position
            for _key, _score, position in process.extract(
                form,
                self.keys,
                scorer=fuzz.ratio,
                processor=None,
                score_cutoff=SUGGESTION_SCORE - 1,
                limit=None,
            )
        )
        seen = set()
        for word in words:
            with_word = self.by_word.get(word, ())
            found.update(seen.intersection(with_word))
            seen.update(with_word)
        threshold = SUGGESTION_SCORE / 100
        for word in words:
            if word not in self.by_word:
                continue
            positions, rests, shortest, short = self._rest(word)
            rest = " ".join(w for w in words if w != word)
            shared = len(word)
            if not rest or _share_score(shared, len(rest)) >= SUGGESTION_SCORE - 1:
                found.update(positions)
                continue
            found.update(short)
            lenient = 100 * (
                threshold - (1 - threshold) * (2 * shared + 2) / (len(rest) + shortest)
            )
            if lenient <= 1:
                found.update(positions)
                continue
            found.update(
                positions[index]
                for _rest, _score, index in process.extract(
                    rest,
                    rests,
                    scorer=fuzz.ratio,
                    processor=None,
                    score_cutoff=lenient - 1,
                    limit=None,
                )
            )
        return sorted(found)


def _share_score(shared, rest):
    """rapidfuzz's score of the shared words (``shared`` characters) against
    them followed by a rest of ``rest`` characters."""
    return 100 * (1 - (1 + rest) / (2 * shared + 1 + rest))


# The editor's decisions.


@dataclass(frozen=True)
class OrganisationChoice:
    """Use an existing organisation (``organisation_id``), optionally keeping
    the sheet's spelling as another name of it, or create a new one of type
    ``new_type`` (a slug)."""

    organisation_id: int | None = None
    new_type: str = ""
    remember: bool = False


@dataclass
class Decisions:
    # Question id -> OrganisationChoice.
    organisations: dict = field(default_factory=dict)
    # Question id -> id of an existing person (a suggestion accepted).
    people: dict = field(default_factory=dict)

    def organisation_ids(self):
        return {
            choice.organisation_id
            for choice in self.organisations.values()
            if choice.organisation_id
        }

    def to_data(self):
        return {
            "organisations": {
                qid: [c.organisation_id, c.new_type, c.remember]
                for qid, c in self.organisations.items()
            },
            "people": self.people,
        }

    @classmethod
    def from_data(cls, data):
        data = data or {}
        return cls(
            organisations={
                qid: OrganisationChoice(*values)
                for qid, values in data.get("organisations", {}).items()
            },
            people={qid: int(pk) for qid, pk in data.get("people", {}).items()},
        )


def question_id(*parts):
    """A short stable id for a question, usable as a form field name."""
    return hashlib.sha256("\x1f".join(map(str, parts)).encode()).hexdigest()[:12]


# The plan.


class Outcome(models.TextChoices):
    """What the import does with a row."""

    ADD = "add", _("add")
    UPDATE = "update", _("update")
    UNCHANGED = "unchanged", _("no change")
    REPEAT = "repeat", _("repeated row")
    CHOICE = "choice", _("needs your choice")
    ERROR = "error", _("error")


@dataclass
class OrganisationQuestion:
    """A name on the sheet that matches no organisation, or several."""

    id: str
    key: str
    text: str
    rows: list = field(default_factory=list)
    suggestions: list = field(default_factory=list)  # OrganisationInfo
    # Scores of the suggestions found by resemblance (none when several
    # organisations answer to the name).
    scores: list = field(default_factory=list)
    choice: OrganisationChoice | None = None
    error: str = ""

    @property
    def resembles(self):
        """Whether the name resembles organisations on record (rather than
        matching several, or only inactive ones)."""
        return bool(self.scores)

    def best_suggestion(self, score):
        """The one suggestion scoring ``score`` or more and better than any
        other, or None."""
        return _best(self.suggestions, self.scores, score)


@dataclass
class PersonQuestion:
    """A person new at a known organisation whose name resembles, or equals,
    someone already known there. Added as new unless the editor picks one."""

    id: str
    organisation_id: int
    text: str
    rows: list = field(default_factory=list)
    suggestions: list = field(default_factory=list)  # PersonInfo
    # Scores of the suggestions; none for namesakes (``ambiguous``).
    scores: list = field(default_factory=list)
    chosen: int | None = None
    ambiguous: bool = False

    def best_suggestion(self, score):
        """The one suggestion scoring ``score`` or more and better than any
        other, or None (namesakes have no score)."""
        return _best(self.suggestions, self.scores, score)


def _best(suggestions, scores, score):
    if not scores or scores[0] < score:
        return None
    if len(scores) > 1 and scores[1] >= scores[0]:
        # Two equally good: the editor tells them apart.
        return None
    return suggestions[0]


@dataclass
class NewOrganisation:
    key: str
    name: str
    type_id: int
    type_name: str


@dataclass
class NewPerson:
    key: str
    full_name: str
    email: str
    phone: str
    title: str
    organisation: tuple  # ("id", pk) or ("new", key)


@dataclass
class RowPlan:
    row: SheetRow
    outcome: str = ""
    organisation: tuple | None = None  # ("id", pk) or ("new", key)
    organisation_label: str = ""
    organisation_state: str = ""  # matched, chosen, new, choice
    person: tuple | None = None  # ("id", pk) or ("new", key)
    person_label: str = ""
    person_state: str = ""  # matched, new, chosen
    role: str = ""
    status: str = ""
    attendance_id: int | None = None
    repeats: int | None = None
    errors: list = field(default_factory=list)
    notes: list = field(default_factory=list)

    @property
    def outcome_label(self):
        return Outcome(self.outcome).label

    @property
    def needs_attention(self):
        return self.outcome in (Outcome.ERROR, Outcome.CHOICE) or bool(self.notes)


@dataclass
class Plan:
    sheet: Sheet
    # The MatchIndex and the Decisions the plan was built from.
    index: MatchIndex | None = field(default=None, repr=False, compare=False)
    decisions: Decisions | None = field(default=None, repr=False, compare=False)
    rows: list = field(default_factory=list)
    organisation_questions: list = field(default_factory=list)
    person_questions: list = field(default_factory=list)
    new_organisations: dict = field(default_factory=dict)
    # (organisation id, spelling) kept as other names of chosen organisations.
    new_names: dict = field(default_factory=dict)
    new_people: dict = field(default_factory=dict)
    # Person id -> {field: value}: blanks on record filled from the sheet.
    person_updates: dict = field(default_factory=dict)

    @cached_property
    def counts(self):
        return Counter(row.outcome for row in self.rows)

    @property
    def errors(self):
        return [error for row in self.rows for error in row.errors] + [
            q.error for q in self.organisation_questions if q.error
        ]

    @property
    def unresolved(self):
        return [q for q in self.organisation_questions if q.choice is None or q.error]

    @property
    def is_ready(self):
        return not self.counts[Outcome.ERROR] and not self.counts[Outcome.CHOICE]

    def blocking_message(self):
        parts = []
        if self.counts[Outcome.ERROR]:
            n = self.counts[Outcome.ERROR]
            parts.append(f"{n} row{'s' if n != 1 else ''} with errors")
        unresolved = self.unresolved
        if unresolved:
            n = len(unresolved)
            parts.append(
                f"{n} organisation name{'s' if n != 1 else ''} that need"
                f"{'s' if n == 1 else ''} your choice"
            )
        if not parts:
            return ""
        return f"Nothing was imported: the sheet has {' and '.join(parts)}."

    @cached_property
    def digest(self):
        """Fingerprint of what the import would write. A commit whose plan has
        a different digest from the previewed one is refused."""
        parts = [
            (r.row.number, r.outcome, r.organisation, r.person, r.role, r.status)
            for r in self.rows
        ]
        parts += [
            sorted((k, v.name, v.type_id) for k, v in self.new_organisations.items()),
            sorted(self.new_names),
            sorted(
                (k, p.full_name, p.email, p.title, p.organisation)
                for k, p in self.new_people.items()
            ),
            sorted((pk, sorted(v.items())) for pk, v in self.person_updates.items()),
        ]
        return hashlib.sha256(repr(parts).encode()).hexdigest()[:20]

    def result_message(self):
        """What an import of this plan did, for the editor and the admin log."""
        s = self.summary()
        return (
            f"Imported {_count(s['rows'], 'row')} from {self.sheet.filename}: "
            f"{s['add']} added, {s['update']} updated, "
            f"{s['unchanged'] + s['repeat']} unchanged; "
            f"{_count(s['new_organisations'], 'new organisation')}, "
            f"{_count(s['new_people'], 'new person', 'new people')}."
        )

    def summary(self):
        c = self.counts
        return {
            "rows": len(self.rows),
            "add": c[Outcome.ADD],
            "update": c[Outcome.UPDATE],
            "unchanged": c[Outcome.UNCHANGED],
            "repeat": c[Outcome.REPEAT],
            "choice": c[Outcome.CHOICE],
            "error": c[Outcome.ERROR],
            "new_organisations": len(self.new_organisations),
            "new_names": len(self.new_names),
            "new_people": len(self.new_people),
            "person_updates": len(self.person_updates),
        }


def _count(n, one, many=None):
    return f"{n} {one if n == 1 else many or one + 's'}"


def _error(sheet, row, column, message):
    return f"Row {row.number}, column {_quote(sheet.column(column))}: {message}"


class _PlanBuilder:
    def __init__(self, sheet, index, decisions, *, allow_new_organisations=True):
        self.sheet = sheet
        self.index = index
        self.decisions = decisions or Decisions()
        self.allow_new_organisations = allow_new_organisations
        self.plan = Plan(sheet=sheet, index=index, decisions=self.decisions)
        self.questions = {}
        self.person_questions = {}
        # Email (lower case) -> the person it belongs to, on record or new.
        self.email_owner = {
            email: ("id", pk) for email, pk in index.people_by_email.items()
        }
        self.new_by_name = {}
        self.seen = {}

    def build(self):
        for row in self.sheet.rows:
            self.plan.rows.append(self.row(row))
        self.plan.organisation_questions = list(self.questions.values())
        self.plan.person_questions = list(self.person_questions.values())
        return self.plan

    def row(self, row):
        plan = RowPlan(row=row)
        self.organisation(plan)
        self.role_and_status(plan)
        self.person(plan)
        if plan.errors:
            plan.outcome = Outcome.ERROR
        elif plan.organisation_state == "choice":
            plan.outcome = Outcome.CHOICE
        else:
            self.attendance(plan)
        return plan

    def error(self, plan, column, message):
        plan.errors.append(_error(self.sheet, plan.row, column, message))

    def organisation(self, plan):
        text = plan.row.organisation
        if not name_key(text):
            detail = f"{_quote(text)} is not a name" if text else "empty"
            self.error(
                plan,
                ORGANISATION,
                f"{detail}; every row needs the organisation the person attended for.",
            )
            return
        found = self.index.match(text)
        if found.organisation_id is not None:
            info = self.index.organisations[found.organisation_id]
            plan.organisation = ("id", info.id)
            plan.organisation_label = info.label
            plan.organisation_state = "matched"
            return
        key = name_key(text)
        question = self.questions.get(key)
        if question is None:
            question = OrganisationQuestion(
                id=question_id("organisation", key),
                key=key,
                text=text,
                suggestions=[self.index.organisations[pk] for pk in found.suggestions],
                scores=list(found.scores),
            )
            question.choice = self.decisions.organisations.get(question.id)
            self.check_choice(question)
            self.questions[key] = question
        question.rows.append(plan.row.number)
        choice = question.choice
        if choice is None or question.error:
            plan.organisation_state = "choice"
            plan.organisation_label = text
        elif choice.organisation_id:
            info = self.index.organisations[choice.organisation_id]
            plan.organisation = ("id", info.id)
            plan.organisation_label = info.label
            plan.organisation_state = "chosen"
            if choice.remember and info.id not in self.index.by_key.get(key, {}):
                self.plan.new_names[(info.id, key)] = question.text
        else:
            new = self.plan.new_organisations.get(key)
            if new is None:
                type_id, type_name = self.index.types[choice.new_type]
                new = NewOrganisation(key, question.text, type_id, type_name)
                self.plan.new_organisations[key] = new
            plan.organisation = ("new", key)
            plan.organisation_label = f"{new.name} (new: {new.type_name})"
            plan.organisation_state = "new"

    def check_choice(self, question):
        choice = question.choice
        if choice is None:
            return
        if choice.organisation_id:
            if choice.organisation_id not in self.index.organisations:
                question.error = (
                    f"The organisation chosen for {_quote(question.text)} no longer "
                    "exists; choose again."
                )
        elif not self.allow_new_organisations:
            question.error = (
                f"You may not add organisations: choose an existing one for "
                f"{_quote(question.text)}."
            )
        elif choice.new_type not in self.index.types:
            question.error = (
                f"Choose a type for the new organisation {_quote(question.text)}."
            )
        elif len(question.text) > MAX_LENGTHS[ORGANISATION]:
            question.error = (
                f"The name {_quote(question.text[:40] + '…')} is longer than "
                f"{MAX_LENGTHS[ORGANISATION]} characters."
            )
        elif question.text.lower() in self.index.active_names:
            question.error = (
                f"An active organisation is already named {_quote(question.text)}; "
                "choose it instead of creating another."
            )

    def role_and_status(self, plan):
        for column, table, choices, attribute in (
            (ROLE, _ROLES, Attendance.Role, "role"),
            (STATUS, _STATUSES, Attendance.Status, "status"),
        ):
            text = getattr(plan.row, column)
            if not text:
                continue
            value = table.get(_word_key(text))
            if value is None:
                self.error(
                    plan,
                    column,
                    f"{_quote(text)} is not a {attribute}; use "
                    f"{get_text_list([str(c.label).lower() for c in choices], 'or')}.",
                )
            setattr(plan, attribute, value or "")

    def person(self, plan):
        row = plan.row
        email = row.email.removeprefix("mailto:").strip()
        if email:
            try:
                validate_email(email)
            except ValidationError:
                self.error(
                    plan, EMAIL, f"{_quote(email)} is not a valid email address."
                )
                return
        if not row.name and not email:
            if row.title or row.phone:
                column = TITLE if row.title else PHONE
                self.error(
                    plan,
                    column,
                    "given without a person: add the person's name or email, or "
                    "clear the cell.",
                )
            return
        for column in (NAME, EMAIL, TITLE, PHONE):
            value = email if column == EMAIL else getattr(row, column)
            if len(value) > MAX_LENGTHS[column]:
                self.error(
                    plan,
                    column,
                    f"longer than {MAX_LENGTHS[column]} characters.",
                )
                return
        if plan.organisation is None:
            # The organisation is missing or awaits a choice: the person is
            # matched once it is known.
            plan.person_label = row.name or email
            return
        owner = self.email_owner.get(email.lower()) if email else None
        if owner is not None:
            self.use_person(plan, owner, how="email", email=email)
            return
        if not row.name:
            self.error(
                plan,
                NAME,
                f"empty, and the email {_quote(email)} belongs to no one on record: "
                "a new person needs a name.",
            )
            return
        kind, organisation_id = plan.organisation
        pkey = person_key(row.name)
        if kind == "id":
            known = self.index.people_at.get(organisation_id, {}).get(pkey, set())
            if len(known) > 1:
                # Namesakes at one organisation: the one already recorded at
                # this meeting for it is the one a re-import means.
                here = {
                    pk for pk in known if (organisation_id, pk) in self.index.attendance
                }
                known = here if len(here) == 1 else known
            if len(known) == 1:
                self.use_person(plan, ("id", next(iter(known))), how="name")
                if email:
                    self.fill(plan, email=email)
                return
        new = self.new_by_name.get((plan.organisation, pkey))
        if new is not None:
            self.use_person(plan, new, how="name", email=email)
            return
        if kind == "id":
            scored = (
                ()
                if known
                else self.index.scored_person_suggestions(organisation_id, row.name)
            )
            suggestions = sorted(known) or [pk for pk, _score in scored]
            if suggestions:
                qid = question_id("person", organisation_id, pkey)
                question = self.person_questions.get(qid)
                if question is None:
                    question = PersonQuestion(
                        id=qid,
                        organisation_id=organisation_id,
                        text=row.name,
                        suggestions=[self.index.people[pk] for pk in suggestions],
                        scores=[score for _pk, score in scored],
                        ambiguous=bool(known),
                    )
                    chosen = self.decisions.people.get(qid)
                    if chosen in suggestions:
                        question.chosen = chosen
                    self.person_questions[qid] = question
                question.rows.append(row.number)
                if question.chosen:
                    self.use_person(plan, ("id", question.chosen), how="your choice")
                    if email:
                        self.fill(plan, email=email)
                    return
                names = ", ".join(_quote(p.full_name) for p in question.suggestions)
                plan.notes.append(
                    f"Added as a new person; resembles {names} at this "
                    "organisation (choose above to use an existing person)."
                )
        key = email.lower() if email else f"{plan.organisation}:{pkey}"
        person = NewPerson(
            key=key,
            full_name=row.name,
            email=email,
            phone=row.phone,
            title=row.title,
            organisation=plan.organisation,
        )
        self.plan.new_people[key] = person
        plan.person = ("new", key)
        plan.person_label = person.full_name + (f" <{email}>" if email else "")
        plan.person_state = "new"
        if email:
            self.email_owner[email.lower()] = plan.person
        self.new_by_name[(plan.organisation, pkey)] = plan.person

    def use_person(self, plan, ref, *, how, email=""):
        row = plan.row
        plan.person = ref
        if ref[0] == "id":
            info = self.index.people[ref[1]]
            plan.person_label = info.label
            plan.person_state = "chosen" if how == "your choice" else "matched"
            if (
                how == "email"
                and row.name
                and fuzz.token_set_ratio(
                    person_key(row.name), person_key(info.full_name)
                )
                < SAME_PERSON_SCORE
            ):
                plan.notes.append(
                    f"The email is on record for {_quote(info.full_name)}; the "
                    f"sheet names {_quote(row.name)}. Imported as "
                    f"{_quote(info.full_name)}."
                )
            if row.phone and not info.phone:
                self.fill(plan, phone=row.phone)
        else:
            new = self.plan.new_people[ref[1]]
            plan.person_label = new.full_name + (f" <{new.email}>" if new.email else "")
            plan.person_state = "new"
            if email and not new.email:
                new.email = email
                self.email_owner[email.lower()] = ref
            if row.phone and not new.phone:
                new.phone = row.phone

    def fill(self, plan, **values):
        """Fill blanks of a person on record from the sheet; never overwrite."""
        kind, pk = plan.person
        if kind != "id":
            return
        info = self.index.people[pk]
        updates = self.plan.person_updates.setdefault(pk, {})
        for name, value in values.items():
            on_record = getattr(info, name)
            if on_record and on_record.lower() != value.lower():
                plan.notes.append(
                    f"The sheet's {FIELD_LABELS[name]} {_quote(value)} differs from "
                    f"the one on record, {_quote(on_record)}, which is kept."
                )
            if on_record or name in updates:
                continue
            if name == "email":
                if value.lower() in self.email_owner:
                    continue
                self.email_owner[value.lower()] = plan.person
            updates[name] = value
            plan.notes.append(
                f"Adds the {FIELD_LABELS[name]} {_quote(value)} to the person's record."
            )
        if not updates:
            del self.plan.person_updates[pk]

    def attendance(self, plan):
        key = (plan.organisation, plan.person)
        earlier = self.seen.get(key)
        if earlier is not None:
            plan.repeats = earlier.row.number
            different = [
                sheet_column
                for sheet_column, attribute in ((ROLE, "role"), (STATUS, "status"))
                if getattr(plan, attribute) != getattr(earlier, attribute)
            ]
            if different:
                column = different[0]
                self.error(
                    plan,
                    column,
                    f"repeats row {earlier.row.number} (same organisation and "
                    f"person) with a different {FIELD_LABELS[column]}.",
                )
                plan.outcome = Outcome.ERROR
            else:
                plan.outcome = Outcome.REPEAT
            return
        self.seen[key] = plan
        existing = None
        organisation_known = plan.organisation[0] == "id"
        person_known = plan.person is None or plan.person[0] == "id"
        if organisation_known and person_known:
            person_id = plan.person[1] if plan.person else None
            existing = self.index.attendance.get((plan.organisation[1], person_id))
        if existing is None:
            plan.outcome = Outcome.ADD
            return
        pk, role, status = existing
        plan.attendance_id = pk
        # An empty cell says nothing: it keeps what is on record.
        if (plan.role or role) != role or (plan.status or status) != status:
            plan.outcome = Outcome.UPDATE
            plan.notes.append(
                f"Was {Attendance.Role(role).label.lower()}, "
                f"{Attendance.Status(status).label.lower()}."
            )
        else:
            plan.outcome = Outcome.UNCHANGED


def build_plan(sheet, index, decisions=None, *, allow_new_organisations=True):
    """What importing ``sheet`` would do, row by row. Pure: reads only
    ``index`` and writes nothing."""
    return _PlanBuilder(
        sheet, index, decisions, allow_new_organisations=allow_new_organisations
    ).build()


def plan_import(meeting, sheet, decisions=None, *, allow_new_organisations=True):
    """``build_plan`` from a ``MatchIndex`` read now, in one snapshot of the
    database and without its write lock (see ``_ReadSnapshot``): what the
    preview shows and what ``meetings.services.attendance_import`` writes,
    once it has checked inside its transaction that ``plan.index`` is still
    current."""
    with _ReadSnapshot():
        index = MatchIndex.load(meeting, sheet, decisions)
        return build_plan(
            sheet, index, decisions, allow_new_organisations=allow_new_organisations
        )
