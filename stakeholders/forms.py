from django import forms
from django.core.exceptions import ValidationError
from django.db import connection
from django.forms.utils import flatatt
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _


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
        options = format_html_join(
            "",
            '<option value="{}"{}>{}</option>',
            (
                (key, " selected" if str(key) in chosen else "", label)
                for key, label in self.choices
            ),
        )
        return format_html(
            '<select name="{}"{}>{}</select>', name, flatatt(widget["attrs"]), options
        )


class FilterForm(forms.Form):
    """The form of every list's filter: Bootstrap classes on the widgets and
    native date pickers (which send ISO dates, the format parsed first)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
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


class VersionedModelForm(forms.ModelForm):
    """A model form that refuses to save over someone else's newer save.

    It carries the row's ``version`` as it was when the form was opened. On
    submit the row is read again, locked for the rest of the transaction; if
    its version moved on, the save is refused with a message saying who saved
    it and when, and their change is kept. Otherwise the version goes up by one.
    Used by every admin form, inline row and editable changelist row.
    """

    seen_version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk is not None:
            self.fields["seen_version"].initial = self.instance.version

    def clean(self):
        cleaned_data = super().clean()
        if self.instance.pk is None:
            return cleaned_data
        model = type(self.instance)
        rows = model._base_manager.filter(pk=self.instance.pk)
        if connection.in_atomic_block:
            rows = rows.select_for_update()
        current = rows.values_list("version", flat=True).first()
        if current is None:
            raise ValidationError(
                _("Someone else deleted this record while you were editing it."),
                code="deleted",
            )
        seen = cleaned_data.get("seen_version")
        if seen != current:
            raise ValidationError(self.conflict_message(), code="edit_conflict")
        self.instance.version = current + 1
        return cleaned_data

    def conflict_message(self):
        """Who saved the row last, and when (one query, only on a conflict)."""
        last = self.instance.history.select_related("history_user").first()
        who = getattr(last, "history_user", None)
        when = timezone.localtime(last.history_date) if last else None
        message = _(
            "%(who)s saved this record at %(when)s, after you opened it. Your "
            "changes were not saved, so theirs are kept: open the record again "
            "to see them, then make your changes once more."
        )
        return message % {
            "who": (who.get_full_name() or who.get_username()) if who else _("Someone"),
            "when": date_format(when, "j M Y, H:i") if when else _("a moment ago"),
        }
