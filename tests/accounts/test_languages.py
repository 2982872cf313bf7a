"""Choosing the interface language (issue 12): the browser's Accept-Language on
a first visit, a switch on every page and the login page, the choice kept on
the user (it follows them to another browser) and in a cookie; no language in
any URL."""

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from accounts.models import Preferences

pytestmark = pytest.mark.django_db

LOGIN = "/accounts/login/"


def html_lang(response):
    return response.content.decode().split('<html lang="', 1)[1].split('"', 1)[0]


def test_a_first_visit_speaks_the_browsers_language(client):
    response = client.get(LOGIN, headers={"accept-language": "ru-RU,ru;q=0.9,en;q=0.5"})

    assert html_lang(response) == "ru"
    assert response.headers["Content-Language"] == "ru"


def test_a_browser_asking_for_a_language_hamkor_lacks_gets_british_english(client):
    response = client.get(LOGIN, headers={"accept-language": "de-DE,de;q=0.9"})

    assert html_lang(response) == "en-gb"


@pytest.mark.parametrize("current", ["uz", "ru", "en-gb"])
def test_the_login_page_offers_each_language_named_in_itself(client, current):
    page = client.get(LOGIN, headers={"accept-language": current}).content.decode()

    assert f'action="{reverse("language")}"' in page
    for code, name in settings.LANGUAGES:
        assert f'value="{code}" lang="{code}"' in page
        assert f">{name}</button>" in page


def test_choosing_a_language_before_signing_in_keeps_it_in_a_cookie(client):
    response = client.post(reverse("language"), {"language": "uz", "next": LOGIN})

    assert response.status_code == 302
    assert response.url == LOGIN
    cookie = response.cookies[settings.LANGUAGE_COOKIE_NAME]
    assert cookie.value == "uz"
    assert cookie["httponly"]
    assert cookie["samesite"] == "Lax"
    assert html_lang(client.get(LOGIN)) == "uz"


def test_a_users_choice_follows_them_to_another_browser(client, viewer):
    client.force_login(viewer)
    client.post(reverse("language"), {"language": "ru", "next": "/"})
    assert Preferences.objects.get(user=viewer).language == "ru"

    other_browser = Client()
    signed_in = other_browser.post(
        LOGIN, {"username": "viewer", "password": "a-long-test-password"}
    )

    assert signed_in.status_code == 302
    assert signed_in.cookies[settings.LANGUAGE_COOKIE_NAME].value == "ru"
    # Before the browser's own language.
    home = other_browser.get("/", headers={"accept-language": "en"})
    assert html_lang(home) == "ru"


def test_the_users_choice_comes_before_an_older_cookie(client, viewer):
    Preferences.objects.create(user=viewer, language="uz")
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "ru"

    client.post(LOGIN, {"username": "viewer", "password": "a-long-test-password"})

    assert html_lang(client.get("/")) == "uz"


def test_an_unknown_language_changes_nothing(client, viewer):
    client.force_login(viewer)

    response = client.post(reverse("language"), {"language": "xx", "next": "/"})

    assert response.status_code == 302
    assert settings.LANGUAGE_COOKIE_NAME not in response.cookies
    assert not Preferences.objects.exists()
    assert html_lang(client.get("/")) == "en-gb"


def test_the_switch_never_sends_anyone_to_another_site(client):
    response = client.post(
        reverse("language"), {"language": "uz", "next": "https://evil.example/"}
    )

    assert response.status_code == 302
    assert not response.url.startswith("https://evil.example")


@pytest.mark.parametrize(
    ("params", "headers", "where"),
    [
        ({"language": "uz"}, {}, "/"),
        ({"language": "uz", "next": "/people/"}, {}, "/people/"),
        ({"next": "https://evil.example/"}, {}, "/"),
        (
            {},
            {"HTTP_REFERER": "http://testserver/meetings/"},
            "http://testserver/meetings/",
        ),
    ],
)
def test_the_switch_changes_nothing_on_a_get_and_goes_back(
    client, viewer, params, headers, where
):
    client.force_login(viewer)

    response = client.get(reverse("language"), params, **headers)

    assert response.status_code == 302
    assert response.url == where
    assert settings.LANGUAGE_COOKIE_NAME not in response.cookies
    assert not Preferences.objects.exists()
    assert html_lang(client.get("/")) == "en-gb"


def test_the_switch_refuses_other_methods(client):
    assert client.put(reverse("language"), {"language": "uz"}).status_code == 405


def test_a_chosen_language_costs_no_query_on_a_page(client, viewer, capture_queries):
    client.force_login(viewer)
    client.get("/")  # the content types and the session, cached
    with capture_queries() as before:
        client.get("/")
    client.post(reverse("language"), {"language": "ru", "next": "/"})

    with capture_queries() as after:
        page = client.get("/")

    assert html_lang(page) == "ru"
    assert len(after) == len(before)


def test_every_page_has_the_switch_for_a_signed_in_user(client, viewer):
    client.force_login(viewer)

    page = client.get(reverse("organisations:list")).content.decode()

    assert f'action="{reverse("language")}"' in page
    assert 'aria-current="true">English</button>' in page
