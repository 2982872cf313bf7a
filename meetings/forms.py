import datetime
import hashlib

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import CharField, Value
from django.urls import reverse_lazy
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from core.admin import HamkorForm
from core.forms import PickerInput, VersionedModelForm, limit_dates, time_missing
from stakeholders.models import Organisation, OrganisationType, Person

from .models import AgendaItem, Attendance, FollowUp, Meeting, Topic


class MeetingAdminForm(HamkorForm):
    """The meeting's admin form: the times may be left empty when the meeting
    is recorded by date alone ("Date only"), and must be given otherwise.

    A date-only start without a time is the local midnight of its day; a
    date-only end without a time closes its day (the next local midnight), so
    that a one-day meeting may be entered as 29 January to 29 January."""

    def clean(self):
        cleaned_data = super().clean()
        date_only = cleaned_data.get("date_only")
        for name in ("starts_at", "ends_at"):
            if name not in self.fields or not time_missing(self[name]):
                continue
            value = cleaned_data.get(name)
            if value is None:
                continue
            if not date_only:
                self.add_error(
                    name,
                    ValidationError(
                        _("Enter a time, or tick “Date only”."),
                        code="time_required",
                    ),
                )
            elif name == "ends_at":
                day = timezone.localtime(value).date() + datetime.timedelta(days=1)
                cleaned_data[name] = timezone.make_aware(
                    datetime.datetime.combine(day, datetime.time.min)
                )
        return cleaned_data


# The "Record a meeting" page (issue 16): the meeting, and formsets of the
# organisations attending, the people under them, the agenda and the
# follow-ups. A row left empty (its key field blank) is no row at all: the
# page renders spare rows for browsers without JavaScript, and with it the
# rows a coordinator removed are simply not posted.

MEETING_DEFAULT = ""


def row_status_choices():
    """The attendance statuses, after "as the meeting": attended when it was
    held or is past, invited when it is planned
    (``Meeting.default_attendance_status``)."""
    return [(MEETING_DEFAULT, _("As the meeting")), *Attendance.Status.choices]


class MultiplePickerInput(PickerInput):
    """The ids of several records, comma-separated; ``static/js/picker.js``
    shows each chosen record as a chip and a search box to add more."""

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        context["widget"]["attrs"]["data-picker-multiple"] = "true"
        return context

    def format_value(self, value):
        if not value:
            return ""
        if isinstance(value, str):
            return value
        return ",".join(str(v) for v in value)

    def value_from_datadict(self, data, files, name):
        value = data.get(name, "")
        return [part.strip() for part in value.split(",") if part.strip()]


class RowForm(forms.Form):
    """A row of the page's formsets: empty unless its ``key_fields`` hold
    something, whatever the rest says (a spare row keeps its defaults)."""

    key_fields = ()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            widget = field.widget
            if isinstance(widget, forms.Select):
                widget.attrs.setdefault("class", "form-select form-select-sm")
            elif isinstance(widget, forms.CheckboxInput):
                widget.attrs.setdefault("class", "form-check-input")
            elif not widget.is_hidden:
                widget.attrs.setdefault("class", "form-control form-control-sm")

    def has_changed(self):
        return any(self[name].data not in (None, "") for name in self.key_fields)

    def picked(self):
        """Whether the row was chosen (it holds something), after cleaning."""
        return any(self.cleaned_data.get(name) for name in self.key_fields)


class RowFormSet(forms.BaseFormSet):
    """Every row may be empty (see ``RowForm``), spare or posted."""

    def get_form_kwargs(self, index):
        return {**super().get_form_kwargs(index), "empty_permitted": True}

    def picked(self):
        """The cleaned rows that hold something, in the order entered."""
        return [
            form.cleaned_data
            for form in self.forms
            if form.cleaned_data and form.picked()
        ]


def organisation_picker():
    return PickerInput(reverse_lazy("organisations:suggest"))


class AttendingOrganisationForm(RowForm):
    key_fields = ("organisation",)

    organisation = forms.ModelChoiceField(
        Organisation.objects.all(),
        label=_("Organisation"),
        widget=organisation_picker(),
    )
    role = forms.ChoiceField(
        label=_("Role"),
        choices=Attendance.Role.choices,
        initial=Attendance.Role.PARTICIPANT,
    )
    status = forms.ChoiceField(
        label=_("Status"), choices=row_status_choices, required=False
    )


class AttendingOrganisationFormSet(RowFormSet):
    def clean(self):
        seen = set()
        for form in self.forms:
            organisation = (getattr(form, "cleaned_data", None) or {}).get(
                "organisation"
            )
            if organisation is None:
                continue
            if organisation.pk in seen:
                form.add_error(
                    "organisation",
                    ValidationError(
                        _("%(organisation)s is listed twice."),
                        params={"organisation": organisation},
                        code="duplicate",
                    ),
                )
            seen.add(organisation.pk)


class AttendingPersonForm(RowForm):
    key_fields = ("person",)

    person = forms.ModelChoiceField(
        Person.objects.all(),
        label=_("Person"),
        widget=PickerInput(reverse_lazy("people:suggest")),
    )
    organisation = forms.ModelChoiceField(
        Organisation.objects.all(),
        label=_("On behalf of"),
        widget=organisation_picker(),
        required=False,
    )
    role = forms.ChoiceField(
        label=_("Role"),
        choices=Attendance.Role.choices,
        initial=Attendance.Role.PARTICIPANT,
    )
    status = forms.ChoiceField(
        label=_("Status"), choices=row_status_choices, required=False
    )

    def clean(self):
        cleaned_data = super().clean()
        if cleaned_data.get("person") and not cleaned_data.get("organisation"):
            self.add_error(
                "organisation",
                ValidationError(
                    _("Say on behalf of which organisation they attended."),
                    code="required",
                ),
            )
        return cleaned_data


class AttendingPersonFormSet(RowFormSet):
    def clean(self):
        seen = set()
        for form in self.forms:
            data = getattr(form, "cleaned_data", None) or {}
            person, organisation = data.get("person"), data.get("organisation")
            if person is None or organisation is None:
                continue
            if (person.pk, organisation.pk) in seen:
                form.add_error(
                    "person",
                    ValidationError(
                        _("%(person)s is listed twice for %(organisation)s."),
                        params={"person": person, "organisation": organisation},
                        code="duplicate",
                    ),
                )
            seen.add((person.pk, organisation.pk))


class AgendaForm(RowForm):
    key_fields = ("topic", "new_topic")

    topic = forms.ModelChoiceField(
        Topic.objects.all(),
        label=_("Topic"),
        widget=PickerInput(reverse_lazy("meetings:topic_suggest")),
        required=False,
    )
    new_topic = forms.CharField(
        label=_("New topic"),
        max_length=Topic._meta.get_field("name").max_length,
        required=False,
    )
    notes = forms.CharField(label=_("Notes"), required=False)

    def clean(self):
        cleaned_data = super().clean()
        cleaned_data["new_topic"] = " ".join(cleaned_data.get("new_topic", "").split())
        return cleaned_data


class AgendaFormSet(RowFormSet):
    def clean(self):
        seen = set()
        for form in self.forms:
            data = getattr(form, "cleaned_data", None) or {}
            topic = data.get("topic")
            key = (
                topic.name.casefold() if topic else data.get("new_topic", "").casefold()
            )
            if not key:
                continue
            if key in seen:
                form.add_error(
                    "topic" if topic else "new_topic",
                    ValidationError(
                        _("This topic is already on the agenda."), code="duplicate"
                    ),
                )
            seen.add(key)


class FollowUpRowForm(RowForm):
    key_fields = ("action",)

    id = forms.IntegerField(widget=forms.HiddenInput, required=False)
    action = forms.CharField(
        label=pgettext_lazy("follow-up", "Action"),
        widget=forms.Textarea(attrs={"rows": 1}),
        required=False,
    )
    owner_organisation = forms.ModelChoiceField(
        Organisation.objects.all(),
        label=_("Owner organisation"),
        widget=organisation_picker(),
        required=False,
    )
    owner_person = forms.ModelChoiceField(
        Person.objects.all(),
        label=_("Owner person"),
        widget=PickerInput(reverse_lazy("people:suggest")),
        required=False,
    )
    due_on = forms.DateField(
        label=_("Due"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        required=False,
    )
    status = forms.ChoiceField(
        label=_("Status"), choices=FollowUp.Status.choices, initial=FollowUp.Status.OPEN
    )
    delete = forms.BooleanField(label=_("Remove"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        limit_dates(self)

    def has_changed(self):
        # A follow-up already recorded is a row even when its text is cleared:
        # the page then says the action is needed.
        return super().has_changed() or self["id"].data not in (None, "")

    def clean(self):
        cleaned_data = super().clean()
        recorded = cleaned_data.get("id") and not cleaned_data.get("delete")
        if recorded and not cleaned_data.get("action", "").strip():
            self.add_error(
                "action",
                ValidationError(
                    _("Say what was agreed, or tick “Remove”."), code="required"
                ),
            )
        return cleaned_data

    def picked(self):
        return bool(self.cleaned_data.get("action") or self.cleaned_data.get("id"))


class FollowUpFormSet(RowFormSet):
    def __init__(self, *args, meeting=None, **kwargs):
        self.meeting = meeting
        super().__init__(*args, **kwargs)

    def clean(self):
        known = set()
        if self.meeting is not None and self.meeting.pk is not None:
            known = set(self.meeting.follow_ups.values_list("pk", flat=True))
        for form in self.forms:
            pk = (getattr(form, "cleaned_data", None) or {}).get("id")
            if pk is not None and pk not in known:
                form.add_error(
                    "id",
                    ValidationError(
                        _("This follow-up is not one of this meeting's."),
                        code="invalid_choice",
                    ),
                )


def record_formsets(data=None, *, initial=None, meeting=None, extra=None):
    """The page's four formsets, bound to ``data`` or showing ``initial``
    ({prefix: [row, …]}); ``extra``: spare rows of each prefix."""
    initial = initial or {}
    extra = extra or {}
    classes = {
        "organisations": (AttendingOrganisationForm, AttendingOrganisationFormSet),
        "people": (AttendingPersonForm, AttendingPersonFormSet),
        "agenda": (AgendaForm, AgendaFormSet),
        "follow_ups": (FollowUpRowForm, FollowUpFormSet),
    }
    formsets = {}
    for prefix, (form, base) in classes.items():
        formset_class = forms.formset_factory(
            form, formset=base, extra=extra.get(prefix, 0)
        )
        kwargs = {"meeting": meeting} if prefix == "follow_ups" else {}
        formsets[prefix] = formset_class(
            data, initial=initial.get(prefix) or None, prefix=prefix, **kwargs
        )
    return formsets


def rows_state(rows):
    """A digest of a recorded meeting's attendance rows, agenda items and
    follow-ups, each ``(kind, id, version)``: it changes when any of them is
    added, changed or deleted, wherever that was done."""
    return hashlib.sha256(repr(sorted(rows)).encode()).hexdigest()


def recorded_rows_state(meeting):
    """``rows_state`` of the rows recorded now (one query)."""

    def rows(model, kind):
        return (
            model.objects.filter(meeting=meeting)
            .annotate(kind=Value(kind, output_field=CharField()))
            .values_list("kind", "pk", "version")
            .order_by()
        )

    return rows_state(
        rows(Attendance, "attendance").union(
            rows(AgendaItem, "agenda"), rows(FollowUp, "follow_up"), all=True
        )
    )


class MeetingRecordForm(VersionedModelForm):
    """The meeting itself on the recording page: the date, and the time if
    known (without it, the meeting is recorded by date alone, starting at
    local midnight); host and initiators by type-ahead."""

    day = forms.DateField(
        label=_("Date"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    time = forms.TimeField(
        label=_("Time"),
        required=False,
        help_text=_("Optional: leave it empty when only the date is known."),
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
    )
    initiators = forms.ModelMultipleChoiceField(
        Organisation.objects.all(),
        label=_("Initiated by"),
        required=False,
        widget=MultiplePickerInput(reverse_lazy("organisations:suggest")),
        help_text=_("Added to the attendance if not listed there."),
    )
    # The rows' state when the page was opened (``rows_state``): the
    # meeting's version moves only when the meeting itself is saved, not
    # when someone changes an attendance row or a follow-up in the admin.
    seen_rows = forms.CharField(widget=forms.HiddenInput, required=False)
    add_type = forms.ModelChoiceField(
        OrganisationType.objects.order_by("name"),
        label=_("Organisations of type"),
        to_field_name="slug",
        required=False,
        empty_label=_("Choose a type"),
    )

    class Meta:
        model = Meeting
        fields = [
            "title",
            "venue",
            "format",
            "status",
            "host",
            "initiators",
            "summary",
            "outcomes",
        ]
        widgets = {
            "host": organisation_picker(),
            "summary": forms.Textarea(attrs={"rows": 3}),
            "outcomes": forms.Textarea(attrs={"rows": 3}),
        }
        help_texts = {
            "host": _("Added to the attendance with the role host."),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        limit_dates(self)
        meeting = self.instance
        if meeting.pk is None:
            # Recording is mostly of meetings that took place.
            self.initial.setdefault("status", Meeting.Status.HELD)
        else:
            local = timezone.localtime(meeting.starts_at)
            self.initial.setdefault("day", local.date())
            if not meeting.date_only:
                self.initial.setdefault("time", local.time())
        for field in self.fields.values():
            widget = field.widget
            if isinstance(widget, forms.HiddenInput):
                continue
            css = "form-select" if isinstance(widget, forms.Select) else "form-control"
            widget.attrs.setdefault("class", css)

    def clean(self):
        cleaned_data = super().clean()
        day = cleaned_data.get("day")
        if day is not None:
            at = cleaned_data.get("time") or datetime.time.min
            starts_at = timezone.make_aware(datetime.datetime.combine(day, at))
            self.instance.starts_at = starts_at
            self.instance.date_only = cleaned_data.get("time") is None
            ends_at = self.instance.ends_at
            if ends_at is not None and ends_at <= starts_at:
                # The page has no end: an end the new start passed goes.
                self.instance.ends_at = None
        # The meeting's row is locked (VersionedModelForm.clean) until the
        # writes are done: nobody can change its rows between here and there.
        meeting = self.instance
        if meeting.pk is not None and cleaned_data.get(
            "seen_rows"
        ) != recorded_rows_state(meeting):
            raise ValidationError(
                _(
                    "Someone changed this meeting's attendance, agenda or "
                    "follow-ups after you opened this page. Nothing was saved: "
                    "open the meeting again to see their change, then make yours."
                ),
                code="rows_changed",
            )
        return cleaned_data


class FollowUpStatusForm(forms.Form):
    """A follow-up's status, from its row of the worklist, with the version
    the list showed (the change is refused if the row moved on since) and
    the list to go back to."""

    status = forms.ChoiceField(label=_("Status"), choices=FollowUp.Status)
    seen_version = forms.IntegerField(
        label=_("Version seen"), widget=forms.HiddenInput, min_value=1
    )
    next = forms.CharField(required=False, widget=forms.HiddenInput, max_length=2000)
