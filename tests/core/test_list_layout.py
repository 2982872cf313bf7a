"""The frame of every filtered list on a phone: the filter folded under a
button that says how many of its fields are in use, so that the results come
first; unfolded when the filter has an error to show."""

import re

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db

LISTS = ["organisations:list", "people:list", "meetings:list"]


def filter_button(response):
    html = response.content.decode()
    button = re.search(
        r'<button[^>]*data-bs-target="#list-filter".*?</button>', html, re.S
    )
    assert button, "no button unfolds the filter"
    return " ".join(re.sub(r"<[^>]+>", " ", button.group(0)).split())


def folded(response):
    html = response.content.decode()
    panel = re.search(r'<div class="([^"]*)" id="list-filter">', html)
    return "show" not in panel.group(1).split()


@pytest.mark.parametrize("name", LISTS)
def test_without_a_filter_the_button_says_filter_and_the_form_is_folded(
    user_client, name
):
    response = user_client.get(reverse(name))

    assert filter_button(response) == "Filter"
    assert folded(response)


def test_the_button_counts_the_fields_in_use_not_the_sort_nor_empty_ones(
    user_client,
):
    response = user_client.get(
        reverse("organisations:list"),
        {"q": "health", "type": ["ministry", "donor"], "country": "", "sort": "name"},
    )

    assert response.status_code == 200
    assert response.context["active_filters"] == 2
    assert filter_button(response) == "Filter · 2 in use"
    assert folded(response)


def test_a_filter_with_an_error_is_shown_unfolded(user_client):
    response = user_client.get(reverse("meetings:list"), {"after": "29.13.2025"})

    assert response.status_code == 400
    assert not folded(response)


def test_the_attendance_matrix_folds_the_same_filter_and_the_view_is_no_filter(
    user_client,
):
    response = user_client.get(
        reverse("attendance:list"), {"view": "pivot", "role": "host"}
    )

    assert response.status_code == 200
    assert filter_button(response) == "Filter · 1 in use"
    assert folded(response)
