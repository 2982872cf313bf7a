"""The engagement dashboard on the start page (/): meetings per month, the
organisations met lately by type, the dormant partners, the most overdue
follow-ups and the last changes recorded in the history.

Every figure is read from an index or a stored figure, never from the 2.5 M
attendance rows at XL: the meetings by their start (``meeting_starts_at_idx``),
the organisations by their stored ``last_met`` and ``meetings_attended``
(``meetings.stats``; ``organisation_last_met_idx``, ``organisation_meetings_idx``),
the history by each table's ``history_date`` index. Each figure links to a
list whose filter counts the same rows (docs/dashboard.md says how).

The charts are SVG written by the template (templates/meetings/_month_chart.html),
not drawn by a charting library: twenty-four bars need no script, print as they
show, work without JavaScript and under the strict CSP, and a library (Chart.js
is 200 kB) would need a canvas and a text equivalent anyway.
"""

import calendar
import datetime
from dataclasses import dataclass

from django import forms
from django.conf import settings
from django.contrib.auth.mixins import PermissionRequiredMixin
from django.core.cache import cache
from django.db import connection
from django.db.models import Case, Count, F, Q, Value, When
from django.db.models import IntegerField as IntegerModelField
from django.db.models.functions import Concat
from django.db.models.lookups import LessThan
from django.urls import reverse
from django.utils import timezone
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import TemplateView

from core.filters import day_start
from core.forms import FilterForm
from core.models import Unindexed
from stakeholders.models import (
    Organisation,
    OrganisationType,
    Person,
    attach_local_names,
)

from .follow_up_views import follow_up_counts
from .models import PENDING, FollowUp, Meeting

MONTHS = 24  # meetings per month, this month and the 23 before it
MET_DAYS = 90  # organisations met in the last MET_DAYS days
DORMANT_MONTHS = 6  # the default N of "not met in N months"
DORMANT_LIMITS = (1, 36)
DORMANT_SHOWN = 10
OVERDUE_SHOWN = 5
CHANGES_SHOWN = 10
# A meeting counts in its month unless it was cancelled: what took place, or
# is to take place this month. The cancelled ones are counted apart.
COUNTED_STATUSES = [Meeting.Status.HELD, Meeting.Status.PLANNED]


class DashboardForm(FilterForm):
    """The start page's one parameter: ``dormant_months``, the N of "active
    organisations not met in N months"."""

    dormant_months = forms.IntegerField(
        label=gettext_lazy("Months without a meeting"),
        min_value=DORMANT_LIMITS[0],
        max_value=DORMANT_LIMITS[1],
        required=False,
    )

    def __init__(self, data=None, **kwargs):
        # Bound whatever the query string, so that the field shows the N
        # the page counts with.
        data = data.copy() if data is not None else {}
        data.setdefault("dormant_months", DORMANT_MONTHS)
        super().__init__(data, **kwargs)

    def months(self):
        """N from a valid form (the default when not given)."""
        return self.cleaned_data.get("dormant_months") or DORMANT_MONTHS


def months_before(day, months):
    """``day`` ``months`` calendar months earlier, on the same day of the
    month or the month's last day (31 March less one month: 28 or 29 February)."""
    index = day.year * 12 + day.month - 1 - months
    year, month = divmod(index, 12)
    month += 1
    return day.replace(
        year=year, month=month, day=min(day.day, calendar.monthrange(year, month)[1])
    )


def month_starts(today, count=MONTHS):
    """The first days of the last ``count`` months to ``today``'s, oldest first."""
    this_month = today.replace(day=1)
    return [months_before(this_month, n) for n in range(count - 1, -1, -1)]


def query(path, **params):
    """``path`` with a query string of ``params`` (a list value repeats)."""
    parts = []
    for name, value in params.items():
        for item in value if isinstance(value, list) else [value]:
            parts.append(f"{name}={item}")
    return f"{path}?{'&'.join(parts)}"


@dataclass
class Month:
    first: datetime.date
    last: datetime.date
    meetings: int
    cancelled: int
    url: str
    cancelled_url: str


def meetings_per_month(today):
    """The meetings of each of the last ``MONTHS`` local months, held or
    planned and, apart, cancelled, each with the meeting list's address that
    lists the same meetings (``after``/``before`` are local days there too).

    One query over the meetings' start index: at XL about 8,000 meetings
    in 24 months (50,000 over twelve years). Each meeting's month is the
    first of the next months' starts (local midnights, in the current time
    zone) it comes before, a CASE the database evaluates itself: Django's
    ``TruncMonth`` is a Python function on SQLite, called once a row (61 ms
    of the home page's 350 at XL; the CASE 7-11 ms, read from the index of
    (starts_at, status) alone)."""
    starts = month_starts(today)
    bounds = [day_start(first) for first in starts]
    end = day_start(months_before(starts[-1], -1))
    month = Case(
        *(
            When(starts_at__lt=bound, then=Value(index))
            for index, bound in enumerate([*bounds[1:], end])
        ),
        output_field=IntegerModelField(),
    )
    rows = (
        Meeting.objects.filter(starts_at__gte=bounds[0], starts_at__lt=end)
        .annotate(month=month)
        .values("month")
        .annotate(
            # Counts of the status (never null), not of the key: PostgreSQL
            # reads them from the index of (starts_at, status) alone.
            meetings=Count("status", filter=~Q(status=Meeting.Status.CANCELLED)),
            cancelled=Count("status", filter=Q(status=Meeting.Status.CANCELLED)),
        )
        .order_by()
    )
    found = {starts[row["month"]]: row for row in rows}
    path = reverse("meetings:list")
    months = []
    for first in starts:
        last = months_before(first, -1) - datetime.timedelta(days=1)
        row = found.get(first, {})
        dates = {"after": first.isoformat(), "before": last.isoformat()}
        months.append(
            Month(
                first=first,
                last=last,
                meetings=row.get("meetings", 0),
                cancelled=row.get("cancelled", 0),
                url=query(path, **dates, status=[s.value for s in COUNTED_STATUSES]),
                cancelled_url=query(path, **dates, status=Meeting.Status.CANCELLED),
            )
        )
    return months


# The month chart's frame: bars in percent of the width, so that the labels
# keep their size on a phone and on a wide screen; heights in pixels.
CHART_HEIGHT = 160
CHART_TOP = 24  # room for the value above the tallest bar
CHART_LEFT = 7.0  # percent: room for the scale's numbers on a phone
CHART_RIGHT = 1.0


def nice_ceiling(value):
    """The scale's top: 2, 4, 6, 8 or 10 times a power of ten, at least
    ``value``, so that its half, the middle line, is a whole number too."""
    step = 1
    while True:
        for factor in (2, 4, 6, 8, 10):
            if step * factor >= value:
                return step * factor
        step *= 10


def coordinate(value):
    """A number as SVG reads it: with a point, whatever the language (a
    template would localise it, "4,15" in Russian)."""
    return f"{value:.3f}".rstrip("0").rstrip(".")


def month_chart(months):
    """The bars of ``months``: each one's position (x, width in percent of
    the chart's width), top and height (pixels), and where the scale's lines
    go; coordinates as text (``coordinate``)."""
    top = nice_ceiling(max((m.meetings for m in months), default=0))
    slot = (100 - CHART_LEFT - CHART_RIGHT) / len(months)
    base = CHART_TOP + CHART_HEIGHT
    bars = []
    for index, month in enumerate(months):
        height = month.meetings / top * CHART_HEIGHT
        x = CHART_LEFT + index * slot
        bars.append(
            {
                "month": month,
                "x": coordinate(x + slot * 0.15),
                "width": coordinate(slot * 0.7),
                "centre": coordinate(x + slot / 2),
                "y": coordinate(base - height),
                "height": coordinate(height),
                # The year under each January: a month's name in Uzbek or
                # Russian ("Yanvar 2025-yil") ran into the next on a phone.
                "labelled": month.first.month == 1,
            }
        )
    return {
        "bars": bars,
        "top": top,
        "half": top // 2,
        "left": coordinate(CHART_LEFT),
        "top_y": coordinate(CHART_TOP),
        "half_y": coordinate(CHART_TOP + CHART_HEIGHT / 2),
        "base_y": coordinate(base),
        "tick_y": coordinate(base + 5),
        "label_y": coordinate(base + 20),
        "height": coordinate(base + 28),
    }


def met_counts(today):
    """Organisations (active or not) met since ``MET_DAYS`` days before
    ``today``, counted by type (its key): what
    ``/organisations/?type=&attended_after=`` lists, since the stored
    ``last_met`` is the start of the latest meeting an organisation attended
    ("attended" rows, as that filter reads them).

    One query, from the organisations' index of (last_met, type) alone.
    SQLite, which has no statistics, would rather group along the type
    index and read every organisation (113 ms at XL, 100,000 rows, for the
    7,600 met); the unary + on the grouped column keeps it to the index of
    the recent ones (2 ms)."""
    since = today - datetime.timedelta(days=MET_DAYS)
    return dict(
        Organisation.objects.filter(last_met__gte=day_start(since))
        .values(kind=Unindexed(F("type")))
        # COUNT(*), not of the key: PostgreSQL reads it from the index of
        # (last_met, type) alone.
        .annotate(n=Count("*"))
        .order_by()
        .values_list("kind", "n")
    )


def met_by_type(types, today, counts):
    """The rows of "met in the last ``MET_DAYS`` days": each of ``types``
    with its count of ``counts`` (``met_counts``), its share of the largest
    and the organisation list's address that lists the same organisations."""
    since = today - datetime.timedelta(days=MET_DAYS)
    path = reverse("organisations:list")
    rows = [
        {
            "type": kind,
            "count": counts.get(kind.pk, 0),
            "url": query(path, type=kind.slug, attended_after=since.isoformat()),
        }
        for kind in types
    ]
    most = max((row["count"] for row in rows), default=0) or 1
    for row in rows:
        row["percent"] = coordinate(row["count"] / most * 100)
    return {
        "days": MET_DAYS,
        "since": since,
        "rows": rows,
        "total": sum(counts.values()),
        "url": query(path, attended_after=since.isoformat()),
    }


def dormant(months, today):
    """Active organisations last met before ``months`` months ago, and those
    never met, with the organisation list's addresses that list them; the
    first ``DORMANT_SHOWN`` of them, the most met first: a partner that came
    to forty meetings and stopped matters more than one met once years ago.

    Three queries: the two counts, each read from the index of the active
    organisations' ``last_met`` alone (``organisation_active_met_idx``; one
    query counting both read the table, 42 ms at XL), and the first rows
    along the index on ``meetings_attended``."""
    cutoff = months_before(today, months)
    before = day_start(cutoff)
    active = Organisation.objects.active()
    quiet = active.filter(last_met__lt=before)
    counts = {
        "dormant": quiet.count(),
        "never": active.filter(last_met__isnull=True).count(),
    }
    # Along the index on meetings_attended, keeping the quiet ones: at XL
    # most active organisations are quiet, so the first ten come within a
    # few dozen rows. SQLite, which has no statistics, would rather read
    # every quiet organisation by the last_met index and sort them (71,000
    # at XL with N = 6: 135 ms of the home page's 350); the unary + keeps
    # it off that index (25 ms with N = 36, the fewest quiet). PostgreSQL
    # chooses by its statistics (Unindexed is the bare column there).
    first = list(
        active.filter(LessThan(Unindexed(F("last_met")), before))
        .select_related("type")
        .only("name", "acronym", "type", "type__name", "meetings_attended", "last_met")
        .order_by("-meetings_attended", "pk")[:DORMANT_SHOWN]
    )
    path = reverse("organisations:list")
    return {
        "months": months,
        "cutoff": cutoff,
        "count": counts["dormant"],
        "never": counts["never"],
        "first": first,
        # The list sorted as shown here: by meetings attended, most first.
        "url": query(
            path, active="true", last_met_before=cutoff.isoformat(), sort="-meetings"
        ),
        "never_url": query(path, active="true", met="never"),
    }


def most_overdue(today):
    """The ``OVERDUE_SHOWN`` pending follow-ups longest past their due day,
    with their meeting and owners (one query).

    The five are chosen in a subquery before anything is joined: joined
    first, PostgreSQL hashed every meeting, organisation and person to join
    the 1,500 overdue follow-ups at L before keeping five (84 of the page's
    ms; the follow-ups are 10 times as many at XL)."""
    first = (
        FollowUp.objects.filter(status__in=PENDING, due_on__lt=today)
        .order_by("due_on", "pk")
        .values("pk")[:OVERDUE_SHOWN]
    )
    return list(
        FollowUp.objects.filter(pk__in=first)
        .select_related("meeting", "owner_organisation", "owner_person")
        .only(
            "action",
            "due_on",
            "status",
            "meeting",
            "owner_organisation",
            "owner_person",
            "meeting__title",
            "meeting__starts_at",
            "meeting__date_only",
            "owner_organisation__name",
            "owner_organisation__acronym",
            "owner_person__full_name",
        )
        .order_by("due_on", "pk")[:OVERDUE_SHOWN]
    )


@dataclass
class Source:
    """A history table the last changes are read from: ``model``'s, its rows
    named by ``label`` (a field of the history row) and linking to
    ``detail`` (a URL name) with the key ``link`` (``id``, or the meeting of
    a follow-up); ``linked`` is the model that key is of."""

    code: int
    model: type
    label: str
    detail: str
    link: str = "id"
    linked: type | None = None


SOURCES = [
    Source(1, Organisation, "name", "organisations:detail"),
    Source(2, Person, "full_name", "people:detail"),
    Source(3, Meeting, "title", "meetings:detail"),
    Source(4, FollowUp, "action", "meetings:detail", "meeting_id", Meeting),
]
# The words of the admin's history pages (core.history).
# What each part of last_changes reads, in order.
PART_COLUMNS = [
    "history_date",
    "history_id",
    "ch_kind",
    "ch_label",
    "history_type",
    "ch_link",
    "ch_user",
    "ch_username",
]
ACTIONS = {
    "+": gettext_lazy("Added"),
    "~": gettext_lazy("Changed"),
    "-": gettext_lazy("Deleted"),
}


@dataclass
class ChangeRow:
    when: datetime.datetime
    kind: str
    label: str
    action: str
    user: str
    url: str


def last_changes(user, limit=CHANGES_SHOWN):
    """The ``limit`` latest changes recorded in the history of organisations,
    people, meetings and follow-ups that ``user`` may view: when, who, what
    (the record as it was then, and whether it was added, changed or
    deleted), and the record's page while it exists.

    One query: a UNION ALL of each table's newest ``limit`` rows, each read
    backwards along its ``history_date`` index (never a scan of the
    history, the largest tables at XL), with the user who made the change
    and whether the record is still there, asked of those rows alone: asked
    inside the part, PostgreSQL hashed every organisation's key first (115 ms
    with 500,000 history rows at XL; 0.2 ms so)."""
    parts = []
    for source in SOURCES:
        model = source.model
        if not user.has_perm(f"{model._meta.app_label}.view_{model._meta.model_name}"):
            continue
        parts.append(
            (
                source,
                model.history.order_by()
                .annotate(
                    ch_kind=Value(source.code, output_field=IntegerModelField()),
                    ch_label=F(source.label),
                    ch_link=F(source.link),
                    ch_user=Concat(
                        "history_user__first_name",
                        Value(" "),
                        "history_user__last_name",
                    ),
                    ch_username=F("history_user__username"),
                )
                .order_by("-history_date", "-history_id")
                .values_list(*PART_COLUMNS)[:limit],
            )
        )
    if not parts:
        return []
    # Raw SQL for the union: Django refuses a LIMIT inside a compound
    # statement on SQLite, which takes one in a subquery of it.
    quote = connection.ops.quote_name
    sql, params = [], []
    for index, (source, part) in enumerate(parts):
        part_sql, part_params = part.query.sql_with_params()
        linked = (source.linked or source.model)._meta
        columns = [f"p{index}.{quote(name)}" for name in PART_COLUMNS]
        exists = (
            f"EXISTS (SELECT 1 FROM {quote(linked.db_table)} e{index} "  # noqa: S608
            f"WHERE e{index}.{quote(linked.pk.column)} = p{index}.ch_link)"
        )
        sql.append(
            f"SELECT {', '.join(columns)}, {exists} AS ch_exists "  # noqa: S608
            f"FROM ({part_sql}) p{index}"
        )
        params.extend(part_params)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT * FROM ({' UNION ALL '.join(sql)}) changes "  # noqa: S608
            "ORDER BY 1 DESC, 2 DESC LIMIT %s",
            [*params, limit],
        )
        rows = cursor.fetchall()
    by_code = {source.code: source for source in SOURCES}
    changes = []
    for when, _id, code, label, kind, link, full, username, exists in rows:
        source = by_code[code]
        name = (full or "").strip() or username
        if timezone.is_naive(when):  # SQLite's, read without the ORM: UTC
            when = timezone.make_aware(when, datetime.UTC)
        changes.append(
            ChangeRow(
                when=when,
                kind=capfirst(source.model._meta.verbose_name),
                label=label,
                action=ACTIONS[kind],
                # No user: a command run without --user, or a data migration.
                user=name or _("system"),
                url=reverse(source.detail, args=[link]) if exists and link else "",
            )
        )
    return changes


@dataclass
class Figures:
    """The start page's figures that count across the data, as counted at
    ``at``: meetings per month, the follow-ups due (``follow_up_counts``),
    the most overdue, the organisations met lately by type (``met_counts``)
    and the dormant partners (None when the form's N is bad)."""

    at: datetime.datetime
    months: list
    follow_ups: dict
    overdue: list
    met: dict
    dormant: dict | None


def figures(today, months, now):
    """The start page's ``Figures`` for ``today`` and the dormant partners'
    N of ``months`` (None: none counted), kept ``DASHBOARD_CACHE_SECONDS`` in
    this worker's memory (Django's default cache).

    Kept because counting them is most of the page's cost and the start
    page is among the most requested: at XL on SQLite the page took 47 ms
    of CPU, 35 of them counting, and the load benchmark's 80 pages a second
    on two processors leave 25 ms a request (docs/performance.md). What
    changes after they were counted shows within that time; the page says
    when they were counted. The records are kept as read, without the
    names in the reader's language, which the view attaches to them."""
    seconds = settings.DASHBOARD_CACHE_SECONDS
    key = f"hamkor:dashboard:{today.isoformat()}:{months}"
    if seconds > 0:
        found = cache.get(key)
        if found is not None:
            return found
    counted = Figures(
        at=now,
        months=meetings_per_month(today),
        follow_ups=follow_up_counts(today),
        overdue=most_overdue(today),
        met=met_counts(today),
        dormant=dormant(months, today) if months is not None else None,
    )
    if seconds > 0:
        cache.set(key, counted, seconds)
    return counted


class HomeView(PermissionRequiredMixin, TemplateView):
    """The start page: what there is (organisations by type, meetings to come
    and past, follow-ups due) and the engagement dashboard
    (``meetings.dashboard``). ``?dormant_months=N`` (1-36) chooses the N of
    "not met in N months"; a bad N is a 400 naming the field, the rest of
    the page shown as usual.

    A fixed number of queries whatever the data: see the test
    tests/test_py, which names each."""

    permission_required = "meetings.view_meeting"
    template_name = "meetings/home.html"
    recent = 5

    def get(self, request, *args, **kwargs):
        form = DashboardForm(request.GET)
        valid = form.is_valid()
        context = self.get_context_data(form=form, valid=valid, **kwargs)
        return self.render_to_response(context, status=200 if valid else 400)

    def get_context_data(self, *, form, valid, **kwargs):
        now = timezone.now()
        today = timezone.localdate(now)
        meetings = Meeting.objects.select_related("host")
        # The counts are stored on the types: the page costs the same with
        # a hundred organisations or a hundred thousand.
        # In the reader's language's order: the seeded types' names translate.
        types = sorted(OrganisationType.objects.all(), key=lambda t: str(t).casefold())
        upcoming = list(
            meetings.filter(starts_at__gte=now)
            .exclude(status=Meeting.Status.CANCELLED)
            .order_by("starts_at")[: self.recent]
        )
        recent = list(
            meetings.filter(starts_at__lt=now).order_by("-starts_at")[: self.recent]
        )
        counted = figures(today, form.months() if valid else None, now)
        months, quiet, overdue = counted.months, counted.dormant, counted.overdue
        # Every organisation's name in the reader's language, in one query.
        attach_local_names(
            [
                *(meeting.host for meeting in [*upcoming, *recent]),
                *(quiet["first"] if quiet else ()),
                *(follow_up.owner_organisation for follow_up in overdue),
            ]
        )
        return super().get_context_data(
            types=types,
            organisation_count=sum(t.active_organisations for t in types),
            upcoming=upcoming,
            recent=recent,
            follow_ups=counted.follow_ups,
            months=months,
            month_chart=month_chart(months),
            months_total=sum(month.meetings for month in months),
            met=met_by_type(types, today, counted.met),
            dormant_form=form,
            dormant=quiet,
            dormant_limits=DORMANT_LIMITS,
            overdue=overdue,
            counted_at=counted.at,
            changes=last_changes(self.request.user),
            **kwargs,
        )
