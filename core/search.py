"""Case-insensitive text search that the database runs natively, from an index.

``icontains`` on SQLite goes through the Unicode-aware ``LIKE`` of
``core/sqlite.py``, a Python call per row and column: 1.7 s to search
500,000 people. Instead, each searchable model stores its searchable text
lower-cased in a generated column (``search_key``: the database computes it on
every write, whatever writes the row, so no code path can forget it), and a
search is a substring test on that column:

    Person.objects.filter(search_key__includes="узинфоком")

The term is lower-cased in Python, as SQLite's ``lower()`` is (it is the same
function) and as PostgreSQL's is for the scripts used here.

On PostgreSQL, the engine for national scale, each ``search_key`` of
``INDEXED`` has a trigram index: a GIN index ``<table>_search_trgm`` of
pg_trgm's ``gin_trgm_ops``, which finds the rows containing a string of
three characters or more without reading the others. The test becomes
``search_key LIKE '%term%'``, which the index serves (``STRPOS`` cannot use
it); a shorter term has no trigram to look up and is tested on every row.
The migrations build the indexes with ``index_create``; ``index_repair`` puts
back what a later migration removed.

SQLite reads every key with ``instr``, in one pass over the table. FTS5
trigram tables kept by triggers did it from an index until issue 11; median
ms with / without them, measured on SQLite: at L every search page within
the targets either way (the attendance search 40 / 64, people ?q 16 / 26);
at XL, the scale PostgreSQL serves, people ?q 19 / 115, admin person search
37 / 130, admin autocomplete person 9 / 104, admin organisation search 58 /
90, the attendance search ("health") 68 / 344, the slowest.
"""

import sys

from django.apps import apps as global_apps
from django.db import DEFAULT_DB_ALIAS, connections, models, transaction
from django.db.migrations.recorder import MigrationRecorder
from django.db.models import Lookup, Value
from django.db.models.expressions import Col
from django.db.models.functions import Concat, Lower

# Between the parts of a search key, so that a term never matches across two
# fields ("name" + "acronym"): a search term is one stripped line.
SEPARATOR = "\n"

# The models whose search key has a trigram index on PostgreSQL, with the
# migration that indexed it.
INDEXED = {
    "stakeholders.organisation": ("stakeholders", "0009_search_index"),
    "stakeholders.organisationname": ("stakeholders", "0009_search_index"),
    "stakeholders.person": ("stakeholders", "0009_search_index"),
    "meetings.meeting": ("meetings", "0008_search_index"),
}

# The length of a trigram: a shorter term is in no trigram index.
TRIGRAM = 3


class SearchText(models.TextField):
    """The type of a ``search_key`` column: text with the ``includes`` lookup."""


@SearchText.register_lookup
class Includes(Lookup):
    """``search_key__includes=term``: the key contains ``term`` lower-cased.

    On a model of ``INDEXED``, a condition on the primary key: the ids of the
    matching rows as a set (IN), from PostgreSQL's trigram index where the
    term is long enough, else from one read of the table in order with
    ``instr`` / ``strpos`` (no pattern to escape, no call into Python on
    SQLite). A set
    rather than a test of each row as a list reads it: SQLite would test
    them along the list's sort index, reading the table in a random order."""

    lookup_name = "includes"

    def get_prep_lookup(self):
        return str(self.rhs).lower()

    def as_sql(self, compiler, connection, function="INSTR"):
        if self.indexed():
            meta = self.lhs.target.model._meta
            table, pk, column = map(
                connection.ops.quote_name,
                (meta.db_table, meta.pk.column, self.lhs.target.column),
            )
            return self.keys(
                compiler,
                f"SELECT {pk} FROM {table} WHERE {function}({column}, %s) > 0",  # noqa: S608
                self.rhs,
            )
        lhs, lhs_params = self.process_lhs(compiler, connection)
        rhs, rhs_params = self.process_rhs(compiler, connection)
        return f"{function}({lhs}, {rhs}) > 0", (*lhs_params, *rhs_params)

    def as_postgresql(self, compiler, connection):
        if not self.indexed() or len(self.rhs) < TRIGRAM:
            return self.as_sql(compiler, connection, function="STRPOS")
        lhs, lhs_params = self.process_lhs(compiler, connection)
        # Backslash is LIKE's escape character by default. The planner reads
        # the index as a set (bitmap scan) by itself.
        pattern = f"%{connection.ops.prep_for_like_query(self.rhs)}%"
        return f"{lhs} LIKE %s", (*lhs_params, pattern)

    def indexed(self):
        """Whether the term is a value and the column an indexed model's."""
        return (
            isinstance(self.lhs, Col)
            and self.lhs.target.model._meta.label_lower in INDEXED
            and self.rhs_is_direct_value()
        )

    def keys(self, compiler, subquery, param):
        """The condition: the row's primary key is one of ``subquery``'s."""
        model = self.lhs.target.model
        pk, pk_params = compiler.compile(model._meta.pk.get_col(self.lhs.alias))
        return f"{pk} IN ({subquery})", (*pk_params, param)


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


# The indexes (PostgreSQL's)


def _gin(table):
    return f"{table}_search_trgm"


def index_create(connection, model):
    """Create the trigram index of ``model``'s search key on PostgreSQL, where
    it is missing.

    Creating the pg_trgm extension takes the CREATE privilege on the database
    (it is a trusted extension) if it is not there yet."""
    if connection.vendor != "postgresql":
        return
    table = model._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        cursor.execute(
            f'CREATE INDEX IF NOT EXISTS "{_gin(table)}" ON "{table}" '
            "USING gin (search_key gin_trgm_ops)"
        )


def index_drop(connection, model):
    """Remove the index of ``model``'s search key (the reverse of
    ``index_create``). The pg_trgm extension stays: it may predate the
    index or serve another; dropping it is the database owner's choice."""
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute(f'DROP INDEX IF EXISTS "{_gin(model._meta.db_table)}"')


def index_repair(
    sender=None, *, apps=global_apps, using=DEFAULT_DB_ALIAS, verbosity=1, **kwargs
):
    """``post_migrate`` receiver: rebuild an index that a migration broke.

    The indexes are raw SQL, outside the migration state: dropping and adding
    a generated column (to change its expression) drops the GIN index on it,
    silently. So after every ``migrate`` on PostgreSQL, a missing GIN index
    of an indexed model is created again. One query when nothing is
    missing."""
    connection = connections[using]
    if connection.vendor != "postgresql":
        return
    expected = {}
    for label in INDEXED:
        try:
            model = apps.get_model(label)
        except LookupError:  # Migrated back to before the model.
            continue
        expected[model] = _gin(model._meta.db_table)
    if not expected:
        return
    names = list(expected.values())
    placeholders = ", ".join(["%s"] * len(names))
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexname FROM pg_indexes "  # noqa: S608
            f"WHERE schemaname = current_schema() AND indexname IN ({placeholders})",
            names,
        )
        present = {name for (name,) in cursor.fetchall()}
    broken = [model for model, name in expected.items() if name not in present]
    if not broken:
        return
    # Not migrated yet, or migrated back: no index is expected.
    applied = MigrationRecorder(connection).applied_migrations()
    stdout = kwargs.get("stdout") or sys.stdout
    with transaction.atomic(using=using):
        for model in broken:
            if INDEXED[model._meta.label_lower] not in applied:
                continue
            if verbosity >= 1:
                stdout.write(
                    f"  Rebuilding the search index of {model._meta.db_table}.\n"
                )
            index_create(connection, model)
