"""The JavaScript catalogue is one file per language and version, which the
browser keeps instead of asking for it on every page (core.jsi18n)."""

import json
import re

import pytest
from django.conf import settings
from django.urls import reverse

from core.jsi18n import YEAR, version

pytestmark = pytest.mark.django_db

RUSSIAN = "Удалить: %(name)s"  # "Remove %(name)s" in locale/ru/.../djangojs.po


def in_russian(response):
    """The catalogue holds the Russian message (as its JSON writes it)."""
    return json.dumps(RUSSIAN) in response.content.decode()


def script_address(response):
    found = re.search(r'<script src="(/jsi18n/[^"]*)"', response.content.decode())
    return found.group(1)


def kept_for(response):
    """Seconds the browser may keep the answer (0: ask again)."""
    found = re.search(r"max-age=(\d+)", response.get("Cache-Control", ""))
    return int(found.group(1)) if found else 0


def test_a_page_loads_the_catalogue_of_its_language_and_version(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "ru"

    address = script_address(client.get(reverse("login")))

    assert address == f"/jsi18n/?l=ru&amp;v={version()}"


@pytest.mark.parametrize(
    "page",
    [
        # A change form (the date pickers' "Today", "Choose a time"...).
        lambda: reverse("admin:stakeholders_organisation_add"),
        # A changelist with actions ("0 of 2 selected").
        lambda: reverse("admin:stakeholders_organisation_changelist"),
    ],
    ids=["change form", "changelist"],
)
def test_the_admin_loads_the_same_catalogue_not_its_own(admin_client, page):
    """Django's admin asked for its own catalogue (/admin/jsi18n/, no
    caching) on every form and changelist; the one every page loads has its
    messages too."""
    admin_client.cookies[settings.LANGUAGE_COOKIE_NAME] = "ru"

    response = admin_client.get(page())

    assert response.status_code == 200
    html = response.content.decode()
    assert reverse("admin:jsi18n") not in html
    assert f'<script src="/jsi18n/?l=ru&amp;v={version()}">' in html
    catalogue = admin_client.get(reverse("jsi18n"), {"l": "ru", "v": version()})
    # Django's admin's own message, in Russian.
    assert json.dumps("Сейчас") in catalogue.content.decode()


def test_that_catalogue_is_kept_for_a_year_and_is_in_its_language(client):
    # Asked with an English cookie: the address's language wins, so that what
    # the browser keeps under it is always that language.
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en-gb"

    response = client.get(reverse("jsi18n"), {"l": "ru", "v": version()})

    assert response.status_code == 200
    assert in_russian(response)
    assert kept_for(response) == YEAR
    assert "immutable" in response["Cache-Control"]
    # By the browser only: the answer may set the session's cookie.
    assert "private" in response["Cache-Control"]
    assert "public" not in response["Cache-Control"]


@pytest.mark.parametrize(
    "query",
    [
        {},  # as the pages asked before
        {"l": "ru", "v": "0123456789ab"},  # a version of before a deployment
        {"l": "ru"},
        {"l": "xx", "v": "version"},  # no such language
        {"l": "ru\x00", "v": "' OR 1=1"},
    ],
)
def test_any_other_address_is_answered_but_not_kept(client, query):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "ru"

    response = client.get(reverse("jsi18n"), query)

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/javascript")
    assert in_russian(response)
    assert kept_for(response) == 0


def test_anyone_may_load_it_signed_in_or_not(client, admin_client):
    # The login page's scripts need it; it holds only the interface's words.
    address = reverse("jsi18n") + f"?l=uz&v={version()}"
    for someone in (client, admin_client):
        assert someone.get(address).status_code == 200


def test_the_version_changes_with_the_catalogues(settings):
    before = version()
    assert version() == before
    version.cache_clear()
    settings.LANGUAGES = [("ru", "Русский"), ("en-gb", "English")]
    try:
        assert version() != before
    finally:
        version.cache_clear()


def test_the_catalogue_costs_no_query_of_its_own(
    admin_client, django_assert_num_queries
):
    address = reverse("jsi18n") + f"?l=uz&v={version()}"
    admin_client.get(address)
    # The session and the user, which every signed-in request reads.
    with django_assert_num_queries(2):
        assert admin_client.get(address).status_code == 200
