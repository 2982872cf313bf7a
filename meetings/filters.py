import django_filters
from django import forms
from django.db.models import Exists, OuterRef, Q
from django.urls import reverse_lazy
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from core.filters import SortFilter, in_local_days
from core.forms import DateRangeForm, PickerInput
from stakeholders.filters import TypeFilter
from stakeholders.models import (
    Organisation,
    Person,
    Position,
    of_organisation_types,
)

from .models import PENDING, AgendaItem, FollowUp, Meeting, Topic


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
    status = django_filters.ChoiceFilter(label=_("Status"), choices=Meeting.Status)
    sort = SortFilter(
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
