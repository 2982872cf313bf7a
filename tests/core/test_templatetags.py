"""pk_url: the link of each row of a list, as ``{% url %}`` writes it; country_name:
what ``country.name`` writes."""

import datetime

import pytest
from django import forms
from django.http import QueryDict
from django.template import engines
from django.urls import clear_script_prefix, reverse, set_script_prefix
from django.utils import translation
from django_countries import countries
from django_countries.fields import Country

from core.templatetags import list_links

ROWS = (
    "{% load list_links %}"
    "{% for pk in keys %}{% pk_url view pk %} {% url view pk %}|{% endfor %}"
)


def render(view, keys):
    rendered = engines["django"].from_string(ROWS).render({"view": view, "keys": keys})
    return [row.split(" ") for row in rendered.split("|")[:-1]]


@pytest.mark.parametrize(
    "view", ["organisations:detail", "people:detail", "meetings:ics"]
)
def test_it_writes_the_url_that_reverse_does(view):
    keys = [1, 7, 10, 987_654, 2**40]

    rows = render(view, keys)

    assert [ours for ours, _url_tag in rows] == [reverse(view, args=[k]) for k in keys]
    assert all(ours == url_tag for ours, url_tag in rows)


def test_it_keeps_the_script_prefix_even_when_it_has_the_placeholders_digits(
    monkeypatch,
):
    monkeypatch.setattr(list_links, "KEY_PLACEHOLDER", 1)
    set_script_prefix("/hamkor1/")
    try:
        rows = render("organisations:detail", [1, 21])
    finally:
        clear_script_prefix()

    assert [ours for ours, _url_tag in rows] == [
        "/hamkor1/organisations/1/",
        "/hamkor1/organisations/21/",
    ]


def test_a_key_that_is_not_a_number_is_an_error():
    with pytest.raises(ValueError, match="invalid literal for int"):
        render("organisations:detail", ["1/../../admin"])


def test_country_name_writes_what_country_name_does_in_each_language():
    source = "{% load country_names %}{{ country|country_name }}|{{ country.name }}"
    template = engines["django"].from_string(source)
    for language in ("en-gb", "ru", "en-gb"):
        with translation.override(language):
            for code in [*(code for code, _name in countries), ""]:
                country = Country(code)
                ours, theirs = template.render({"country": country}).split("|")
                assert ours == theirs
    with translation.override("ru"):
        assert template.render({"country": Country("DE")}).split("|")[0] != "Germany"


@pytest.mark.parametrize(
    "value",
    [
        datetime.date(2025, 1, 29),
        # 21:30 in UTC is the next day in Tashkent, in the current time zone.
        datetime.datetime(2025, 1, 28, 21, 30, tzinfo=datetime.UTC),
        datetime.datetime(2025, 1, 28, 12, 0, tzinfo=datetime.UTC),
        None,
        "",
    ],
)
def test_day_writes_what_the_date_filter_does_in_each_language(value):
    source = '{% load local_dates %}{{ value|day }}|{{ value|date:"DATE_FORMAT" }}'
    template = engines["django"].from_string(source)
    for language in ("en-gb", "ru", "en-gb"):
        with translation.override(language):
            ours, theirs = template.render({"value": value}).split("|")
            assert ours == theirs


# _partials/form_fields.html, which the form_fields tag replaced.
FORM_FIELDS_TEMPLATE = """{% comment %}Every visible field of `form`, labelled, with its help text and errors.{% endcomment %}
{% if form.non_field_errors %}
  <div class="alert alert-danger" role="alert">{{ form.non_field_errors|join:" " }}</div>
{% endif %}
{% for field in form.visible_fields %}
  <div class="mb-3">
    {% if field.widget_type == "checkboxselectmultiple" %}
      <fieldset>
        <legend class="form-label fs-6">{{ field.label }}</legend>
        <div class="filter-types">
        {% for choice in field %}
          <div class="form-check">
            {{ choice.tag }}
            <label class="form-check-label" for="{{ choice.id_for_label }}">{{ choice.choice_label }}</label>
          </div>
        {% endfor %}
        </div>
      </fieldset>
    {% else %}
      <label class="form-label" for="{{ field.id_for_label }}">{{ field.label }}</label>
      {{ field }}
    {% endif %}
    {% if field.help_text %}<div class="form-text" id="{{ field.auto_id }}_helptext">{{ field.help_text }}</div>{% endif %}
    {% for error in field.errors %}
      <div class="invalid-feedback d-block" id="{{ field.auto_id }}_error">{{ field.label }}: {{ error }}</div>
    {% endfor %}
  </div>
{% endfor %}
"""  # noqa: E501


class CheckedForm(forms.Form):
    name = forms.CharField(label="Name <first>", help_text="As in the <passport>")
    kinds = forms.MultipleChoiceField(
        label="Kinds",
        choices=[("a", "A & B"), ("b", "<b>")],
        widget=forms.CheckboxSelectMultiple,
        help_text=translation.gettext_lazy("Any number"),
    )
    since = forms.DateField(required=False)
    secret = forms.CharField(widget=forms.HiddenInput, required=False)

    def clean(self):
        raise forms.ValidationError(["One <thing> wrong", "and another"])


@pytest.mark.parametrize(
    "data",
    [None, {"name": "x", "kinds": ["b"]}, {"name": "", "kinds": ["z"], "since": "x"}],
)
def test_form_fields_writes_what_its_template_did(data):
    engine = engines["django"]
    form = CheckedForm(data)

    ours = engine.from_string("{% load form_fields %}{% form_fields form %}").render(
        {"form": form}
    )
    theirs = engine.from_string(FORM_FIELDS_TEMPLATE).render({"form": form})

    assert ours == theirs
    assert ("One &lt;thing&gt; wrong and another" in ours) == (data is not None)


@pytest.mark.django_db
def test_form_fields_writes_a_list_filter_form_as_its_template_did():
    from stakeholders.filters import OrganisationFilter
    from stakeholders.models import Organisation

    engine = engines["django"]
    data = QueryDict(
        "type=donor&type=nothing&attended_after=2025-02-01&attended_before=2025-01-01"
    )
    form = OrganisationFilter(data, queryset=Organisation.objects.none()).form
    form.is_valid()

    ours = engine.from_string("{% load form_fields %}{% form_fields form %}").render(
        {"form": form}
    )
    theirs = engine.from_string(FORM_FIELDS_TEMPLATE).render({"form": form})

    assert ours == theirs
    assert "invalid-feedback" in ours
