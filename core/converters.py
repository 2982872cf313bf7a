"""``<id:pk>`` in URLs: a record's id, as ``<int:pk>`` but within the range of
the database's ids (a 64-bit integer, on SQLite and PostgreSQL alike).

A longer number names no record, so the URL matches nothing (a 404) rather
than reach a query with a number the database cannot take: SQLite raises an
OverflowError for it in a query written by hand (the organisation page's), a
500. Importing this module registers the converter.
"""

from django.urls import register_converter
from django.urls.converters import IntConverter

LARGEST_ID = 2**63 - 1


class IdConverter(IntConverter):
    regex = "[0-9]{1,19}"

    def to_python(self, value):
        number = int(value)
        if number > LARGEST_ID:
            raise ValueError(f"No record has the id {value}.")
        return number


register_converter(IdConverter, "id")
