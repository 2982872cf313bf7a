"""No filter on any list offers Django's "---------": an empty choice says
what choosing nothing means ("Any country", "Met or not"), in the page's
language."""

import re

import pytest

pytestmark = pytest.mark.django_db

LISTS = [
    "/organisations/",
    "/people/",
    "/meetings/",
    "/follow-ups/",
    "/attendance/",
    "/map/",
]


@pytest.mark.parametrize("path", LISTS)
def test_no_filter_offers_dashes(admin_client, path):
    page = admin_client.get(path).content.decode()

    assert "---------" not in page


@pytest.mark.parametrize(
    ("path", "field", "english", "russian"),
    [
        ("/organisations/", "country", "Any country", "Любая страна"),
        ("/attendance/", "country", "Any country", "Любая страна"),
        ("/attendance/", "role", "Any role", "Любая роль"),
        ("/attendance/", "status", "Any status", "Любой статус"),
    ],
)
def test_an_empty_choice_says_what_it_means(
    admin_client, path, field, english, russian
):
    def empty_option(language):
        admin_client.cookies["django_language"] = language
        page = admin_client.get(path).content.decode()
        select = re.search(rf'<select name="{field}".*?</select>', page, re.S)
        return re.search(r'<option value=""[^>]*>([^<]*)</option>', select.group(0))[1]

    assert empty_option("en-gb") == english
    assert empty_option("ru") == russian
