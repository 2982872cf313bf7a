"""pk_url: the link of each row of a list, as ``{% url %}`` writes it; country_name:
what ``country.name`` writes."""

import datetime

import pytest
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
