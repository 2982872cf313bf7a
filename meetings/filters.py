import django_filters
from django import forms
from django.db.models import Exists, OuterRef, Q
from django.urls import reverse_lazy
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from core.filters import SortFilter, in_local_days
from core.forms import DateRangeForm, LongSelect, PickerInput
from core.models import AmongIds, JoinedKey
from stakeholders.filters import CountryChoices, TypeFilter
from stakeholders.models import (
    Organisation,
    Person,
    Position,
    of_organisation_types,
)

from .models import PENDING, AgendaItem, Attendance, FollowUp, Meeting, Topic


class MeetingFilterForm(DateRangeForm):
    date_range_fields = [("after", "before")]


class MeetingFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(
        label=_("Search"),
        method="filter_q",
        help_text=_("Title, venue or an organisation that took part"),
    )
    after = django_filters.DateFilter(
        label=pgettext_lazy("meetings on or after a date", "From"),
        method="filter_dates",
    )
    before = django_filters.DateFilter(
        label=pgettext_lazy("meetings on or before a date", "Until"),
        method="filter_dates",
    )
    organisation = django_filters.ModelChoiceFilter(
        label=_("Organisation took part"),
        help_text=_("Attended, hosted or initiated"),
        queryset=Organisation.objects.all(),
        method="filter_organisation",
        widget=PickerInput(reverse_lazy("organisations:suggest")),
    )
    type = TypeFilter(
        method="filter_type", help_text=_("Of an organisation that took part")
    )
    topic = django_filters.ModelChoiceFilter(
        label=_("Agenda topic"),
        queryset=Topic.objects.all(),
        method="filter_topic",
        widget=PickerInput(reverse_lazy("meetings:topic_suggest")),
    )
    # Repeatable: the start page's meetings per month are those held or
    # planned (?status=held&status=planned), the cancelled ones apart. A
    # column of the row: no DISTINCT (django-filter's default for a
    # multiple choice), which would page the list as a DISTINCT list.
    status = django_filters.MultipleChoiceFilter(
        label=_("Status"),
        choices=Meeting.Status,
        widget=forms.CheckboxSelectMultiple,
        distinct=False,
    )
    sort = SortFilter(
        default="-date",
        fields=[
            ("starts_at", "date"),
            ("title", "title"),
            ("host__name", "host"),
            ("status", "status"),
            ("organisations_attended", "organisations"),
        ],
        # The column headers' words, in each language.
        field_labels={
            "starts_at": _("Date"),
            "title": pgettext_lazy("meeting", "Title"),
            "host__name": _("Host"),
            "status": _("Status"),
            "organisations_attended": _("Organisations"),
        },
    )

    class Meta:
        model = Meeting
        fields = []
        form = MeetingFilterForm

    def filter_q(self, queryset, name, value):
        return queryset.search(value)

    def filter_dates(self, queryset, name, value):
        """``after`` and ``before`` together, applied once, on the local day."""
        data = self.form.cleaned_data
        first = "after" if data.get("after") else "before"
        if name != first:
            return queryset
        return queryset.filter(
            **in_local_days(
                "starts_at", after=data.get("after"), before=data.get("before")
            )
        )

    def filter_organisation(self, queryset, name, value):
        return queryset.taken_part_by(value)

    def filter_type(self, queryset, name, value):
        # The types taking part are stored on each meeting (meetings.stats).
        return queryset.filter(of_organisation_types(value)) if value else queryset

    def filter_topic(self, queryset, name, value):
        return queryset.filter(
            Exists(AgendaItem.objects.filter(meeting=OuterRef("pk"), topic=value))
        )


class FollowUpFilterForm(DateRangeForm):
    date_range_fields = [("due_after", "due_before")]


class FollowUpFilter(django_filters.FilterSet):
    """The follow-up worklist's filters (/follow-ups/)."""

    q = django_filters.CharFilter(
        label=_("Search"),
        method="filter_q",
        help_text=_("Action, notes, or the owner organisation or person"),
    )
    status = django_filters.MultipleChoiceFilter(
        label=_("Status"),
        choices=FollowUp.Status,
        widget=forms.CheckboxSelectMultiple,
    )
    overdue = django_filters.ChoiceFilter(
        label=_("Overdue"),
        choices=[
            ("true", _("Overdue only")),
            ("false", _("Not overdue")),
        ],
        empty_label=_("Overdue or not"),
        method="filter_overdue",
        help_text=_("Open or in progress, due before today"),
    )
    mine = django_filters.ChoiceFilter(
        label=_("Whose"),
        choices=[("true", _("Mine"))],
        empty_label=_("Everyone’s"),
        method="filter_mine",
        help_text=_(
            "Mine: owned by the person whose email is your account’s, or by an "
            "organisation where they work today"
        ),
    )
    due_after = django_filters.DateFilter(
        label=pgettext_lazy("follow-ups due on or after a date", "Due from"),
        field_name="due_on",
        lookup_expr="gte",
    )
    due_before = django_filters.DateFilter(
        label=pgettext_lazy("follow-ups due on or before a date", "Due until"),
        field_name="due_on",
        lookup_expr="lte",
    )
    owner_organisation = django_filters.ModelChoiceFilter(
        label=_("Owner organisation"),
        queryset=Organisation.objects.all(),
        widget=PickerInput(reverse_lazy("organisations:suggest")),
    )
    owner_person = django_filters.ModelChoiceFilter(
        label=_("Owner person"),
        queryset=Person.objects.all(),
        widget=PickerInput(reverse_lazy("people:suggest")),
    )
    meeting = django_filters.ModelChoiceFilter(
        label=_("Meeting"),
        queryset=Meeting.objects.all(),
        widget=PickerInput(reverse_lazy("meetings:suggest")),
    )
    sort = SortFilter(
        default="due",
        fields=[
            ("due_on", "due"),
            ("meeting__starts_at", "meeting"),
            ("status", "status"),
            ("owner_organisation__name", "owner"),
            ("completed_on", "completed"),
        ],
        field_labels={
            "due_on": _("Due"),
            "meeting__starts_at": _("Meeting date"),
            "status": _("Status"),
            "owner_organisation__name": _("Owner"),
            "completed_on": _("Completed"),
        },
    )

    class Meta:
        model = FollowUp
        fields = []
        form = FollowUpFilterForm

    def filter_q(self, queryset, name, value):
        return queryset.search(value)

    # Set by ``mine`` when the user's account matches no person: the list
    # says why it is empty.
    unlinked = False

    def filter_mine(self, queryset, name, value):
        """The follow-ups of the person the user is (the one with the
        account's email: a user is linked to no person otherwise) and of the
        organisations where that person holds a position today. Costs a
        query now: the person."""
        person = Person.objects.with_email(self.request.user.email).first()
        if person is None:
            self.unlinked = True
            return queryset.none()
        organisations = (
            Position.objects.current().filter(person=person).values("organisation")
        )
        return queryset.filter(
            Q(owner_person=person) | Q(owner_organisation__in=organisations)
        )

    def filter_overdue(self, queryset, name, value):
        overdue = Q(status__in=PENDING, due_on__lt=timezone.localdate())
        return queryset.filter(overdue if value == "true" else ~overdue)


# The most organisations of a type given to the database as a list of ids
# (AttendanceFilter.filter_type): within SQLite's 32,766 parameters.
TYPE_IDS_LIMIT = 10_000


class AttendanceFilterForm(DateRangeForm):
    date_range_fields = [("after", "before")]


class AttendanceFilter(django_filters.FilterSet):
    """The attendance matrix (/attendance/): the lists' words for the same
    things (``type`` as on /meetings/ and /people/, ``after`` / ``before`` the
    meeting's local day), and ``view``, the list or the pivot."""

    view = django_filters.ChoiceFilter(
        label=pgettext_lazy("attendance matrix", "Show"),
        choices=[
            ("list", pgettext_lazy("attendance matrix", "List")),
            ("pivot", pgettext_lazy("attendance matrix", "Organisations × meetings")),
        ],
        empty_label=None,
        method="filter_view",
    )
    type = TypeFilter(method="filter_type")
    organisation = django_filters.ModelChoiceFilter(
        label=_("Organisation"),
        queryset=Organisation.objects.all(),
        widget=PickerInput(reverse_lazy("organisations:suggest")),
        help_text=_("Attended on its behalf"),
    )
    country = django_filters.ChoiceFilter(
        label=_("Country"),
        choices=CountryChoices(),
        widget=LongSelect,
        empty_label=_("Any country"),
        help_text=_("Of the organisation"),
        method="filter_country",
    )
    meeting = django_filters.ModelChoiceFilter(
        label=_("Meeting"),
        queryset=Meeting.objects.all(),
        widget=PickerInput(reverse_lazy("meetings:suggest")),
    )
    after = django_filters.DateFilter(
        label=pgettext_lazy("meetings on or after a date", "From"),
        method="filter_dates",
    )
    before = django_filters.DateFilter(
        label=pgettext_lazy("meetings on or before a date", "Until"),
        method="filter_dates",
    )
    topic = django_filters.ModelChoiceFilter(
        label=_("Agenda topic"),
        queryset=Topic.objects.all(),
        method="filter_topic",
        widget=PickerInput(reverse_lazy("meetings:topic_suggest")),
    )
    role = django_filters.ChoiceFilter(
        label=_("Role"), choices=Attendance.Role, empty_label=_("Any role")
    )
    status = django_filters.ChoiceFilter(
        label=_("Status"), choices=Attendance.Status, empty_label=_("Any status")
    )
    # Each sort is read along an index: the meetings' date or the
    # organisations' names, each joined to its rows by the attendance's
    # index on it. The people (a quarter of the rows have none, sorted last)
    # and roles and statuses have no such order: sorted by them, every row
    # of a filter would be sorted (2.5 M at XL) for a page.
    sort = SortFilter(
        default="-date",
        fields=[
            ("meeting__starts_at", "date"),
            ("organisation__name", "organisation"),
        ],
        field_labels={
            "meeting__starts_at": _("Date"),
            "organisation__name": _("Organisation"),
        },
        ties={
            "meeting__starts_at": [JoinedKey("meeting", "starts_at")],
            "organisation__name": [JoinedKey("organisation", "name")],
        },
    )

    class Meta:
        model = Attendance
        fields = []
        form = AttendanceFilterForm

    def filter_view(self, queryset, name, value):
        return queryset  # chooses the page's form, not its rows

    def filter_type(self, queryset, name, value):
        # "Organisations of type X", said once (OrganisationQuerySet.of_type).
        if not value:
            return queryset
        return self.of_organisations(queryset, Organisation.objects.of_type(value))

    def filter_country(self, queryset, name, value):
        return self.of_organisations(
            queryset, Organisation.objects.filter(country=value)
        )

    def of_organisations(self, queryset, organisations):
        """Rows of ``organisations`` (of a type, of a country), read first
        (one query, by their index) and given as a list of ids while they are
        fewer than ``TYPE_IDS_LIMIT``; ``self.organisation_count``, their
        number then (the fewest, for a type and a country).

        The list is walked newest meeting first and each row tested: against
        a list of ids, a lookup in a hash; against a subquery, PostgreSQL
        reads each row's organisation to see its type. At XL (5,067 donors,
        2.5 M rows) the 1,001 donors' rows the list counts took 110 ms with
        the subquery (60,000 buffers) and 18 ms with the list (3,200), so
        /attendance/?type=donor 150-216 ms a page. A type of more
        organisations than the limit (a fifth of them at XL) has its rows
        found within a few thousand, and keeps the subquery.

        The list is one array parameter on PostgreSQL (``AmongIds``): as a
        parameter an id, the pivot's two queries of /attendance/?type=donor
        spent most of the page preparing, sending and planning 5,067 ids
        (158 ms at XL, 132 of it CPU); at L, with a list of 5,091 ids
        (three types), 300-520 ms became 115-190."""
        ids = list(
            organisations.order_by().values_list("pk", flat=True)[: TYPE_IDS_LIMIT + 1]
        )
        if len(ids) > TYPE_IDS_LIMIT:
            return queryset.filter(organisation__in=organisations)
        self.organisation_count = min(
            len(ids), getattr(self, "organisation_count", len(ids))
        )
        return queryset.filter(AmongIds("organisation", ids))

    def filter_dates(self, queryset, name, value):
        """``after`` and ``before`` together, applied once, on the local day of
        the meeting's start (its date index)."""
        data = self.form.cleaned_data
        first = "after" if data.get("after") else "before"
        if name != first:
            return queryset
        return queryset.filter(
            **in_local_days(
                "meeting__starts_at", after=data.get("after"), before=data.get("before")
            )
        )

    def filter_topic(self, queryset, name, value):
        # One topic's meetings are a short list: read once (IN), then each
        # meeting's rows by the attendance's meeting index.
        return queryset.filter(
            meeting__in=AgendaItem.objects.filter(topic=value).values("meeting")
        )
