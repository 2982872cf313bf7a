"""The filter forms' own widgets, and the form renderer that writes Django's
widget templates in Python."""

import datetime
from unittest import mock

import pytest
from django import forms
from django.contrib.admin.widgets import AdminDateWidget
from django.forms.renderers import DjangoTemplates
from django.forms.utils import ErrorList
from django.test.html import parse_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy
from django_countries import countries

from core.forms import LongSelect, PickerInput, WidgetRenderer
from stakeholders.filters import OrganisationFilter

CHOICES = [("", "Any country"), *countries]


@pytest.mark.parametrize("value", [None, "", "UZ", ["UZ"], "XX"])
def test_a_long_select_renders_as_djangos_select(value):
    attrs = {"id": "id_country", "class": "form-select is-invalid"}

    ours = LongSelect(choices=CHOICES).render("country", value, attrs)
    django = forms.Select(choices=CHOICES).render("country", value, attrs)

    assert parse_html(ours) == parse_html(django)


def test_a_long_select_escapes_its_labels_and_values():
    choices = [('"><script>', "<b>Bold</b> & co")]

    html = LongSelect(choices=choices).render("x", '"><script>')

    assert "<script>" not in html
    assert "&lt;b&gt;Bold&lt;/b&gt; &amp; co" in html
    assert "selected" in html


# WidgetRenderer: Django's widget templates, written in Python.

WIDGET_RENDERER = WidgetRenderer()
DJANGO_RENDERER = DjangoTemplates()

AWKWARD_VALUES = [
    None,
    "",
    "plain",
    0,
    12,
    2.5,
    True,
    datetime.date(2025, 1, 29),
    '"><script>alert(1)</script>',
    "O'Brien & <co>",
    mark_safe("<b>already safe</b>"),
    gettext_lazy("Position"),
    ("a", "tuple"),
]
AWKWARD_ATTRS = {
    "id": "id_field",
    "class": "form-control is-invalid",
    "required": True,
    "disabled": False,
    "aria-describedby": "id_field_helptext id_field_error",
    "data-label": '"quoted" <tag> & co',
    "data-safe": mark_safe("<i>safe</i>"),
    "data-lazy": gettext_lazy("Type"),
    "data-none": None,
    "maxlength": 255,
}
SELECT_CHOICES = [
    ("", "---------"),
    ("open", gettext_lazy("Open")),
    (1, "One"),
    ('"><x>', "<b>Bold</b> & co"),
    ("Group", [("a", "A"), ("b", mark_safe("<i>B</i>"))]),
]


def both(widget, name, value, attrs=None):
    return (
        widget.render(name, value, attrs, renderer=WIDGET_RENDERER),
        widget.render(name, value, attrs, renderer=DJANGO_RENDERER),
    )


@pytest.mark.parametrize(
    "widget",
    [
        forms.TextInput(),
        forms.HiddenInput(),
        forms.NumberInput(),
        forms.EmailInput(),
        forms.URLInput(),
        forms.PasswordInput(render_value=True),
        forms.SearchInput(),
        forms.TelInput(),
        forms.ColorInput(),
        forms.DateInput(),
        forms.DateTimeInput(),
        forms.TimeInput(),
        forms.CheckboxInput(),
        AdminDateWidget(),
        PickerInput("/organisations/suggest/"),
    ],
    ids=lambda widget: type(widget).__name__,
)
@pytest.mark.parametrize("value", AWKWARD_VALUES, ids=repr)
def test_an_input_renders_exactly_as_djangos_template_does(widget, value):
    ours, django = both(widget, "field", value, AWKWARD_ATTRS)

    assert ours == django


@pytest.mark.parametrize(
    "widget",
    [
        forms.Select(choices=SELECT_CHOICES),
        forms.SelectMultiple(choices=SELECT_CHOICES),
        forms.Select(choices=[(True, "Yes"), (False, "No"), (None, "Unknown")]),
        forms.Select(choices=[]),
    ],
    ids=lambda widget: type(widget).__name__,
)
@pytest.mark.parametrize(
    "value", [None, "", "open", 1, "1", ["open", "b"], '"><x>', True], ids=repr
)
def test_a_select_renders_exactly_as_djangos_template_does(widget, value):
    ours, django = both(widget, "field", value, AWKWARD_ATTRS)

    assert ours == django


@pytest.mark.parametrize(
    "widget",
    [
        forms.CheckboxSelectMultiple(choices=SELECT_CHOICES),
        forms.RadioSelect(choices=SELECT_CHOICES),
    ],
    ids=lambda widget: type(widget).__name__,
)
def test_the_options_of_a_multiple_choice_render_exactly_as_djangos_do(widget):
    class Form(forms.Form):
        field = forms.MultipleChoiceField(choices=SELECT_CHOICES, widget=widget)

    ours = Form({"field": ["open"]}, renderer=WIDGET_RENDERER)["field"]
    django = Form({"field": ["open"]}, renderer=DJANGO_RENDERER)["field"]

    # One at a time, as the filter forms write them, and whole.
    assert [choice.tag() for choice in ours] == [choice.tag() for choice in django]
    assert [str(choice) for choice in ours] == [str(choice) for choice in django]
    assert str(ours) == str(django)


def test_a_select_whose_options_have_their_own_template_is_left_to_django():
    class Marked(forms.Select):
        option_template_name = "admin/widgets/foreign_key_raw_id.html"

    widget = Marked(choices=[("a", "A")])
    with mock.patch.object(
        DjangoTemplates, "render", autospec=True, return_value="by Django"
    ) as django:
        html = widget.render("field", "a", renderer=WIDGET_RENDERER)

    assert html == "by Django"
    assert django.call_args.args[1] == "django/forms/widgets/select.html"


def test_a_whole_form_with_errors_renders_exactly_as_with_djangos_templates():
    class Form(forms.Form):
        name = forms.CharField(help_text="Help <here>")
        count = forms.IntegerField(min_value=1)
        day = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))
        status = forms.ChoiceField(choices=SELECT_CHOICES[:3])
        agreed = forms.BooleanField()
        notes = forms.CharField(widget=forms.Textarea, required=False)
        kinds = forms.MultipleChoiceField(
            choices=SELECT_CHOICES[:3], widget=forms.CheckboxSelectMultiple
        )
        secret = forms.CharField(widget=forms.HiddenInput)

    data = {"name": "<script>", "count": "0", "day": "soon", "status": "nope"}
    ours = Form(data, renderer=WIDGET_RENDERER)
    django = Form(data, renderer=DJANGO_RENDERER)

    assert ours.errors
    assert str(ours) == str(django)
    assert str(ours["count"].errors) == str(django["count"].errors) != ""
    assert str(ours.non_field_errors()) == str(django.non_field_errors()) == ""


@pytest.mark.parametrize("as_", ["__str__", "as_ul", "as_text"])
def test_an_error_list_renders_as_with_djangos_templates(as_):
    assert getattr(ErrorList(renderer=WIDGET_RENDERER), as_)() == ""
    assert getattr(ErrorList(renderer=DJANGO_RENDERER), as_)() == ""
    for errors in (["<Wrong>"], ["One", "Two & three"]):
        assert (
            getattr(ErrorList(errors, renderer=WIDGET_RENDERER), as_)()
            == getattr(ErrorList(errors, renderer=DJANGO_RENDERER), as_)()
        )


def test_an_empty_error_list_renders_as_nothing():
    assert str(ErrorList(renderer=WIDGET_RENDERER)) == ""
    assert str(ErrorList(["<Wrong>"], renderer=WIDGET_RENDERER)) == str(
        ErrorList(["<Wrong>"], renderer=DJANGO_RENDERER)
    )


def test_a_template_not_written_in_python_is_rendered_by_django():
    ours, django = both(forms.Textarea(), "notes", "<b>text</b>", AWKWARD_ATTRS)

    assert ours == django
    assert "&lt;b&gt;text&lt;/b&gt;" in ours


def test_the_filter_forms_use_the_widget_renderer():
    assert isinstance(OrganisationFilter().form.renderer, WidgetRenderer)
