"""Case-insensitive text search that the database runs natively.

``icontains`` on SQLite goes through the Unicode-aware ``LIKE`` of
``stakeholders/sqlite.py``, a Python call per row and column: 1.7 s to search
500,000 people. Instead, each searchable model stores its searchable text
lower-cased in a generated column (``search_key``: the database computes it on
every write, whatever writes the row, so no code path can forget it), and a
search is a plain substring test on that column, which both engines run in C:

    Person.objects.filter(search_key__includes="узинфоком")

The term is lower-cased in Python, as SQLite's ``lower()`` is (it is the same
function) and as PostgreSQL's is for the scripts used here.
"""

from django.db import models
from django.db.models import Lookup, Value
from django.db.models.functions import Concat, Lower

# Between the parts of a search key, so that a term never matches across two
# fields ("name" + "acronym"): a search term is one stripped line.
SEPARATOR = "\n"


class SearchText(models.TextField):
    """The type of a ``search_key`` column: text with the ``includes`` lookup."""


@SearchText.register_lookup
class Includes(Lookup):
    """``search_key__includes=term``: the key contains ``term`` lower-cased.

    ``instr``/``strpos`` rather than ``LIKE``: no pattern to escape, and no
    call into Python on SQLite."""

    lookup_name = "includes"

    def get_prep_lookup(self):
        return str(self.rhs).lower()

    def as_sql(self, compiler, connection, function="INSTR"):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        rhs, rhs_params = self.process_rhs(compiler, connection)
        return f"{function}({lhs}, {rhs}) > 0", (*lhs_params, *rhs_params)

    def as_postgresql(self, compiler, connection):
        return self.as_sql(compiler, connection, function="STRPOS")


def generated_search_key(*fields):
    """A generated column holding ``fields`` lower-cased, one per line."""
    parts = []
    for field in fields:
        parts += [Value(SEPARATOR), field] if parts else [field]
    if len(parts) > 1:
        expression = Lower(Concat(*parts, output_field=models.TextField()))
    else:
        expression = Lower(parts[0])
    return models.GeneratedField(
        expression=expression,
        output_field=SearchText(),
        db_persist=True,
    )
