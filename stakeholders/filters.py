import django_filters
from django import forms
from django.db.models import Q
from django.urls import reverse_lazy
from django.utils import timezone
from django.utils.choices import BaseChoiceIterator
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from django_countries import countries

from core.filters import SortFilter, day_start, in_local_days
from core.forms import DateRangeForm, FilterForm, LongSelect, PickerInput
from meetings.models import Attendance, Meeting

from .models import (
    Assessment,
    Organisation,
    OrganisationType,
    Person,
    Position,
    of_organisation_types,
)


def attendance_rows():
    return Attendance.objects.filter(status=Attendance.Status.ATTENDED)


class CountryChoices(BaseChoiceIterator):
    """django-countries' list of countries in the active language, as a
    field's choices. Given a function returning that list, Django iterates it
    again for each use and normalises each of the 250 pairs: 460 µs of every
    organisations page; an iterator of its own Django takes as it is (33 µs).
    """

    def __iter__(self):
        return iter(countries)


class TypeFilter(django_filters.ModelMultipleChoiceFilter):
    """``type=donor&type=ministry``: organisation types by slug, repeatable.

    Types are a short list, so they render as checkboxes."""

    def __init__(self, **kwargs):
        kwargs.setdefault("label", pgettext_lazy("organisation", "Type"))
        kwargs.setdefault("queryset", OrganisationType.objects.all())
        kwargs.setdefault("to_field_name", "slug")
        kwargs.setdefault("widget", forms.CheckboxSelectMultiple)
        super().__init__(**kwargs)


class OrganisationFilterForm(DateRangeForm):
    date_range_fields = [("attended_after", "attended_before")]


class OrganisationFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(
        label=_("Search"),
        method="filter_q",
        help_text=_("Name, acronym or other name"),
    )
    type = TypeFilter(method="filter_type")
    country = django_filters.ChoiceFilter(
        label=_("Country"),
        choices=CountryChoices(),
        widget=LongSelect,
        empty_label=_("Any country"),
    )
    parent = django_filters.ModelChoiceFilter(
        label=_("Part of"),
        queryset=Organisation.objects.all(),
        widget=PickerInput(reverse_lazy("organisations:suggest")),
    )
    attended = django_filters.ModelChoiceFilter(
        label=_("Attended meeting"),
        queryset=Meeting.objects.all(),
        method="filter_attended",
        widget=PickerInput(reverse_lazy("meetings:suggest")),
    )
    attended_after = django_filters.DateFilter(
        label=_("Attended a meeting from"), method="filter_attended_between"
    )
    attended_before = django_filters.DateFilter(
        label=_("Attended a meeting until"), method="filter_attended_between"
    )
    # The start page's dormant partners: met, but not since a day (the
    # stored last_met, the start of the latest meeting attended, read from
    # its index); and never met, counted apart there.
    last_met_before = django_filters.DateFilter(
        label=_("Last met before"),
        method="filter_last_met_before",
        help_text=_("Met, but not since this day"),
    )
    met = django_filters.ChoiceFilter(
        label=_("Ever met"),
        choices=[
            ("ever", _("Met at least once")),
            ("never", _("Never met")),
        ],
        empty_label=_("Met or not"),
        method="filter_met",
    )
    active = django_filters.ChoiceFilter(
        label=_("Status"),
        choices=[
            ("true", pgettext_lazy("organisation", "Active")),
            ("false", pgettext_lazy("organisation", "Inactive")),
        ],
        empty_label=_("Active and inactive"),
        method="filter_active",
    )
    sort = SortFilter(
        default="name",
        fields=[
            ("name", "name"),
            ("acronym", "acronym"),
            ("type__name", "type"),
            ("country", "country"),
            ("meetings_attended", "meetings"),
            ("last_met", "last_met"),
        ],
        # The column headers' words (django-filter would make "Meetings" of
        # "meetings"), in each language.
        field_labels={
            "name": pgettext_lazy("organisation", "Name"),
            "acronym": _("Acronym"),
            "type__name": pgettext_lazy("organisation", "Type"),
            "country": _("Country"),
            "meetings_attended": _("Meetings attended"),
            "last_met": _("Last met"),
        },
    )

    class Meta:
        model = Organisation
        fields = []
        form = OrganisationFilterForm

    def filter_q(self, queryset, name, value):
        return queryset.search(value)

    def filter_type(self, queryset, name, value):
        return queryset.of_type(value) if value else queryset

    def filter_active(self, queryset, name, value):
        return queryset.filter(is_active=value == "true")

    def filter_last_met_before(self, queryset, name, value):
        # Before the local day's start, as attended_after counts from it.
        return queryset.filter(last_met__lt=day_start(value))

    def filter_met(self, queryset, name, value):
        return queryset.filter(last_met__isnull=value == "never")

    def filter_attended(self, queryset, name, value):
        # One meeting's rows, read once (IN), as in PersonFilter.
        return queryset.filter(
            pk__in=attendance_rows().filter(meeting=value).values("organisation")
        )

    def filter_attended_between(self, queryset, name, value):
        """``attended_after`` and ``attended_before`` together: one ``Exists``
        over attendance at a meeting in the range, applied once."""
        data = self.form.cleaned_data
        first = "attended_after" if data.get("attended_after") else "attended_before"
        if name != first:
            return queryset
        # Meetings in the range come from their date index, their rows from
        # the meeting index: the organisations are read once (IN) rather than
        # each probed for rows in the range (EXISTS), which for the busiest
        # means tens of thousands of rows each.
        meetings = Meeting.objects.filter(
            **in_local_days(
                "starts_at",
                after=data.get("attended_after"),
                before=data.get("attended_before"),
            )
        ).values("pk")
        return queryset.filter(
            pk__in=attendance_rows().filter(meeting__in=meetings).values("organisation")
        )


class PersonFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(
        label=_("Search"), method="filter_q", help_text=_("Name or email")
    )
    organisation = django_filters.ModelChoiceFilter(
        label=_("Organisation"),
        queryset=Organisation.objects.all(),
        method="filter_organisation",
        widget=PickerInput(reverse_lazy("organisations:suggest")),
        help_text=_("Held a position there or attended on its behalf"),
    )
    type = TypeFilter(
        method="filter_type",
        help_text=_("Of an organisation they work or worked for, or represented"),
    )
    attended = django_filters.ModelChoiceFilter(
        label=_("Attended meeting"),
        queryset=Meeting.objects.all(),
        method="filter_attended",
        widget=PickerInput(reverse_lazy("meetings:suggest")),
    )
    sort = SortFilter(
        default="name",
        fields=[
            ("full_name", "name"),
            ("email", "email"),
            ("meetings_attended", "meetings"),
            ("last_met", "last_met"),
        ],
        field_labels={
            "full_name": pgettext_lazy("person", "Name"),
            "email": _("Email"),
            "meetings_attended": _("Meetings attended"),
            "last_met": _("Last met"),
        },
    )

    class Meta:
        model = Person
        fields = []
        form = FilterForm

    def filter_q(self, queryset, name, value):
        return queryset.search(value)

    def filter_organisation(self, queryset, name, value):
        # One organisation's people and attendance are short lists: IN reads
        # each once.
        positions = Position.objects.filter(organisation=value).values("person")
        attended = attendance_rows().filter(organisation=value).values("person")
        return queryset.filter(Q(pk__in=positions) | Q(pk__in=attended))

    def filter_type(self, queryset, name, value):
        # Their types are stored on each person (meetings.stats).
        return queryset.filter(of_organisation_types(value)) if value else queryset

    def filter_attended(self, queryset, name, value):
        # One meeting's attendance is a short list: read it once (IN) rather
        # than probe it once per person (EXISTS), which SQLite does by the
        # meeting's rows, not the person's.
        return queryset.filter(
            pk__in=attendance_rows().filter(meeting=value).values("person")
        )


class MapFilterForm(FilterForm):
    def clean_compare(self):
        day = self.cleaned_data.get("compare")
        if day and day > timezone.localdate():
            raise forms.ValidationError(
                _("Compare with a day that has passed."), code="compare_in_future"
            )
        return day


class MapFilter(django_filters.FilterSet):
    """The stakeholder map's filter (/map/), in the organisation list's words:
    each organisation's latest assessment, narrowed by the organisation (its
    name, its type) and by the assessment (since when, which stance).
    ``compare`` chooses what is drawn (arrows from that day's positions),
    not which rows."""

    q = django_filters.CharFilter(
        label=_("Search"),
        method="filter_q",
        help_text=_("Name, acronym or other name"),
    )
    type = TypeFilter(method="filter_type")
    stance = django_filters.MultipleChoiceFilter(
        label=_("Stance"),
        choices=Assessment.Stance.choices,
        widget=forms.CheckboxSelectMultiple,
    )
    assessed_since = django_filters.DateFilter(
        label=_("Assessed since"),
        field_name="assessed_on",
        lookup_expr="gte",
        help_text=_("The latest assessment is from this day or later"),
    )
    compare = django_filters.DateFilter(
        label=_("Compare with"),
        method="filter_nothing",
        help_text=_("Arrows from each organisation’s place on this day"),
    )
    sort = SortFilter(
        default="organisation",
        fields=[
            ("organisation__name", "organisation"),
            ("organisation__type__name", "type"),
            ("influence", "influence"),
            ("interest", "interest"),
            ("stance", "stance"),
            ("assessed_on", "assessed_on"),
        ],
        field_labels={
            "organisation__name": _("Organisation"),
            "organisation__type__name": pgettext_lazy("organisation", "Type"),
            "influence": _("Influence"),
            "interest": _("Interest"),
            "stance": _("Stance"),
            "assessed_on": _("Assessed on"),
        },
    )

    class Meta:
        model = Assessment
        fields = []
        form = MapFilterForm

    def filter_q(self, queryset, name, value):
        return queryset.filter(organisation__in=Organisation.objects.search(value))

    def filter_type(self, queryset, name, value):
        if not value:
            return queryset
        return queryset.filter(
            organisation__in=Organisation.objects.of_type(value).values("pk")
        )

    def filter_nothing(self, queryset, name, value):
        return queryset
