"""The filter forms' own widgets."""

import pytest
from django import forms
from django.test.html import parse_html
from django_countries import countries

from stakeholders.forms import LongSelect

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
