"""Streamed CSV and XLSX downloads of a filtered list.

A list declares its export as columns read with ``values_list()``: a field, a
joined field (``type__name``) or an annotation, each with an optional function
that turns the value into text (``choice_labels``, ``country_names``). A
to-many relation shown as one cell (a person's current positions, a meeting's
agenda) is read in the same query through a LEFT JOIN, one result row per
related row, and joined back into one row (``JoinedColumn``): an export is one
query, whatever its number of rows.

Rows are read from the database in chunks (a server-side cursor where the
database has one) and written out as they come, so memory does not grow with
the number of rows. No model instance is built: each chunk is converted column
by column, values that repeat (dates, labels, countries) are converted once
per export, and text is checked for control characters and formulas a column
at a time. Every text cell that a spreadsheet would run as a formula is
neutralised first.

The query runs, and its first chunk is read, before the response is returned:
a database error there is an error status like any other. A CSV and an XLSX
go out as they are read, so an error after their first bytes cannot change
the status: the file then ends with a row saying it is incomplete (a
workbook is still closed as a valid file), and the error is logged.
"""

import csv
import datetime
import io
import logging
from itertools import repeat

from django.db import connections, transaction
from django.db.models import F
from django.db.models.constants import LOOKUP_SEP
from django.db.models.sql.constants import MULTI
from django.http import StreamingHttpResponse
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from core import xlsx

logger = logging.getLogger(__name__)

# The last line of a CSV export cut short by an error: the status (200) and the
# rows before it are sent already, so this is what tells the reader.
INCOMPLETE = _("— export incomplete: an error occurred; download again —")

# A spreadsheet runs a cell starting with one of these as a formula (the
# full-width forms too, which some spreadsheets read as the ASCII ones).
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r", "\n", "＝", "＋", "－", "＠")
CHUNK_SIZE = 2000
# Converted values remembered per column: every choice, country and meeting
# start (last met) of a national programme, and a bound on memory (some 10 MB)
# for a column of unique values.
MEMO_SIZE = 50_000

TEXT_FIELDS = {"CharField", "TextField", "SlugField"}
NUMBER_FIELDS = {
    "AutoField",
    "BigAutoField",
    "SmallAutoField",
    "IntegerField",
    "BigIntegerField",
    "SmallIntegerField",
    "PositiveIntegerField",
    "PositiveBigIntegerField",
    "PositiveSmallIntegerField",
    "FloatField",
}


def neutralise(value):
    """Text that a spreadsheet would run as a formula, prefixed with an
    apostrophe so that it is shown as text; anything else unchanged."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def cell(value):
    """A Python value as a spreadsheet cell: local naive datetimes (XLSX has no
    time zones), text for everything that is not a number or a date."""
    if value is None:
        return ""
    if isinstance(value, datetime.datetime):
        return timezone.localtime(value).replace(tzinfo=None)
    if isinstance(value, bool):
        return gettext("yes") if value else gettext("no")
    if isinstance(value, int | float | datetime.date):
        return value
    # Control characters (Word's manual line break is \x0b) are not allowed in
    # an XLSX file and carry nothing in a CSV one.
    return neutralise(ILLEGAL_CHARACTERS_RE.sub(" ", str(value)))


def csv_cell(value):
    """``cell(value)`` as CSV writes it: datetimes as ``2025-01-29 01:00:00``."""
    value = cell(value)
    if isinstance(value, datetime.datetime):
        return value.isoformat(sep=" ")
    return value


def text_cells(values):
    """``cell()`` of each of ``values`` (one column of a chunk, text or None),
    a column at a time: most text has no control character and starts with no
    formula, which is checked in C over the whole column."""
    if None in values:
        values = ["" if v is None else v for v in values]
    if not set(map(type, values)) <= {str}:
        return [cell(v) for v in values]
    if not "".join(values).isprintable():
        values = [
            v if v.isprintable() else ILLEGAL_CHARACTERS_RE.sub(" ", v) for v in values
        ]
    if any(map(str.startswith, values, repeat(FORMULA_PREFIXES))):
        values = ["'" + v if v.startswith(FORMULA_PREFIXES) else v for v in values]
    return values


class Memo(dict):
    """``convert(value)`` for each value, each distinct value converted once
    while it recurs: at ``MEMO_SIZE`` values the memo starts again, so that its
    memory stays bounded and the values of the rows at hand are remembered
    (attendance in meeting order repeats each meeting's start, 50,000 of them).
    """

    def __init__(self, convert):
        super().__init__()
        self.convert = convert

    def __missing__(self, value):
        converted = self.convert(value)
        if len(self) >= MEMO_SIZE:
            self.clear()
        self[value] = converted
        return converted

    def column(self, values):
        return list(map(self.__getitem__, values))


class Column:
    """One column of an export: its header, the ``values_list()`` path of its
    value (a field, a joined field, an annotation) and, optionally, a function
    called once per export with the model field at ``path`` that returns a
    function from the value to its text (see ``choice_labels``).

    Numbers, booleans ("yes"/"no"), dates and times (local) are written as
    ``cell()`` writes them, text neutralised. ``date_only``, the path of a
    boolean, makes a date-time's cell the local date alone (a date cell in
    XLSX) in the rows where it is true: a time that was never recorded is not
    exported as midnight.
    """

    def __init__(self, header, path, display=None, *, date_only=None):
        self.header = header
        self.path = path
        self.display = display
        self.date_only = date_only


class JoinedColumn:
    """A to-many relation of each row as one text cell: the text of each
    related row's ``fields``, in ``order_by``, joined by ``sep``. ``render``,
    called once per export, returns the function from a related row's values to
    its text (by default the single field's value).

    ``relation`` is the relation's name, or a function called once per export
    that returns a ``FilteredRelation`` (today's positions), read under the
    name ``alias``; ``fields`` and ``order_by`` are paths from the related
    model (``topic__name``). The export's query gets one row per related row
    (a LEFT JOIN) and the rows of one object are joined back into one, so an
    export has at most one ``JoinedColumn`` (two would multiply each other's
    rows).
    """

    def __init__(
        self,
        header,
        alias,
        fields,
        *,
        render=None,
        relation=None,
        order_by=(),
        sep="; ",
    ):
        self.header = header
        self.alias = alias
        self.fields = fields
        self.render = render
        self.relation = relation
        self.order_by = order_by
        self.sep = sep

    def renderer(self):
        return self.render() if self.render else lambda value: value

    def path(self, path):
        return f"{self.alias}{LOOKUP_SEP}{path}"

    def ordering(self):
        """``order_by`` with paths from the exported model."""
        ordering = []
        for item in self.order_by:
            if isinstance(item, str):
                descending = item.startswith("-")
                item = ("-" if descending else "") + self.path(item.lstrip("-"))
            else:  # F("until").desc(nulls_first=True)
                item = item.copy()
                item.expression = F(self.path(item.expression.name))
            ordering.append(item)
        return ordering


def field_at(model, path):
    """The model field at a ``values_list()`` path."""
    *relations, name = path.split(LOOKUP_SEP)
    for relation in relations:
        model = model._meta.get_field(relation).related_model
    return model._meta.pk if name == "pk" else model._meta.get_field(name)


def choice_labels(field):
    """A field's choice label of a value, as ``get_FOO_display()`` gives it
    (the value itself if it is no choice), the labels translated once."""
    labels = {value: str(label) for value, label in field.flatchoices}
    return lambda value: labels.get(value, value)


def local_dates(field):
    """A date-time's day in the current time zone, as the lists show it (a
    "last met" is a day: the time of that meeting says nothing about the
    organisation)."""
    tz = timezone.get_current_timezone()
    return lambda value: None if value is None else value.astimezone(tz).date()


def country_names(field):
    """A country code's name (``organisation.country.name``)."""
    return field.countries.name


class Plan:
    """How to read and write one export: its query, and per column how a
    chunk's raw values become cells. Built in the request (its language), run
    as the response streams."""

    def __init__(self, queryset, columns, *, for_csv, head_first=True):
        self.headers = [str(column.header) for column in columns]
        self.for_csv = for_csv
        self.read_head_first = head_first
        self.timezone = timezone.get_current_timezone()
        joined = [c for c in columns if isinstance(c, JoinedColumn)]
        if len(joined) > 1:
            raise ValueError("An export can join one to-many relation only.")
        self.joined = joined[0] if joined else None
        plain = [c for c in columns if not isinstance(c, JoinedColumn)]
        paths = [c.path for c in plain]
        # Labels, countries and the like, set up once (in the request's
        # language).
        self.displays = [
            c.display(field_at(queryset.model, c.path)) if c.display else None
            for c in plain
        ]
        # The flags of the date-times shown as dates alone, read after the
        # plain columns and left out of the output: the date-time's index
        # and its flag's.
        self.date_alone = {}
        for index, column in enumerate(plain):
            if column.date_only:
                self.date_alone[index] = len(paths)
                paths.append(column.date_only)
                self.displays.append(None)
        self.width = len(paths)
        # Where each output column is in a converted row: the plain columns
        # first, then the flags, then the joined text.
        self.order = [
            self.width if isinstance(c, JoinedColumn) else plain.index(c)
            for c in columns
        ]
        queryset = queryset.prefetch_related(None)
        ordering = list(queryset.query.order_by or queryset.model._meta.ordering)
        # The export's objects in its order, the key last (``head_first``).
        self.keys = queryset.order_by(*ordering, "pk").values_list("pk", flat=True)
        if self.joined:
            column = self.joined
            self.render = column.renderer()
            if column.relation is not None:
                queryset = queryset.alias(**{column.alias: column.relation()})
            # The object's rows together, its related rows in order.
            queryset = queryset.order_by(*ordering, "pk", *column.ordering())
            paths += ["pk", column.path("pk"), *map(column.path, column.fields)]
        else:
            paths.append("pk")  # read after the columns (``head_first``)
        self.queryset = queryset.values_list(*paths)

    def chunks(self):
        """Lists of raw row tuples from the database, ``CHUNK_SIZE`` at a
        time (each query's cursor closed after its last)."""
        postgresql = connections[self.queryset.db].vendor == "postgresql"
        if not (postgresql and self.read_head_first):
            yield from until_short(self.execute(self.queryset))
            return
        yield from self.head_first()

    def head_first(self):
        """The export's first ``CHUNK_SIZE`` objects, then, if there are
        that many, the rest: two queries in one snapshot (``Stream`` reads
        them in a repeatable-read transaction), so that the first rows leave
        at once.

        PostgreSQL only, where an export at XL otherwise missed the 2 s for
        its first byte (issue 18): the query that reads every row fastest
        (hash joins, then a sort) returns nothing until its sort is done, and
        the people's 500,000 at XL sent their first byte after 1.4-2.6 s
        through gunicorn; the plan that starts at once (along the name index,
        a nested loop per person) reads them in 5.7-6.4 s against 2.2-3.6.
        The first objects are a short read along an index, and the rest keep
        the fast plan: first byte 46-345 ms, the whole export as long as
        before (docs/performance.md)."""
        first = self.queryset.filter(pk__in=self.keys[:CHUNK_SIZE])
        read = []
        for chunk in until_short(self.execute(first)):
            # An object's rows come together, its key after its values.
            for row in chunk:
                if not read or row[self.width] != read[-1]:
                    read.append(row[self.width])
            yield chunk
        if len(read) == CHUNK_SIZE:
            # The keys read, not the subquery again: PostgreSQL looks each
            # row's up in a hash of them.
            yield from until_short(self.execute(self.queryset.exclude(pk__in=read)))

    def execute(self, queryset):
        """The raw chunks of ``queryset``; and per selected column its model
        field (or annotation's output field) and database converters."""
        compiler = queryset.query.get_compiler(queryset.db)
        # What QuerySet.iterator() does, without a model or tuple per row: raw
        # rows, a chunk at a time (on PostgreSQL a server-side cursor). There
        # DISABLE_SERVER_SIDE_CURSORS (config/settings.py) forbids a cursor
        # held across transactions; this one lives in the transaction
        # ``Stream`` opens, and ends with it.
        connection = connections[queryset.db]
        chunked = (
            connection.vendor != "postgresql"
            or connection.in_atomic_block
            or not connection.settings_dict.get("DISABLE_SERVER_SIDE_CURSORS")
        )
        with connection.execute_wrapper(psycopg_timestamps):
            results = compiler.execute_sql(
                MULTI, chunked_fetch=chunked, chunk_size=CHUNK_SIZE
            )
        select = [s[0] for s in (compiler.select or ())][: compiler.col_count]
        self.fields = [expression.output_field for expression in select]
        self.converters = compiler.get_converters(select)
        self.connection = compiler.connection
        return results

    def convert_with(self, index):
        """The database's converters of column ``index``, as a function."""
        if index not in self.converters:
            return None
        converters, expression = self.converters[index]
        connection = self.connection

        def convert(value):
            for converter in converters:
                value = converter(value, expression, connection)
            return value

        return convert

    def column_converter(self, index):
        """A function from one column of a chunk (raw values) to its cells."""
        if index in self.date_alone.values():
            return None  # a flag: read as it comes (0/1 or a boolean)
        convert = self.convert_with(index)
        display = self.displays[index]
        kind = self.fields[index].get_internal_type()
        # A date-time that may become a date is written by dates_alone().
        for_csv = self.for_csv and index not in self.date_alone
        to_cell = csv_cell if for_csv else cell
        if display is None and kind in TEXT_FIELDS:
            if convert is None:
                return text_cells
            return lambda values: text_cells([convert(v) for v in values])
        if display is None and convert is None and kind in NUMBER_FIELDS:
            if self.for_csv:  # csv writes None as ""
                return None
            return lambda values: ["" if v is None else v for v in values]

        if display is None and kind == "DateTimeField":
            # cell() or csv_cell() of an aware datetime, the time zone looked
            # up once.
            tz = self.timezone

            def one(value):
                if convert is not None:
                    value = convert(value)
                if value is None or value.tzinfo is None:
                    return to_cell(value)
                local = value.astimezone(tz).replace(tzinfo=None)
                return local.isoformat(sep=" ") if for_csv else local

        else:

            def one(value):
                if convert is not None:
                    value = convert(value)
                if display is not None and value is not None:
                    value = display(value)
                return to_cell(value)

        return Memo(one).column

    def rows(self):
        """The export's rows, a chunk (a list of row tuples) at a time."""
        chunks = self.chunks()
        if self.joined:
            chunks = self.join(chunks)
        converters = None
        for chunk in chunks:
            if converters is None:
                converters = [self.column_converter(i) for i in range(self.width)]
                if self.joined:
                    converters.append(text_cells)
            columns = list(zip(*chunk, strict=True))
            for index, convert in enumerate(converters):
                if convert is not None:
                    columns[index] = convert(columns[index])
            for index, flag in self.date_alone.items():
                columns[index] = self.dates_alone(columns[index], columns[flag])
            yield list(zip(*(columns[i] for i in self.order), strict=True))

    def dates_alone(self, cells, flags):
        """A date-time column's cells (local naive datetimes), each a date
        where its flag is true, written as CSV writes them for a CSV."""
        for_csv = self.for_csv
        column = []
        for value, alone in zip(cells, flags, strict=True):
            if isinstance(value, datetime.datetime):
                if alone:
                    value = value.date()
                    if for_csv:
                        value = value.isoformat()
                elif for_csv:
                    value = value.isoformat(sep=" ")
            column.append(value)
        return column

    def join(self, chunks):
        """Raw chunks with one row per object: its plain values, then the text
        of its related rows (``None`` in the joined columns: no related row).
        The last object of a chunk may go on in the next one."""
        width, render, sep = self.width, self.render, self.joined.sep
        key_index, related_index = width, width + 1
        key = current = texts = None
        for chunk in chunks:
            rows = []
            for row in chunk:
                if current is None or row[key_index] != key:
                    if current is not None:
                        rows.append((*current, sep.join(texts)))
                    key, current, texts = row[key_index], row[:width], []
                if row[related_index] is not None:
                    texts.append(render(*row[related_index + 1 :]))
            if rows:
                yield rows
        if current is not None:
            yield [(*current, sep.join(texts))]


def psycopg_timestamps(execute, sql, params, many, context):
    """An execute wrapper: the cursor reads ``timestamptz`` values with
    psycopg's own loader (in C with ``psycopg[binary]``), not Django's, a
    subclass in Python of psycopg's Python loader (PostgreSQL only; a no-op
    elsewhere).

    Both give the same instant, aware (psycopg's in the time zone the
    session reports, Django's in UTC), and an export turns each into local
    time anyway. Django's parsed a fifth of the CPU of the people's export
    at XL (500,000 people, one date-time each). Without this, the exports
    of organisations, people, follow-ups and attendance at XL were 1.42 to
    1.61 times their raw SQL→CSV, against the 1.3 of issue 18 (with it and
    the session's other changes, 1.14 to 1.40; docs/performance.md)."""
    cursor = getattr(context["cursor"], "cursor", None)
    if context["connection"].vendor == "postgresql" and cursor is not None:
        from psycopg import adapters
        from psycopg.pq import Format

        oid = adapters.types["timestamptz"].oid
        cursor.adapters.register_loader(oid, adapters.get_loader(oid, Format.TEXT))
    return execute(sql, params, many, context)


def until_short(chunks):
    """The raw ``chunks``, their cursor closed as soon as a chunk shorter than
    ``CHUNK_SIZE`` shows that it is the last, rather than on one more fetch.

    A CSV export reads its first chunk in the view: a small export then holds
    no cursor once the view returns, whether or not the response is read. A
    PostgreSQL server-side cursor left to the garbage collector is closed in
    whatever transaction is open then, which it aborts if the cursor was
    another transaction's (as each test's is)."""
    for chunk in chunks:
        if len(chunk) < CHUNK_SIZE:
            if hasattr(chunks, "close"):
                chunks.close()
            yield chunk
            return
        yield chunk


def export_rows(queryset, columns, *, for_csv=False):
    """Yield one tuple of cells per row of ``queryset`` (in its order), read in
    chunks. ``columns`` is a list of ``Column`` and at most one
    ``JoinedColumn``."""
    for chunk in Plan(queryset, columns, for_csv=for_csv).rows():
        yield from chunk


class Stream:
    """The rows of a plan, headers first, a chunk at a time, for a response
    that sends them as they are read.

    The query runs and its first chunk is read when the stream is made, in
    the view: a database error there is the view's error (an error status),
    not a 200 with an empty file. An error after the first bytes cannot
    change the status: it is logged and the file ends with a row that says
    it is incomplete. ``path`` (the request's, without its query string,
    which may hold a name searched for) names the export in the log.

    On PostgreSQL the rows are read inside a transaction held until the
    response is closed (``close()``). Outside one, Django declares its
    server-side cursor WITH HOLD, and PostgreSQL then runs the whole query
    and stores its result before the first row leaves: the people's export at
    XL sent its first byte after 16 s (issue 18). In that transaction the
    cursor is planned for all its rows (``cursor_tuple_fraction``), as an
    export reads them all: planned for its first tenth, the people at XL
    were read along the name index with a nested loop per person, 13.5 s,
    instead of 4 s with hash joins and a sort. That sort comes before the
    plan's first row (2.9-3.8 s on a loaded machine), so the first objects
    are read apart, before it (``Plan.head_first``)."""

    def __init__(self, plan, path):
        self.headers = plan.headers
        self.path = path
        self.transaction = None
        connection = connections[plan.queryset.db]
        if connection.vendor == "postgresql" and connection.get_autocommit():
            self.transaction = transaction.atomic(using=plan.queryset.db)
            self.transaction.__enter__()
            with connection.cursor() as cursor:
                # One snapshot for the plan's queries (Plan.head_first).
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
                cursor.execute("SET LOCAL cursor_tuple_fraction = 1.0")
        self.rest = plan.rows()
        try:
            self.first = next(self.rest, None)
        except BaseException:
            self.close()
            raise
        # In the request's language: the response is written after the view.
        self.incomplete = str(INCOMPLETE)

    def chunks(self):
        try:
            yield [self.headers]
            if self.first is None:
                return
            yield self.first
            written = len(self.first)
            try:
                for rows in self.rest:
                    yield rows
                    written += len(rows)
            except Exception:
                # (A client that goes away is GeneratorExit, not an error.)
                logger.exception("Export %s stopped after %d rows", self.path, written)
                yield [[self.incomplete]]
        finally:
            self.rest.close()

    def close(self):
        """Close the cursor, then end the transaction, if any. The server
        closes the response, read to its end or not: the cursor goes with
        it, not with the garbage collector. The transaction is committed:
        the export writes nothing, but the session may have been saved in
        it (a failed query has marked it for rollback already)."""
        self.rest.close()
        if self.transaction is not None:
            atomic, self.transaction = self.transaction, None
            atomic.__exit__(None, None, None)


class Body:
    """What a streamed response iterates: ``chunks``, and ``close()``, which
    the response calls when it is closed, read or not."""

    def __init__(self, chunks, stream):
        self.chunks = iter(chunks)
        self.close = stream.close

    def __iter__(self):
        return self.chunks


def csv_response(queryset, columns, filename, *, path="", head_first=True):
    """The rows as a CSV file, sent as they are read (``Stream``).
    ``head_first=False``: one query on PostgreSQL too (``Plan.head_first``)."""
    plan = Plan(queryset, columns, for_csv=True, head_first=head_first)
    stream = Stream(plan, path or f"{filename}.csv")
    buffer = io.StringIO()
    writer = csv.writer(buffer)

    def lines():
        # A byte-order mark, so that Excel reads Cyrillic names as UTF-8.
        mark = "\ufeff"
        for rows in stream.chunks():
            buffer.seek(0)
            buffer.truncate()
            writer.writerows(rows)
            yield mark + buffer.getvalue()
            mark = ""

    response = StreamingHttpResponse(
        Body(lines(), stream), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="{filename}.csv"'
    return response


def xlsx_response(queryset, columns, filename, *, path="", head_first=True):
    """The rows as a workbook of one sheet, written and sent as they are read
    (``Stream``, ``core.xlsx``).

    openpyxl built the whole workbook before its first byte: the people at
    XL took 43 s to start, past gunicorn's worker timeout (issue 18)."""
    plan = Plan(queryset, columns, for_csv=False, head_first=head_first)
    stream = Stream(plan, path or f"{filename}.xlsx")
    response = StreamingHttpResponse(
        Body(xlsx.stream(filename, stream.chunks()), stream),
        content_type=xlsx.CONTENT_TYPE,
    )
    response["Content-Disposition"] = f'attachment; filename="{filename}.xlsx"'
    return response


def table_response(rows, filename, export_format, *, freeze=None, widths=None):
    """Rows worked out before the response (a table built in Python, headers
    first: the attendance pivot) as a CSV or XLSX download, each value
    written as ``cell()`` writes it (formulas neutralised). ``freeze`` and
    ``widths``: the columns and rows an XLSX keeps in view, and its columns'
    widths (``core.xlsx.stream``)."""
    if export_format == "csv":
        buffer = io.StringIO()
        writer = csv.writer(buffer)

        def lines():
            mark = "\ufeff"  # as csv_response: Excel reads it as UTF-8
            for row in rows:
                buffer.seek(0)
                buffer.truncate()
                writer.writerow([csv_cell(value) for value in row])
                yield mark + buffer.getvalue()
                mark = ""

        response = StreamingHttpResponse(
            lines(), content_type="text/csv; charset=utf-8"
        )
    else:
        chunks = ([[cell(value) for value in row]] for row in rows)
        response = StreamingHttpResponse(
            xlsx.stream(filename, chunks, freeze=freeze, widths=widths),
            content_type=xlsx.CONTENT_TYPE,
        )
    response["Content-Disposition"] = (
        f'attachment; filename="{filename}.{export_format}"'
    )
    return response
