"""What a sign-in sheet is once read: its fields, its rows, the limits a file
must keep to, and the error that refuses one.

Everything else in the package builds on this module, which imports none of
it: ``reading`` and ``xlsx`` make a ``Sheet`` of a file's bytes, ``planning``
says what importing its rows would do.
"""

from dataclasses import dataclass, field
from typing import NamedTuple

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


class SheetError(Exception):
    """The file as a whole cannot be read; the message says why, for the editor."""


def too_big_message(size=None):
    actual = f"is {size / 1024 / 1024:.1f} MB" if size else "is too large"
    return (
        f"The file {actual}; sheets of up to {MAX_FILE_SIZE // 1024 // 1024} MB "
        "are accepted. Split it, or remove images and other sheets."
    )


def too_long_message():
    return (
        f"The sheet has more than {MAX_ROWS:,} rows; split it into several "
        "sheets of at most that many."
    )


def quote(text):
    """``text`` quoted in a message for the editor."""
    return f"“{text}”"


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
