"""Paginators for lists of hundreds of thousands of rows: the public lists and
the admin's changelists."""

from django.core.paginator import Paginator
from django.db import connections
from django.utils.functional import cached_property

# An unfiltered list of a table that PostgreSQL estimates at this many rows or
# more is counted as a filtered one is, up to the page asked for, and its size
# shown as the planner's estimate ("about"): at XL the COUNT(*) of 2.5 M
# attendance rows was 77 ms of the admin's page 1,000 (128 ms, target 80;
# issue 18). SQLite has no estimate; at L (its scale) it counts in a few ms.
ESTIMATE_FROM = 100_000


def estimate_and_count(queryset, limit):
    """For an unfiltered ``queryset`` on PostgreSQL, in one query: the
    planner's estimate of its table's rows (from the last ANALYZE) and, if
    that is ``ESTIMATE_FROM`` or more, its rows counted up to ``limit + 1``,
    else all of them. None on other databases."""
    connection = connections[queryset.db]
    if connection.vendor != "postgresql":
        return None
    keys = queryset.values("pk").order_by()
    every, every_params = keys.query.get_compiler(queryset.db).as_sql()
    capped = keys[: limit + 1]
    some, some_params = capped.query.get_compiler(queryset.db).as_sql()
    with connection.cursor() as cursor:
        # CASE runs only the count it chooses.
        cursor.execute(
            f"SELECT reltuples, CASE WHEN reltuples >= %s "  # noqa: S608
            f"THEN (SELECT COUNT(*) FROM ({some}) AS capped) "
            f"ELSE (SELECT COUNT(*) FROM ({every}) AS every) END "
            "FROM pg_class WHERE oid = %s::regclass",
            [ESTIMATE_FROM, *some_params, *every_params, queryset.model._meta.db_table],
        )
        estimate, counted = cursor.fetchone()
    return int(estimate), counted


class PageOfKeysPaginator(Paginator):
    """Pages chosen by primary key first, then read in full.

    A list may have columns computed per row (the attendance count of a
    meeting in the admin). With ``LIMIT 50 OFFSET 9950`` SQLite computes them
    for the 9,950 skipped rows too; choosing the page's keys in a subquery that
    computes no column leaves them to the 50 rows shown. The rows are then read
    by those keys alone, without the list's filters: the keys were chosen by
    them, and a filter's subquery (a search) would otherwise run a second time.
    Same two queries as Django's paginator: the count, and the page.

    A DISTINCT list (a filter across a to-many relation) is paged as Django
    does: its keys cannot be selected apart from the columns it is sorted by.
    """

    def page(self, number):
        if self.object_list.query.distinct:
            return super().page(number)
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        top = min(bottom + self.per_page, self.count)
        if top + self.orphans >= self.count:
            top = self.count
        keys = self.page_keys(bottom, top)
        rows = self.object_list.all()
        rows.query.clear_where()
        return self._get_page(rows.filter(pk__in=keys), number, self)

    def page_keys(self, bottom, top):
        """The keys of the rows ``bottom`` to ``top``, as a subquery."""
        return self.object_list.values("pk")[bottom:top]


class CappedCountPaginator(PageOfKeysPaginator):
    """A page-of-keys paginator that counts a filtered or searched list up to
    ``count_limit`` rows, and says it has more than that beyond it
    (``exceeds_limit``): counting every match of a filter over millions of
    rows costs more than finding a page of them. An unfiltered COUNT(*) is
    cheap and stays exact, but for a table PostgreSQL estimates at
    ``ESTIMATE_FROM`` rows or more: that is counted up to the limit too, and
    ``estimate`` holds the planner's estimate of its size."""

    def __init__(self, *args, count_limit=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.count_limit = count_limit
        self.exceeds_limit = False
        self.estimate = None
        self._keys = None

    @cached_property
    def count(self):
        if self.count_limit is None:
            return super().count
        query = self.object_list.query
        if not query.where:
            found = estimate_and_count(self.object_list, self.count_limit)
            if found is None:
                return super().count
            estimate, counted = found
            if estimate < ESTIMATE_FROM or counted <= self.count_limit:
                return counted  # every row counted
            # (An estimate from before the table grew says "more than".)
            self.estimate = estimate if estimate > self.count_limit else None
        elif query.distinct:
            keys = self.object_list.values("pk").order_by()
            counted = keys[: self.count_limit + 1].count()
        else:
            # The keys themselves, in the list's order: the count is their
            # number and the page a slice of them, so the filter runs once
            # (for a filter that collects its matches before the first row,
            # a search or a date range, it was the cost of the page twice).
            self._keys = list(
                self.object_list.values_list("pk", flat=True)[: self.count_limit + 1]
            )
            counted = len(self._keys)
        self.exceeds_limit = counted > self.count_limit
        return min(counted, self.count_limit)

    def page_keys(self, bottom, top):
        if self._keys is None:
            return super().page_keys(bottom, top)
        return self._keys[bottom:top]


# A filtered list is counted up to this many rows, or to ten pages past the
# page asked for, so that the page links always lead on.
COUNT_LIMIT = 1000
# The deepest page counted to: a million pages is twenty times the longest
# list (2.5 million attendance rows), and the limit of a page number past
# 10**17 would not fit the database's LIMIT (a 500 on SQLite and PostgreSQL).
# A page past the end shows the last page.
DEEPEST_PAGE = 1_000_000


def count_limit_for(page, per_page, minimum=COUNT_LIMIT):
    """The count limit for a request of page ``page`` (as sent: "3", "", "x")."""
    try:
        asked = min(max(int(page), 1), DEEPEST_PAGE)
    except (TypeError, ValueError):
        asked = 1
    return max(minimum, (asked + 10) * per_page)
