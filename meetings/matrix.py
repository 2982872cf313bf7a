"""The attendance matrix, /attendance/: "which donors came to which meetings"
on one screen.

The same filter shows either every attendance row (the list: organisation,
meeting, person, role, status), or the pivot: organisations as rows, the
newest ``MAX_MEETINGS`` meetings the filter selects as columns, each cell the
organisation's role and status at that meeting, with totals per row and per
column, paged by organisations. Both export as CSV and XLSX.

The pivot costs two queries whatever the page: the meetings (read newest
first along their date index, each probed for a matching row by the
attendance's meeting index, stopping at ``MAX_MEETINGS`` + 1), then the
cells of those meetings grouped by organisation and meeting (their rows, read
by the meeting index: some 50 a meeting at XL). The organisations are at most
the ones of ``MAX_MEETINGS`` meetings, so they are sorted and paged here, and
the totals counted over all of them, not just the page shown.
"""

from dataclasses import dataclass, field

from django.core.paginator import Paginator
from django.db.models import (
    Case,
    Count,
    Exists,
    IntegerField,
    Min,
    OuterRef,
    Q,
    Value,
    When,
)
from django.utils.translation import gettext, ngettext, pgettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from core.exports import Column, choice_labels, country_names, table_response
from core.filters import in_local_days
from core.models import JoinedKey, choice_label
from core.views import FilteredListView
from stakeholders.models import (
    Organisation,
    OrganisationName,
    attach_local_names,
    name_language,
    type_label,
)

from .filters import AttendanceFilter
from .models import Attendance, Meeting

# The pivot's columns: a screen a manager can read (and scroll on a phone),
# and an export with as many. A filter selecting more shows the newest.
MAX_MEETINGS = 60

# A type or country of at most this many organisations has its pivot's
# meetings read by their rows (Pivot, few_meetings): 1,306 organisations of
# a country at XL, yes; the 5,067 donors, whose rows are at most meetings,
# no.
FEW_ORGANISATIONS = 2000

# An organisation that sent several people has one cell: the first role in
# this order and the first status in this one (of a host's people, one
# presenting and one observing, it hosted; of two invited, one who came and
# one who did not, it attended).
ROLE_ORDER = list(Attendance.Role)
STATUS_ORDER = [
    Attendance.Status.ATTENDED,
    Attendance.Status.CONFIRMED,
    Attendance.Status.INVITED,
    Attendance.Status.DECLINED,
    Attendance.Status.ABSENT,
]


def rank(name, order):
    """An expression: the place of field ``name``'s value in ``order``."""
    return Case(
        *(
            When(**{name: value}, then=Value(index))
            for index, value in enumerate(order)
        ),
        default=Value(len(order)),
        output_field=IntegerField(),
    )


def chosen(order, place):
    """The value at ``place`` in ``order`` (``rank``), or "" for a value
    none of the choices has (written by hand in the database)."""
    return order[place] if place < len(order) else ""


@dataclass
class Cell:
    """One organisation at one meeting: its leading role and best status
    among its rows, and how many people it sent (0: the organisation alone)."""

    role: str
    status: str
    people: int

    @property
    def role_label(self):
        return choice_label(Attendance.Role, self.role)

    @property
    def status_label(self):
        return choice_label(Attendance.Status, self.status)

    def text(self):
        """The cell as one line of text (the exports')."""
        text = pgettext("attendance cell: role, status", "%(role)s, %(status)s") % {
            "role": self.role_label,
            "status": str(self.status_label).lower(),
        }
        if self.people > 1:
            text += ", " + people_text(self.people)
        return text


def people_text(count):
    return ngettext("%(counter)s person", "%(counter)s people", count) % {
        "counter": count
    }


@dataclass
class PivotRow:
    """An organisation of the pivot (what its row shows and links by: no
    model instance, there are thousands) and its cells, one per meeting."""

    pk: int
    name: str
    acronym: str
    local_name: str | None  # its name in the reader's language, if recorded
    type_name: str
    cells: list = field(default_factory=list)  # a Cell or None per meeting

    @property
    def display_name(self):
        return self.local_name or self.name

    @property
    def total(self):
        return sum(cell is not None for cell in self.cells)


class Pivot:
    """Organisations × meetings for the attendance rows of ``rows`` (a
    filtered queryset). Three queries, made here: the meetings, the cells,
    the organisations."""

    def __init__(self, rows, limit=MAX_MEETINGS, *, meetings=None, few_meetings=False):
        rows = rows.order_by()
        if meetings is None:
            meetings = Meeting.objects.all()
        if few_meetings:
            # One organisation's, one meeting's or one topic's rows are a
            # short list next to all meetings: their meetings are read once
            # (IN), as in MeetingQuerySet.taken_part_by, rather than every
            # meeting probed for a row of theirs, newest first, until 61 are
            # found (for an organisation met thrice, all 50,000 at XL).
            taking_part = Q(pk__in=rows.values("meeting"))
        else:
            # Most meetings have a row of the filter's: walked newest first
            # along their date index, each probed by the attendance's
            # meeting index, the walk stops at the 61st.
            taking_part = Exists(rows.filter(meeting=OuterRef("pk")))
        meetings = list(
            meetings.filter(taking_part)
            .only("title", "starts_at", "date_only")
            .order_by("-starts_at", "-pk")[: limit + 1]
        )
        self.limit = limit
        self.more_meetings = len(meetings) > limit
        self.meetings = meetings[:limit]
        column = {meeting.pk: index for index, meeting in enumerate(self.meetings)}
        # The cells: the meetings' rows (by the attendance's meeting index),
        # grouped by organisation and meeting, without the organisations:
        # joined to them, PostgreSQL at XL read all 100,000 of them (a merge
        # join, 60 ms) for the 2,000 of 60 meetings.
        cells = {}
        for values in (
            rows.filter(meeting__in=list(column))
            .values("organisation", "meeting")
            .annotate(
                role_rank=Min(rank("role", ROLE_ORDER)),
                status_rank=Min(rank("status", STATUS_ORDER)),
                people=Count("person"),
            )
        ):
            row = cells.setdefault(values["organisation"], [None] * len(column))
            row[column[values["meeting"]]] = Cell(
                role=chosen(ROLE_ORDER, values["role_rank"]),
                status=chosen(STATUS_ORDER, values["status_rank"]),
                people=values["people"],
            )
        # Their organisations, by their keys, with the name in the reader's
        # language and the type; sorted by the official name, as the
        # organisations list: one order for every reader.
        organisations = (
            Organisation.objects.filter(pk__in=list(cells))
            .with_local_name()
            .values_list("pk", "name", "acronym", "local_name", "type__name")
        )
        self.rows = sorted(
            (PivotRow(*values, cells=cells[values[0]]) for values in organisations),
            key=lambda row: (row.name.casefold(), row.pk),
        )
        self.column_totals = [
            sum(row.cells[index] is not None for row in self.rows)
            for index in range(len(self.meetings))
        ]
        self.total = sum(self.column_totals)

    def table(self):
        """The pivot as rows of cells for an export: a header, an
        organisation a row (in the reader's language, then the official name,
        acronym and type), the totals, and a last line if meetings were left
        out."""
        total = gettext("Total")
        yield [
            gettext("Organisation"),
            *(str(meeting) for meeting in self.meetings),
            total,
            gettext("Official name"),
            gettext("Acronym"),
            pgettext("organisation", "Type"),
        ]
        for row in self.rows:
            yield [
                row.display_name,
                *(cell.text() if cell else "" for cell in row.cells),
                row.total,
                row.name,
                row.acronym,
                type_label(row.type_name),
            ]
        yield [total, *self.column_totals, self.total]
        if self.more_meetings:
            yield [str(too_many_meetings(self.limit))]


def too_many_meetings(limit):
    return _(
        "More than %(limit)s meetings match this filter: the newest %(limit)s "
        "are shown. Narrow it by date (From, Until), type, topic or "
        "organisation to see the others."
    ) % {"limit": limit}


def local_names_of(rows):
    """An export column's display (``core.exports.Column``): each row's
    organisation id as its name in the reader's language, as
    ``attach_local_names`` chooses it, or None.

    The names of the organisations of ``rows`` are read once, in one query
    when the export starts; a subquery on each row (``with_local_name``)
    would run 2.5 million times for every row at XL."""

    def display(field):
        language = name_language()
        if language is None:
            return lambda organisation: None
        names = {}
        for organisation, name in (
            OrganisationName.objects.filter(
                organisation__in=rows.order_by().values("organisation"),
                language=language,
                is_former=False,
            )
            .order_by("-pk")
            .values_list("organisation_id", "name")
        ):
            names[organisation] = name  # the first recorded, last
        return names.get

    return display


def type_labels(field):
    """An export's type column in the reader's language."""
    return type_label


class AttendanceView(FilteredListView):
    """/attendance/: the list (``view=list``, the default) or the pivot
    (``view=pivot``) of the filter's attendance rows, and their exports."""

    permission_required = "meetings.view_attendance"
    model = Attendance
    presentation_fields = ("sort", "view")
    filterset_class = AttendanceFilter
    template_name = "meetings/attendance.html"
    export_filename = "attendance"
    export_columns = [
        Column(_("Date"), "meeting__starts_at", date_only="meeting__date_only"),
        Column(_("Meeting"), "meeting__title"),
        Column(_("Organisation"), "organisation__name"),
        # (+ its name in the reader's language: get_export_columns)
        Column(_("Acronym"), "organisation__acronym"),
        Column(
            pgettext_lazy("organisation", "Type"),
            "organisation__type__name",
            display=type_labels,
        ),
        Column(_("Country"), "organisation__country", display=country_names),
        Column(_("Person"), "person__full_name"),
        Column(_("Role"), "role", display=choice_labels),
        Column(_("Status"), "status", display=choice_labels),
        Column(_("Notes"), "notes"),
    ]

    def get_queryset(self):
        # Newest meetings first, read backwards along their date index (the
        # meeting's key breaks ties, as in meeting_newest_idx: JoinedKey),
        # each meeting's rows by the attendance's meeting index, in the order
        # they were recorded (the host's first, as a rule). Sorted by
        # organisation too, every row up to the page joined its organisation:
        # page 1,000 at XL on PostgreSQL read 50,000 of them, 200 ms against 61.
        return Attendance.objects.select_related(
            "meeting", "organisation__type", "person"
        ).order_by(
            "-meeting__starts_at",
            JoinedKey("meeting", "starts_at").desc(),
            "pk",
        )

    def showing_pivot(self):
        filterset = self.filterset
        return (
            filterset.is_bound
            and not filterset.form.errors
            and filterset.form.cleaned_data.get("view") == "pivot"
        )

    def pivot(self, rows):
        data = self.filterset.form.cleaned_data
        few = any(data.get(name) for name in ("organisation", "meeting", "topic")) or (
            # A type or country of few organisations: at XL the 1,306 of
            # Germany have a row at one meeting in 40, and the walk over the
            # meetings probed 2,400 of them (484 ms), where their meetings
            # read by the organisations' rows take 15 ms.
            getattr(self.filterset, "organisation_count", FEW_ORGANISATIONS + 1)
            <= FEW_ORGANISATIONS
        )
        # The filter's days, on the meetings too: their walk starts at the
        # newest meeting of the range, not of all time (for a year long past,
        # some 45,000 meetings at XL, each probed, before the first).
        meetings = Meeting.objects.filter(
            **in_local_days(
                "starts_at", after=data.get("after"), before=data.get("before")
            )
        )
        return Pivot(rows, meetings=meetings, few_meetings=few)

    def export(self, queryset):
        if self.showing_pivot():
            pivot = self.pivot(queryset)
            # Room for a name, a cell ("Participant, attended, 12 people"),
            # a total, then the official name, acronym and type.
            widths = [40, *[24] * len(pivot.meetings), 8, 40, 12, 24]
            return table_response(
                pivot.table(),
                "attendance-pivot",
                self.export_format,
                freeze=(1, 1),
                widths=widths,
            )
        return super().export(queryset)

    def get_export_columns(self):
        # The name recorded for the exporting reader's language, as in the
        # organisations' export (stakeholders.views), after the official one.
        local_name = Column(
            pgettext_lazy("export column", "Name in English"),
            "organisation",
            display=local_names_of(self.filterset.qs),
        )
        columns = list(self.export_columns)
        columns.insert(3, local_name)
        return columns

    def get_context_data(self, **kwargs):
        if not self.showing_pivot():
            context = super().get_context_data(**kwargs)
            attach_local_names(row.organisation for row in context["object_list"])
            return context
        pivot = self.pivot(self.filterset.qs)
        paginator = Paginator(pivot.rows, self.paginate_by)
        page = paginator.get_page(self.request.GET.get(self.page_kwarg))
        return {
            "view": self,
            "pivot": pivot,
            "paginator": paginator,
            "page_obj": page,
            "is_paginated": page.has_other_pages(),
            "object_list": page.object_list,
            "page_range": paginator.get_elided_page_range(page.number),
            "active_filters": self.active_filters(),
            **kwargs,
        }
