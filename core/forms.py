import datetime
import html

from django import forms
from django.core.exceptions import ValidationError
from django.db import connection
from django.forms.renderers import DjangoTemplates
from django.forms.utils import flatatt
from django.template import Context
from django.template.base import render_value_in_context
from django.template.defaultfilters import stringformat
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import SafeData, mark_safe
from django.utils.translation import gettext_lazy as _

# The context in which WidgetRenderer's templates written in Python render
# values: autoescaping, localisation and time zone as in any template.
_TEMPLATE_CONTEXT = Context()


def _escape(value):
    """``conditional_escape(value)``, quicker for a plain string."""
    return html.escape(value) if type(value) is str else conditional_escape(value)


def _text(value):
    """``{{ value }}`` in a template."""
    if type(value) is str:
        # The usual case, without the checks for lazy and safe strings.
        return html.escape(value)
    return render_value_in_context(value, _TEMPLATE_CONTEXT)


def _string(value):
    """``{{ value|stringformat:'s' }}`` in a template."""
    if type(value) is str:
        return html.escape(value)
    text = stringformat(value, "s")
    # As the template engine does after a filter marked is_safe.
    return _text(mark_safe(text) if isinstance(value, SafeData) else text)  # noqa: S308


def _attrs(attrs):
    """``django/forms/widgets/attrs.html``."""
    return "".join(
        f" {_text(name)}" if value is True else f' {_text(name)}="{_string(value)}"'
        for name, value in attrs.items()
        if value is not False
    )


def _input(widget):
    """``django/forms/widgets/input.html``."""
    value = "" if widget["value"] is None else f' value="{_string(widget["value"])}"'
    return (
        f'<input type="{_text(widget["type"])}" name="{_text(widget["name"])}"'
        f"{value}{_attrs(widget['attrs'])}>\n"
    )


def _input_option(widget):
    """``django/forms/widgets/input_option.html``: one checkbox or radio button
    of a multiple choice."""
    if not widget.get("wrap_label"):
        return _input(widget) + "\n"
    label_for = widget["attrs"].get("id")
    label_for = f' for="{_text(label_for)}"' if label_for else ""
    return f"<label{label_for}>{_input(widget)} {_text(widget['label'])}</label>\n"


SELECT_OPTION_TEMPLATE = "django/forms/widgets/select_option.html"


def _select(widget):
    """``django/forms/widgets/select.html``, its options ``select_option.html``."""
    parts = [f'<select name="{_text(widget["name"])}"{_attrs(widget["attrs"])}>']
    for group_name, options, _index in widget["optgroups"]:
        if group_name:
            parts.append(f'\n  <optgroup label="{_text(group_name)}">')
        parts.extend(
            f'\n  <option value="{_string(option["value"])}"'
            f"{_attrs(option['attrs'])}>{_text(option['label'])}</option>\n"
            for option in options
        )
        if group_name:
            parts.append("\n  </optgroup>")
    parts.append("\n</select>\n")
    return "".join(parts)


def _admin_date(widget):
    """The admin's ``admin/widgets/date.html``."""
    return f'<p class="date">\n  {_input(widget)}\n\n</p>\n'


# Django's templates that do no more than include input.html.
_INPUT_TEMPLATES = [
    "checkbox",
    "color",
    "date",
    "datetime",
    "email",
    "hidden",
    "input",
    "number",
    "password",
    "search",
    "tel",
    "text",
    "time",
    "url",
]


# Django's templates of an error list, each of which renders nothing for an
# empty list.
ERROR_LIST_TEMPLATES = {
    f"django/forms/errors/list/{name}.html" for name in ("default", "ul", "text")
}


class WidgetRenderer(DjangoTemplates):
    """Django's form renderer, with the templates of the common widgets
    written in Python.

    Django renders each widget through a template, its attributes through
    another (``attrs.html``) and each option of a select through a third:
    50 to 200 µs a widget. The admin's list of 50 editable follow-ups has 250
    widgets, which took more time than the rest of the page together.

    The templates below give the same output as Django's, character for
    character (tests/core/test_forms.py compares them). Any other
    template, a select whose options have a template of their own, and an
    error list with errors are rendered by Django's templates as usual.

    It is the project's ``FORM_RENDERER``: every form uses it, and Django
    keeps one instance (each renderer builds its own template engine).
    """

    templates_in_python = {
        **{f"django/forms/widgets/{name}.html": _input for name in _INPUT_TEMPLATES},
        "django/forms/widgets/checkbox_option.html": _input_option,
        "django/forms/widgets/input_option.html": _input_option,
        "django/forms/widgets/radio_option.html": _input_option,
        "django/forms/widgets/select.html": _select,
        "admin/widgets/date.html": _admin_date,
    }

    def render(self, template_name, context, request=None):
        if template_name in ERROR_LIST_TEMPLATES:
            # Every field of every row has an error list, nearly always empty
            # (the admin's inline rows write each as_ul: 90 an organisation's
            # change form).
            if not context.get("errors"):
                return ""
            return super().render(template_name, context, request)
        render = self.templates_in_python.get(template_name)
        widget = context.get("widget")
        if (
            render is None
            or widget is None
            or not self._option_templates_ours(render, widget)
        ):
            return super().render(template_name, context, request)
        # Django's renderer strips a template's output too.
        return render(widget).strip()

    @staticmethod
    def _option_templates_ours(render, widget):
        return render is not _select or all(
            option["template_name"] == SELECT_OPTION_TEMPLATE
            for _group, options, _index in widget["optgroups"]
            for option in options
        )


class PickerInput(forms.TextInput):
    """A text input holding the id of an organisation, person, meeting or topic.

    Without JavaScript it is a plain input for the id. With it,
    ``static/js/picker.js`` shows a search-as-you-type box over it that asks
    ``suggest_url`` for matches, so no page ever renders a ``<select>`` of a
    whole big table.
    """

    def __init__(self, suggest_url, attrs=None):
        self.suggest_url = suggest_url
        super().__init__(attrs)

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        context["widget"]["attrs"].update(
            {
                "data-picker": str(self.suggest_url),
                "data-placeholder": _("Type two letters to search"),
                "inputmode": "numeric",
                "autocomplete": "off",
            }
        )
        return context


class LongSelect(forms.Select):
    """A ``<select>`` of a long flat list (the 250 countries), its options
    written directly. Django renders each option through a template of its own:
    the country filter alone cost about 40 ms of every organisations page."""

    def render(self, name, value, attrs=None, renderer=None):
        # Widget's context, not Select's: no option dictionaries built.
        widget = forms.Widget.get_context(self, name, value, attrs)["widget"]
        chosen = set(widget["value"])
        # Not format_html_join: its checks for lazy and safe strings made up
        # most of the 2 ms the 250 options took.
        options = "".join(
            f'<option value="{_escape(key)}"{" selected" * (str(key) in chosen)}>'
            f"{_escape(label)}</option>"
            for key, label in self.choices
        )
        return format_html(
            '<select name="{}"{}>{}</select>',
            name,
            flatatt(widget["attrs"]),
            mark_safe(options),  # noqa: S308 - every part escaped above
        )


# The days a form takes, in a filter or a record. A day is compared with
# meetings' starts as the instant it begins in local time (Asia/Tashkent),
# then in UTC, and a meeting's start is stored in UTC: 1 January of year 1 is
# in year 0 in UTC and the day after 31 December 9999 in year 10000, which
# Python, SQLite and psycopg cannot hold (a 500, and on PostgreSQL a meeting
# saved on that day broke every list showing it). Within these years every
# day converts; outside them a date is a typo.
DATES = (datetime.date(1900, 1, 1), datetime.date(2999, 12, 31))
DATE_FIELDS = (forms.DateField, forms.DateTimeField, forms.SplitDateTimeField)


def validate_date_in_range(value):
    """``value``, a date or a date and time, is on a day of ``DATES``."""
    first, last = DATES
    day = value.date() if isinstance(value, datetime.datetime) else value
    if not first <= day <= last:
        raise ValidationError(
            _("Enter a date in the years %(first)s to %(last)s."),
            code="date_out_of_range",
            params={"first": first.year, "last": last.year},
        )


def limit_dates(form):
    """Each date and date-time field of ``form`` checks ``DATES``."""
    for field in form.fields.values():
        if isinstance(field, DATE_FIELDS):
            field.validators.append(validate_date_in_range)


class FilterForm(forms.Form):
    """The form of every list's filter: Bootstrap classes on the widgets,
    native date pickers (which send ISO dates, the format parsed first), and
    dates within ``DATES``."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        limit_dates(self)
        for field in self.fields.values():
            widget = field.widget
            if isinstance(widget, forms.CheckboxSelectMultiple):
                widget.attrs.setdefault("class", "form-check-input")
            elif isinstance(widget, forms.Select):
                widget.attrs.setdefault("class", "form-select")
            else:
                widget.attrs.setdefault("class", "form-control")
            if isinstance(widget, forms.DateInput):
                widget.input_type = "date"
                widget.format = "%Y-%m-%d"
                widget.attrs.setdefault("min", DATES[0].isoformat())
                widget.attrs.setdefault("max", DATES[1].isoformat())

    def full_clean(self):
        super().full_clean()
        for name in self.errors:
            if name in self.fields:
                widget = self.fields[name].widget
                widget.attrs["class"] = f"{widget.attrs.get('class', '')} is-invalid"


class DateRangeForm(FilterForm):
    """A filter form whose ``date_range_fields`` pairs (start, end) must be in
    order; the error names the end field."""

    date_range_fields: list[tuple[str, str]] = []

    def clean(self):
        cleaned_data = super().clean()
        for start, end in self.date_range_fields:
            if (
                cleaned_data.get(start)
                and cleaned_data.get(end)
                and cleaned_data[start] > cleaned_data[end]
            ):
                self.add_error(
                    end,
                    ValidationError(
                        _("Must be on or after the date in “%(start)s”."),
                        params={"start": self.fields[start].label},
                        code="date_range",
                    ),
                )
        return cleaned_data


class OptionalTimeField(forms.SplitDateTimeField):
    """The admin's date and time, the time optional: a date alone is that day's
    start (local midnight). Whether a date alone is allowed is the form's to
    say (``time_missing``): the field cannot see the other fields."""

    def __init__(self, **kwargs):
        super().__init__(require_all_fields=False, **kwargs)
        # Without all fields required, the date is still required by its own
        # field ("Enter a complete value."), the time by nobody.
        self.fields[1].required = False

    def compress(self, data_list):
        if data_list and data_list[1] in self.empty_values:
            data_list = [data_list[0], datetime.time.min]
        return super().compress(data_list)


def time_missing(bound_field):
    """Whether an ``OptionalTimeField`` was posted with a date and no time."""
    date, time = [*(bound_field.data or ()), "", ""][:2]
    return bool(date) and not time


class SuggestForm(forms.Form):
    """The query string of a picker's suggestions: ``q``, a search term, or
    ``id``, a record's. A CharField refuses a NUL character, which PostgreSQL
    cannot compare with text (a 500 otherwise)."""

    q = forms.CharField(required=False)
    id = forms.IntegerField(required=False)


class VersionedModelForm(forms.ModelForm):
    """A model form that refuses to save over someone else's newer save.

    It carries the row's ``version`` as it was when the form was opened. On
    submit the row is read again, locked for the rest of the transaction; if
    its version moved on, the save is refused with a message saying who saved
    it and when, and their change is kept. Otherwise the version goes up by one.
    Used by every admin form, inline row and editable changelist row.
    """

    seen_version = forms.IntegerField(
        label=_("Version seen"), widget=forms.HiddenInput, required=False
    )
    stale_message = _(
        "This form is out of date; reload the page and make your change again."
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk is not None:
            self.fields["seen_version"].initial = self.instance.version

    def clean(self):
        cleaned_data = super().clean()
        if self.instance.pk is None:
            return cleaned_data
        if cleaned_data.get("seen_version") is None:
            # Posted without the version it was opened at (or a mangled one):
            # a page from before versions, or not from this form at all.
            # Nothing says who changed what, so the message names nobody.
            self._errors.pop("seen_version", None)
            raise ValidationError(self.stale_message, code="stale_form")
        model = type(self.instance)
        rows = model._base_manager.filter(pk=self.instance.pk)
        if connection.in_atomic_block:
            rows = rows.select_for_update()
        current = rows.values_list("version", flat=True).first()
        if current is None:
            raise ValidationError(DELETED_MESSAGE, code="deleted")
        seen = cleaned_data.get("seen_version")
        if seen != current:
            raise ValidationError(self.conflict_message(), code="edit_conflict")
        self.instance.version = current + 1
        return cleaned_data

    def conflict_message(self):
        return conflict_message(self.instance)


DELETED_MESSAGE = _("Someone else deleted this record while you were editing it.")


def conflict_message(instance):
    """Who saved the row of ``instance`` last, and when, as a refusal of a
    change made from a page read before (one query, only on a conflict)."""
    last = instance.history.select_related("history_user").first()
    who = getattr(last, "history_user", None)
    when = timezone.localtime(last.history_date) if last else None
    message = _(
        "%(who)s saved this record at %(when)s, after you opened it. Your "
        "changes were not saved, so theirs are kept: open the record again "
        "to see them, then make your changes once more."
    )
    return message % {
        "who": (who.get_full_name() or who.get_username()) if who else _("Someone"),
        "when": date_format(when, "DATETIME_FORMAT") if when else _("a moment ago"),
    }
