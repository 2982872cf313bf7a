"""Search that reads both scripts, from a key the database stores and indexes.

A name is written in Cyrillic or Latin letters, with any of the apostrophes
of Uzbek Latin and any romanisation of a Russian name: "Узинфоком",
"UZINFOCOM" and "Uzinfokom" are one organisation, "Хасанов", "Khasanov" and
"Xasanov" one person. Each searchable model (organisations: name and
acronym; their other names; people: name and email; meetings: title and
venue; agenda topics: name) stores the search key of those fields in a
generated column, ``search_key``: ``core.names.search_key``, the letters the
sign-in sheet import compares names by (its first line is the import's
``loose_key``), one line a field. The database computes it on every write,
whatever writes the row (the admin, the import, ``bulk_create``,
``QuerySet.update``, the sample-data generator), so no code path can
forget it; ``SearchKey`` says how on each engine. A search is a substring
test on that column:

    Person.objects.filter(search_key__includes="Узинфоком")

and several terms combined are one lookup (``Terms``), which reads the index
once for all of them:

    Person.objects.filter(search_key__includes=Terms.every("aziz", "karimov"))

The typed term goes through the same rules in Python
(``core.names.search_terms``), which give the forms it is looked for as:
its key, both readings of a lone c (k in "Uzinfocom", ts in "Kuznecov"),
and, when the term stops inside a pair of letters the rules fold ("Mik" of
"Mikhail", stored as "mih"), the key of the letters going on. Punctuation
and spaces are in no key: a term never meets FTS5 or LIKE syntax, and one
with no letter or digit finds nothing. docs/search.md says what is found and
what is not.

A substring test of every row reads the whole table (0.4 s for 500,000
people), so a ``search_key`` can have a trigram index, which finds the rows
containing a string of three characters or more without reading the others,
and gives exactly the rows the substring test gives:

- PostgreSQL, every model of ``INDEXED``: a GIN index ``<table>_search_trgm``
  of pg_trgm's ``gin_trgm_ops``. The test becomes ``search_key LIKE
  '%form%' OR ...``, which the index serves (``STRPOS`` cannot use it).
- SQLite, the models of ``FTS`` only (people, organisations and their
  other names): an FTS5 table
  ``<table>_fts`` with the trigram tokenizer over the model's table
  (``content=``: it holds the index, not a copy of the text), kept by
  triggers on the table. The test becomes ``id IN (SELECT rowid FROM
  <table>_fts WHERE <table>_fts MATCH '"form" OR ...')``. The other models'
  keys are read with ``instr``, one pass over the table.

A shorter term has no trigram to look up: it is still tested on every row.
The migrations build the indexes with ``index_create``; ``index_repair`` puts
back what a later migration removed.
"""

import sys

from django.apps import apps as global_apps
from django.core.exceptions import EmptyResultSet
from django.db import (
    DEFAULT_DB_ALIAS,
    NotSupportedError,
    connections,
    models,
    transaction,
)
from django.db.migrations.recorder import MigrationRecorder
from django.db.models import Case, Func, Lookup, Q, Value, When
from django.db.models.expressions import Col

from core import names

# Between the parts of a search key, so that a term never matches across two
# fields ("name" + "acronym"): a search term is one stripped line.
SEPARATOR = "\n"

# The function SQLite computes search keys with, registered on every
# connection by core.sqlite: names.search_key itself.
SQLITE_FUNCTION = "hamkor_search_key"

# The models whose search key has a trigram index (on SQLite only those of
# ``FTS``), with the migration that indexed it.
INDEXED = {
    "stakeholders.organisation": ("stakeholders", "0009_search_index"),
    "stakeholders.organisationname": ("stakeholders", "0009_search_index"),
    "stakeholders.person": ("stakeholders", "0009_search_index"),
    "meetings.meeting": ("meetings", "0008_search_index"),
}

# The models whose search key SQLite reads through an FTS5 table: a speed
# trick for SQLite at national scale. The people's table was earned by issue
# 11's pages. Median ms on SQLite at XL, with / without it: the attendance
# search ("health") 68 / 344 on a quiet machine, 140 / 631 with the load at
# 3.5 (548 in another loaded run without it), past 400 ms; people ?q
# 19 / 115, admin person search 37 / 130, admin autocomplete person 9 / 104,
# suggest people 6 / 101. At L every page was within its targets without
# it (the attendance search 40 / 64, people ?q 16 / 26).
# The organisations' and their other names' tables went with issue 11 (each
# page within 150 ms without them) and came back with issue 18's load
# benchmark at XL, which misses its pages a second on SQLite: organisations
# ?q was the mix's costliest page (a tenth of its CPU). CPU ms with /
# without them, two runs: organisations ?q 40-53 / 89-115, admin
# organisation search 73-123 / 135-188 (stakeholders 0018). The meetings'
# table stays away: no page of the load mix searches them (admin meeting
# search 56 / 66).
FTS = {
    "stakeholders.person",
    "stakeholders.organisation",
    "stakeholders.organisationname",
}

# The length of a trigram: a shorter term is in no trigram index.
TRIGRAM = 3


class SearchText(models.TextField):
    """The type of a ``search_key`` column: text with the ``includes`` lookup."""


class Terms:
    """Typed terms combined, for one ``search_key__includes``:
    ``Terms.every("sample", "danila")`` (the key includes each),
    ``Terms.any("sis", "oev")`` (one at least), nested; a str in them is a
    typed term, looked for as its forms (``names.search_terms``). Empty, or
    with none but terms of no letter or digit, it finds nothing.

    One lookup reads the index once for the whole of it: SQLite's FTS table
    with one query (``"sample" AND ("sis" OR "oev")``) and a key it has no
    FTS table for in one pass, where a lookup a term reads them once a term,
    each as a set of ids. Earned at SQLite L by the add forms' duplicate
    warning (issue 15), which combines up to a few dozen terms: 37-108 ms a
    warning with a lookup a term, 5-22 ms with one (three terms among 50,000
    people: 22 ms as three sets, 0.8 as one FTS query). On PostgreSQL it is
    the same SQL as a lookup a term."""

    def __init__(self, connector, terms):
        self.connector = connector
        self.terms = tuple(terms)

    @classmethod
    def every(cls, *terms):
        return cls("AND", terms)

    @classmethod
    def any(cls, *terms):
        return cls("OR", terms)


def _forms(terms):
    """What ``terms`` (a typed term or ``Terms``) is looked for as: a tree
    ``(connector, (form or tree, ...))`` of forms; ``()`` for nothing (a
    term with no letter or digit, terms all required with such a one)."""
    if not isinstance(terms, Terms):
        forms = names.search_terms(str(terms))
        return ("OR", tuple(forms)) if forms else ()
    children = [_forms(term) for term in terms.terms]
    if terms.connector == "AND" and () in children:
        return ()
    children = tuple(child for child in children if child)
    return (terms.connector, children) if children else ()


def _leaves(tree):
    """The forms of a tree of ``_forms``."""
    for child in tree[1] if tree else ():
        if isinstance(child, str):
            yield child
        else:
            yield from _leaves(child)


def _render(tree, leaf):
    """The SQL (or FTS5 query) of a tree of ``_forms``, a form being what
    ``leaf(form)`` gives: ``(sql, params)``."""
    connector, children = tree
    parts = [
        leaf(child) if isinstance(child, str) else _render(child, leaf)
        for child in children
    ]
    return (
        "(" + f" {connector} ".join(sql for sql, _params in parts) + ")",
        [param for _sql, params in parts for param in params],
    )


@SearchText.register_lookup
class Includes(Lookup):
    """``search_key__includes=term``: the key contains one of the forms the
    term is looked for as (``names.search_terms``: its key, both readings of
    a c, the letters it may stop inside); nothing for a term with no letter
    or digit. ``search_key__includes=Terms.every(...)``: the same for terms
    combined.

    On a model of ``INDEXED``, a condition on the primary key: the ids of the
    matching rows as a set (IN), from the trigram index where there is one
    and every form is long enough, else from one read of the table in order
    with ``instr`` / ``strpos`` (no pattern to escape, no call into Python
    on SQLite). A set rather than a test of each row as a list reads it:
    SQLite would test them along the list's sort index, reading the table in
    a random order."""

    lookup_name = "includes"

    def get_prep_lookup(self):
        if hasattr(self.rhs, "resolve_expression"):
            raise NotSupportedError("search_key__includes takes a typed term.")
        return _forms(self.rhs)

    def as_sql(self, compiler, connection, function="INSTR"):
        if not self.rhs:
            raise EmptyResultSet
        if self.indexed():
            meta = self.lhs.target.model._meta
            table, pk, column = map(
                connection.ops.quote_name,
                (meta.db_table, meta.pk.column, self.lhs.target.column),
            )
            found, params = _render(
                self.rhs, lambda form: (f"{function}({column}, %s) > 0", [form])
            )
            return self.keys(
                compiler,
                f"SELECT {pk} FROM {table} WHERE {found}",  # noqa: S608
                params,
            )
        lhs, lhs_params = self.process_lhs(compiler, connection)
        return _render(
            self.rhs, lambda form: (f"{function}({lhs}, %s) > 0", [*lhs_params, form])
        )

    def as_sqlite(self, compiler, connection):
        # FTS5 reads a query string up to its first NUL.
        if (
            not self.indexed()
            or self.lhs.target.model._meta.label_lower not in FTS
            or not self.trigrams()
            or any("\x00" in form for form in _leaves(self.rhs))
        ):
            return self.as_sql(compiler, connection)
        fts = connection.ops.quote_name(_fts(self.lhs.target.model._meta.db_table))
        query, _params = _render(self.rhs, lambda form: (fts_string(form), []))
        return self.keys(
            compiler,
            f"SELECT rowid FROM {fts} WHERE {fts} MATCH %s",  # noqa: S608
            [query],
        )

    def as_postgresql(self, compiler, connection):
        if not self.indexed() or not self.trigrams():
            return self.as_sql(compiler, connection, function="STRPOS")
        lhs, lhs_params = self.process_lhs(compiler, connection)
        # Backslash is LIKE's escape character by default. The planner reads
        # the index as a set (bitmap scan) by itself, one scan a form.
        return _render(
            self.rhs,
            lambda form: (
                f"{lhs} LIKE %s",
                [*lhs_params, f"%{connection.ops.prep_for_like_query(form)}%"],
            ),
        )

    def indexed(self):
        """Whether the column is an indexed model's."""
        return (
            isinstance(self.lhs, Col)
            and self.lhs.target.model._meta.label_lower in INDEXED
        )

    def trigrams(self):
        """Whether every form of the terms is long enough for a trigram index."""
        forms = list(_leaves(self.rhs))
        return bool(forms) and all(len(form) >= TRIGRAM for form in forms)

    def keys(self, compiler, subquery, params):
        """The condition: the row's primary key is one of ``subquery``'s."""
        model = self.lhs.target.model
        pk, pk_params = compiler.compile(model._meta.pk.get_col(self.lhs.alias))
        return f"{pk} IN ({subquery})", (*pk_params, *params)


# How closely a found record matches a typed term (``closeness``): a field
# is the term, begins with it, or has it elsewhere.
WHOLE, START, INSIDE = 0, 1, 2


class _Line(Lookup):
    """A line of the key (a field's key, or one reading of its c) is one of
    the forms of a typed term (``search_key__line=term``) or begins with one
    (``search_key__line_start=term``): the key between separators contains
    the form between separators, or after one."""

    after = SEPARATOR

    def get_prep_lookup(self):
        return names.search_terms(str(self.rhs))

    def as_sql(self, compiler, connection, function="INSTR"):
        if not self.rhs:
            raise EmptyResultSet
        lhs, lhs_params = self.process_lhs(compiler, connection)
        lines = f"(%s || {lhs} || %s)"
        parts, params = [], []
        for form in self.rhs:
            parts.append(f"{function}({lines}, %s) > 0")
            params += [SEPARATOR, *lhs_params, SEPARATOR]
            params.append(SEPARATOR + form + self.after)
        return "(" + " OR ".join(parts) + ")", params

    def as_postgresql(self, compiler, connection):
        return self.as_sql(compiler, connection, function="STRPOS")


@SearchText.register_lookup
class Line(_Line):
    lookup_name = "line"


@SearchText.register_lookup
class LineStart(_Line):
    lookup_name = "line_start"
    after = ""


def closeness(term, related=(), field="search_key"):
    """How closely each record a search of ``term`` finds matches it, for
    ordering the matches: ``WHOLE`` where one of its fields is the term
    (its acronym "ВОЗ" for "воз", its whole name), ``START`` where one
    begins with it, else ``INSIDE``; compared by key, so in any script
    and spelling, as the search finds. ``related``: pairs of a queryset of
    other rows with a search key and the field naming the record they
    belong to (``(OrganisationName.objects.all(), "organisation")``), whose
    keys count as the record's.

    A search orders what it finds by name: a term that is also inside many
    longer names ("воз" is in the key of every "Министерство
    здравоохранения") would leave the record it names exactly past the
    first ten shown.

    Each row's own key is read where it is. The related rows are those
    their own search finds, each set read once from its index (a subquery
    a row read the other names of all 10,800 organisations "health" finds
    at XL on PostgreSQL; an EXISTS, which PostgreSQL hashed, read every
    other name, twice). A term too short for the trigram indexes gives
    ``INSIDE`` to every row: it is looked for in every row, finds a large
    share of them (a third of the people at national scale for "an"), and
    ordering them all would cost more than the search (6 against 486 ms).
    docs/search.md has the costs."""
    forms = names.search_terms(term)
    if not forms or any(len(form) < TRIGRAM for form in forms):
        return Value(INSIDE)

    def fields_with(lookup):
        own = Q(**{f"{field}__{lookup}": term})
        for rows, owner in related:
            found = rows.filter(
                **{f"{field}__includes": term, f"{field}__{lookup}": term}
            )
            own |= Q(pk__in=found.values(owner))
        return own

    return Case(
        When(fields_with("line"), then=Value(WHOLE)),
        When(fields_with("line_start"), then=Value(START)),
        default=Value(INSIDE),
        output_field=models.IntegerField(),
    )


def closest_first(queryset, term, keep=0):
    """``queryset`` (one with a ``closeness(term)`` method) ordered by how
    closely its records match ``term``, after the first ``keep`` terms of
    its own order and before the rest: the ten suggestions a picker shows
    start with the names the term is, whatever the others sort as."""
    order = list(queryset.query.order_by or queryset.model._meta.ordering)
    return queryset.alias(closeness=queryset.closeness(term)).order_by(
        *order[:keep], "closeness", *order[keep:]
    )


def fts_string(term):
    """``term`` as an FTS5 string, in which every character is literal (``*``,
    ``-``, ``:``, ``AND``...): in double quotes, its own doubled."""
    return '"' + term.replace('"', '""') + '"'


class SearchKey(Func):
    """The search key of the fields ``expressions`` (``names.search_key``),
    computed by the database, for a generated column.

    - SQLite: ``names.search_key`` itself, a deterministic function that
      core.sqlite registers on every connection. SQLite has no translate():
      the same steps in SQL would be some 400 nested REPLACE() calls, and its
      parser overflows its stack at 33. A tool that opens the database
      without the function cannot write these tables (SQLite says "unknown
      function"), rather than write a wrong key.
    - PostgreSQL: the steps in SQL, from the same tables: ``lower()``,
      ``translate()`` for the characters spelt with one letter or none,
      ``replace()`` for the rest and for the folds, ``translate()`` to drop
      punctuation and spaces, and both readings of a c when the text may
      have one (``names.KEY_HAS_C``, a regular expression PostgreSQL reads
      alike). tests/core/test_search_key.py compares the keys of both
      engines with Python's.

    ``version`` is ``names.SEARCH_KEY_VERSION`` when the column was made: a
    new version makes ``makemigrations`` write a migration, which must
    remove the column and add it again (a generated column cannot be
    altered), so that every key is computed again."""

    function = SQLITE_FUNCTION

    def __init__(self, *expressions, version=names.SEARCH_KEY_VERSION):
        super().__init__(*expressions, output_field=SearchText())
        self.version = version

    def as_postgresql(self, compiler, connection):
        lines, params = [], []
        for expression in self.get_source_expressions():
            sql, sql_params = compiler.compile(expression)
            line, line_params = postgresql_key_line(sql, sql_params)
            if lines:
                params.append(SEPARATOR)
            lines.append(line)
            params += line_params
        return "(" + " || %s || ".join(lines) + ")", params


def postgresql_key_line(field_sql, field_params):
    """The SQL of one field's key on PostgreSQL: ``names._key_line``."""
    single = {old: new for old, new in names.KEY_TABLE.items() if len(new) == 1}
    dropped = [old for old, new in names.KEY_TABLE.items() if not new]
    longer = [(old, new) for old, new in names.KEY_TABLE.items() if len(new) > 1]
    lowered, lowered_params = f"LOWER({field_sql})", list(field_params)
    sql, params = lowered, list(lowered_params)
    for old, new in names.KEY_COMBINED:
        sql, params = f"REPLACE({sql}, %s, %s)", [*params, old, new]
    sql = f"TRANSLATE({sql}, %s, %s)"
    params += ["".join(single) + "".join(dropped), "".join(single.values())]
    for old, new in longer + list(names.FOLDS):
        sql, params = f"REPLACE({sql}, %s, %s)", [*params, old, new]
    sql = f"TRANSLATE({sql}, %s, %s)"
    params += [names.KEY_DROPPED + " ", ""]

    def reading(c):
        old, new = names.CH_KEPT
        return (
            f"REPLACE(REPLACE({sql}, 'c', %s), %s, %s)",
            [*params, c, old, new],
        )

    first, first_params = reading(names.C_READINGS[0])
    second, second_params = reading(names.C_READINGS[1])
    return (
        f"(CASE WHEN {lowered} ~ %s THEN {first} || %s || {second} ELSE {first} END)",
        [
            *lowered_params,
            names.KEY_HAS_C,
            *first_params,
            SEPARATOR,
            *second_params,
            *first_params,
        ],
    )


def generated_search_key(*fields):
    """A generated column holding the search key of ``fields``."""
    return models.GeneratedField(
        expression=SearchKey(*fields, version=names.SEARCH_KEY_VERSION),
        output_field=SearchText(),
        db_persist=True,
    )


# The indexes


def _fts(table):
    return f"{table}_fts"


def _triggers(table):
    return [f"{table}_fts_{event}" for event in ("insert", "update", "delete")]


def _gin(table):
    return f"{table}_search_trgm"


def _sqlite_index(model):
    """The statements that create the FTS5 index of ``model`` and the
    triggers that keep it, each a no-op where its object exists.

    External content: the FTS table reads ``search_key`` from the model's
    table, so a row leaves the index with the text it was indexed with (the
    ``'delete'`` command), which only a trigger still has. Rows whose key
    did not change (meeting statistics, version) are not re-indexed."""
    table = model._meta.db_table
    pk = model._meta.pk.column
    fts, (on_insert, on_update, on_delete) = _fts(table), _triggers(table)
    # Table and column names are the models' own, not input (noqa: S608).
    add = (
        f'INSERT INTO "{fts}"(rowid, search_key) '  # noqa: S608
        f'VALUES (new."{pk}", new.search_key);'
    )
    remove = (
        f'INSERT INTO "{fts}"("{fts}", rowid, search_key) '  # noqa: S608
        f"VALUES ('delete', old.\"{pk}\", old.search_key);"
    )
    return [
        # Case-sensitive: the key and the term are lower-cased already, and
        # the tokenizer's own folding would differ from lower()'s.
        f'CREATE VIRTUAL TABLE IF NOT EXISTS "{fts}" USING fts5(search_key, '
        f"content='{table}', content_rowid='{pk}', "
        f"tokenize='trigram case_sensitive 1')",
        f'CREATE TRIGGER IF NOT EXISTS "{on_insert}" AFTER INSERT ON "{table}" '
        f"BEGIN {add} END",
        f'CREATE TRIGGER IF NOT EXISTS "{on_update}" AFTER UPDATE ON "{table}" '
        f'WHEN old.search_key IS NOT new.search_key OR old."{pk}" IS NOT new."{pk}" '
        f"BEGIN {remove} {add} END",
        f'CREATE TRIGGER IF NOT EXISTS "{on_delete}" AFTER DELETE ON "{table}" '
        f"BEGIN {remove} END",
        f'INSERT INTO "{fts}"("{fts}") VALUES (\'rebuild\')',  # noqa: S608
    ]


# How many of a search key's values PostgreSQL's ANALYZE keeps (its
# statistics target; 100 by default). A list searched by a common word
# ("robiya": 3,000 of 500,000 people at XL) is sorted by name and paged: the
# planner chooses between walking the name index, testing each row's key
# until a page is full, and reading the matches from the trigram index to
# sort them. It guesses how many keys match from a sample of its
# statistics; with the default it guessed 10,000 and walked 238,000 rows of
# the name index (257 ms); with 1,000 it guesses 1,500 and reads the 3,000
# matches from the index (9 ms). A rare word is found either way.
SEARCH_KEY_STATISTICS = 1000


def _postgresql_index(model):
    table = model._meta.db_table
    return [
        "CREATE EXTENSION IF NOT EXISTS pg_trgm",
        f'CREATE INDEX IF NOT EXISTS "{_gin(table)}" ON "{table}" '
        "USING gin (search_key gin_trgm_ops)",
        # A column added again (a new key version) has the default target.
        _statistics(f'"{table}"', SEARCH_KEY_STATISTICS),
    ]


def _statistics(table, target):
    """The statement that keeps ``target`` values of the search key of
    ``table`` (quoted) in PostgreSQL's statistics."""
    return f"ALTER TABLE {table} ALTER COLUMN search_key SET STATISTICS {int(target)}"


def _statements(vendor, model):
    if vendor == "sqlite":
        return _sqlite_index(model) if model._meta.label_lower in FTS else []
    if vendor == "postgresql":
        return _postgresql_index(model)
    return []


def index_create(connection, model):
    """Create the trigram index of ``model``'s search key, or complete it:
    on SQLite, the missing triggers too, and read every row into it again
    (nothing on SQLite for a model not in ``FTS``).

    On PostgreSQL, creating the pg_trgm extension takes the CREATE privilege
    on the database (it is a trusted extension) if it is not there yet."""
    with connection.cursor() as cursor:
        for statement in _statements(connection.vendor, model):
            cursor.execute(statement)


def statistics_keep(connection, model, target=SEARCH_KEY_STATISTICS):
    """On PostgreSQL, keep ``target`` values of ``model``'s search key in its
    statistics (``SEARCH_KEY_STATISTICS``; -1, the server's default) and
    read them now, from that column alone. Nothing on another engine."""
    if connection.vendor != "postgresql":
        return
    table = connection.ops.quote_name(model._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(_statistics(table, target))
        cursor.execute(f"ANALYZE {table} (search_key)")


def index_drop(connection, model):
    """Remove the index of ``model``'s search key (the reverse of
    ``index_create``). The pg_trgm extension stays: it may predate the
    index or serve another; dropping it is the database owner's choice."""
    table = model._meta.db_table
    if connection.vendor == "sqlite":
        statements = [f'DROP TRIGGER IF EXISTS "{name}"' for name in _triggers(table)]
        statements.append(f'DROP TABLE IF EXISTS "{_fts(table)}"')
    elif connection.vendor == "postgresql":
        statements = [f'DROP INDEX IF EXISTS "{_gin(table)}"']
    else:
        return
    with connection.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement)


def _names(vendor, model):
    """The names of the objects that make the search index of ``model``."""
    table = model._meta.db_table
    if vendor == "sqlite":
        if model._meta.label_lower not in FTS:
            return []
        return [_fts(table), *_triggers(table)]
    return [_gin(table)]


def _present(connection, names):
    """Which of the tables, triggers and indexes ``names`` exist."""
    placeholders = ", ".join(["%s"] * len(names))
    if connection.vendor == "sqlite":
        sql = (
            "SELECT name FROM sqlite_master WHERE type IN ('table', 'trigger') "  # noqa: S608
            f"AND name IN ({placeholders})"
        )
    else:
        sql = (
            "SELECT indexname FROM pg_indexes "  # noqa: S608
            f"WHERE schemaname = current_schema() AND indexname IN ({placeholders})"
        )
    with connection.cursor() as cursor:
        cursor.execute(sql, names)
        return {name for (name,) in cursor.fetchall()}


def index_repair(
    sender=None, *, apps=global_apps, using=DEFAULT_DB_ALIAS, verbosity=1, **kwargs
):
    """``post_migrate`` receiver: rebuild an index that a migration broke.

    To alter a column, Django's SQLite schema editor often copies the table
    into a new one and drops the old, and the old one's triggers with it: the
    FTS table would go stale from the next write on, silently. Dropping and
    adding a generated column (to change its expression) drops a PostgreSQL
    index on it the same way. So after every ``migrate``, a missing trigger,
    FTS table or GIN index of an indexed model is created again, and the FTS
    index filled again from its table. One query when nothing is missing."""
    connection = connections[using]
    if connection.vendor not in ("sqlite", "postgresql"):
        return
    expected = {}
    for label in INDEXED:
        try:
            model = apps.get_model(label)
        except LookupError:  # Migrated back to before the model.
            continue
        expected[model] = _names(connection.vendor, model)
    if not any(expected.values()):
        return
    present = _present(connection, [n for names in expected.values() for n in names])
    broken = [m for m, names in expected.items() if not present.issuperset(names)]
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
