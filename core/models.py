"""The base of every Hamkor model (a version counter, constraint errors on
the field at fault) and query helpers that any app's models use."""

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import connection, models
from django.db.models import BooleanField, F, Func, Q
from django.db.models.lookups import In
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _


class ConstraintFieldErrorsMixin:
    """Report a database constraint's violation on the field a user can correct.

    Django attaches the error of an expression-based or conditional constraint
    (``Lower("name")``, ``condition=...``) to the whole form. Each constraint here
    sets ``violation_error_code``; ``constraint_error_fields`` maps that code to the
    form field that is wrong, so the admin shows the message beside it.
    """

    constraint_error_fields: dict[str, str] = {}

    def validate_constraints(self, exclude=None):
        try:
            super().validate_constraints(exclude=exclude)
        except ValidationError as error:
            errors = error.update_error_dict({})
            for message in list(errors.get(NON_FIELD_ERRORS, [])):
                field = self.constraint_error_fields.get(message.code)
                if field:
                    errors[NON_FIELD_ERRORS].remove(message)
                    errors.setdefault(field, []).append(message)
            if not errors.get(NON_FIELD_ERRORS):
                errors.pop(NON_FIELD_ERRORS, None)
            raise ValidationError(errors) from None


class Unindexed(Func):
    """A column that SQLite must not look rows up by (``+col``, SQLite's
    documented way to keep a condition off an index); the bare column on
    PostgreSQL, whose planner chooses by its statistics (and which has no
    unary + for dates)."""

    template = "+%(expressions)s"

    def as_postgresql(self, compiler, connection, **extra_context):
        return compiler.compile(self.source_expressions[0])


class JoinedKey(models.Expression):
    """The key of the row that the foreign key ``relation`` points to, read
    from that row's joined table: ``meeting__id`` is taken by Django from the
    foreign key's own column, which SQLite cannot match to the joined table's
    order. ``through`` is a field of that table that the query joins it for
    (its other uses share the join).

    Sorted by the meeting's date, then ``JoinedKey("meeting", "starts_at")``,
    SQLite walks the meetings along their date index, each meeting's rows by
    the attendance's meeting index, and stops at the page; sorted by the
    attendance's ``meeting_id``, it read all 2.5 million rows of XL and
    sorted them (the attendance list, 650 ms for page 1 and 2.4 s for page
    1,000). PostgreSQL knows the two columns equal and reads either way."""

    def __init__(self, relation, through):
        super().__init__()
        self.relation, self.through = relation, through

    def resolve_expression(
        self, query=None, allow_joins=True, reuse=None, summarize=False, for_save=False
    ):
        path = f"{self.relation}__{self.through}"
        column = query.resolve_ref(path, allow_joins, reuse, summarize)
        return column.target.model._meta.pk.get_col(column.alias)


def in_list_order(values, field="pk"):
    """A condition: the row's ``field`` (its key, or a foreign key's column)
    is among ``values`` (a subquery), tested row by row as SQLite reads the
    list in the order of its index.

    ``pk IN (...)`` makes SQLite look each match up by key and sort them all
    before the first row: for the busiest organisation's 33,000 meetings,
    100 ms to show 50. Tested row by row, the set is built once and the
    index walk stops at the page: 30 ms, whatever the number of matches,
    but a walk of the whole index when there are few (then prefer ``pk__in``).
    SQLite's alone: PostgreSQL plans both the same way. The attendance
    search is the one user (the measurement is at ``BROAD_SEARCH``).
    """
    return Q(In(Unindexed(F(field)), values.order_by()))


class AmongIds(Func):
    """A condition: the integer column ``field`` is one of ``ids`` (a list of
    keys read before, a type's organisations), given to PostgreSQL as one
    array (``= ANY(%s)``), to other databases as ``IN`` with an id a
    parameter.

    A long list (5,067 donors at XL) as ``field__in=ids`` costs each query
    one parameter an id: Django prepares each (13 ms for 5,067), the driver
    sends each and PostgreSQL plans the list of constants (some 15 ms); as
    one array, none of that, and it is still one hash to probe."""

    output_field = BooleanField()

    def __init__(self, field, ids):
        super().__init__(F(field))
        self.ids = list(ids)

    def as_sql(self, compiler, connection, **extra_context):
        column, params = compiler.compile(self.source_expressions[0])
        if not self.ids:
            return "1 = 0", []
        if connection.vendor == "postgresql":
            # An array of the column's own type: the driver sends small
            # numbers as smallint[], and bigint = smallint has no hash, so
            # PostgreSQL would test each row against the ids one by one.
            db_type = self.source_expressions[0].output_field.db_type(connection)
            return f"{column} = ANY(%s::{db_type}[])", [*params, self.ids]
        marks = ", ".join(["%s"] * len(self.ids))
        return f"{column} IN ({marks})", [*params, *self.ids]


def rows_by_key(queryset, *fields, size=10_000):
    """The ``values_list(*fields)`` rows of ``queryset``, all of them, in
    the order of its primary key: ``size`` at a time, each batch a query of
    its own that starts after the last key read (along the key's index).

    For a command that reads a whole table while the application runs.
    ``QuerySet.iterator()`` outside a transaction reads through one
    PostgreSQL cursor held across transactions (``WITH HOLD``), which a
    PgBouncer in transaction pooling loses as soon as another client is
    given the server connection: "cursor ... does not exist", seen with
    ``find_duplicates`` (docs/operations.md). Batches need no cursor and no
    transaction, on either engine."""
    keyed = queryset.order_by("pk").values_list("pk", *fields)
    batch = list(keyed[:size])
    while batch:
        for row in batch:
            yield row[1:]
        if len(batch) < size:
            return
        batch = list(keyed.filter(pk__gt=batch[-1][0])[:size])


def at_least(limit, *querysets):
    """Whether ``querysets`` have ``limit`` rows or more together, in one
    query that reads each up to ``limit`` rows: what chooses between
    ``in_list_order`` (many) and ``__in`` (few)."""
    parts, params = [], []
    for queryset in querysets:
        sql, part_params = queryset.order_by()[:limit].query.sql_with_params()
        parts.append(f"(SELECT COUNT(*) FROM ({sql}) part)")  # noqa: S608
        params.extend(part_params)
    with connection.cursor() as cursor:
        cursor.execute("SELECT " + " + ".join(parts), params)
        (found,) = cursor.fetchone()
    return found >= limit


# (choices, value, language) -> label: see choice_label.
_labels = {}


def choice_label(choices, value):
    """``get_FOO_display()`` for a field of ``choices`` (a TextChoices): the
    label of ``value``, or ``value`` itself when it is not one of them.

    Django's own builds a dictionary of every choice on each call, hashing
    each (lazy, translated) label: about 125 µs a call, which made up a third
    of a 750-row meeting's page. Each label is then translated once per
    language and remembered: gettext was 2,500 calls on that page, a seventh
    of its 175 ms of CPU on PostgreSQL at XL (catalogues do not change while
    the process runs; a test that changes them clears this, see
    clear_choice_labels)."""
    key = (choices, value, get_language())
    try:
        return _labels[key]
    except KeyError:
        pass
    except TypeError:  # an unhashable value: not a choice
        return value
    try:
        label = str(choices(value).label)
    except ValueError:
        return value
    _labels[key] = label
    return label


def clear_choice_labels(**kwargs):
    """Forget the translated labels (connected to ``setting_changed``: tests
    that change the languages or the catalogues' folders)."""
    _labels.clear()


# Columns that history leaves out: the edit counter, and values derived from
# other columns or tables.
DERIVED_FIELDS = ["version", "search_key", "meetings_attended", "last_met"]


class VersionedModel(ConstraintFieldErrorsMixin, models.Model):
    """The base of every Hamkor model.

    ``version`` counts the saves of a row. A form remembers the version it was
    opened at, and a save from a form opened before someone else's save is
    refused (see ``core.forms.VersionedModelForm``), so that two
    coordinators editing one meeting never silently overwrite each other.
    """

    version = models.PositiveIntegerField(_("version"), default=1, editable=False)

    class Meta:
        abstract = True
