"""What a sign-in sheet is once read: its fields, its rows, the limits a file
must keep to, and the error that refuses one.

Everything else in the package builds on this module, which imports none of
it: ``reading`` and ``xlsx`` make a ``Sheet`` of a file's bytes, ``planning``
says what importing its rows would do.
"""

from dataclasses import dataclass, field
from typing import NamedTuple

from django.utils.formats import number_format
from django.utils.translation import gettext, pgettext
from django.utils.translation import gettext_lazy as _

from stakeholders.models import Organisation, Person, Position

MAX_FILE_SIZE = 5 * 1024 * 1024
MAX_ROWS = 10_000
# Whole-row formatting can make a worksheet claim 16,384 columns.
MAX_COLUMNS = 100

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

# What each field is, in messages ("the sheet's email … differs") and as the
# name of a column the sheet does not have.
FIELD_LABELS = {
    ORGANISATION: _("organisation"),
    NAME: _("person name"),
    EMAIL: _("email"),
    TITLE: _("position / title"),
    ROLE: _("role"),
    STATUS: _("status"),
    PHONE: _("phone"),
    FIRST_NAME: _("first name"),
    LAST_NAME: _("last name"),
    MIDDLE_NAME: _("middle name"),
}
MAX_LENGTHS = {
    ORGANISATION: Organisation._meta.get_field("name").max_length,
    NAME: Person._meta.get_field("full_name").max_length,
    EMAIL: Person._meta.get_field("email").max_length,
    TITLE: Position._meta.get_field("title").max_length,
    PHONE: Person._meta.get_field("phone").max_length,
}


class SheetError(Exception):
    """The file as a whole cannot be read; the message says why, for the editor."""


def format_number(value, decimals=None):
    """``value`` written as the current language writes numbers: 10,000 in
    English, 10 000 in Uzbek and Russian."""
    return number_format(value, decimal_pos=decimals, force_grouping=True)


def too_big_message(size=None):
    limit = MAX_FILE_SIZE // 1024 // 1024
    if size:
        return gettext(
            "The file is %(size)s MB; sheets of up to %(limit)s MB are accepted. "
            "Split it, or remove images and other sheets."
        ) % {"size": format_number(size / 1024 / 1024, 1), "limit": limit}
    return gettext(
        "The file is too large; sheets of up to %(limit)s MB are accepted. "
        "Split it, or remove images and other sheets."
    ) % {"limit": limit}


def too_long_message():
    return gettext(
        "The sheet has more than %(rows)s rows; split it into several sheets of "
        "at most that many."
    ) % {"rows": format_number(MAX_ROWS)}


def quote(text):
    """``text`` quoted in a message for the editor, with the current
    language's quotation marks."""
    return pgettext("quotation marks around a name", "“%(text)s”") % {"text": text}


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
        return self.columns.get(name) or str(FIELD_LABELS[name]).capitalize()

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
