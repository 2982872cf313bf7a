"""/accounts/session/: whether the page's session is still signed in, which
static/js/session.js asks while someone types and before it posts a form
(tests/browser/test_session_keep.py drives the script itself)."""

import pytest
from django.conf import settings
from django.middleware.csrf import CSRF_TOKEN_LENGTH
from django.test import Client
from django.utils import timezone

from accounts.middleware import LAST_SEEN

from .test_security import idle_limit_seconds, last_seen_ago

pytestmark = pytest.mark.django_db

URL = "/accounts/session/"


def test_a_signed_in_page_learns_so_with_a_token_to_post_with(user_client):
    response = user_client.get(URL)

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert "no-store" in response["Cache-Control"]
    found = response.json()
    assert found["signed_in"] is True
    assert len(found["csrf_token"]) == CSRF_TOKEN_LENGTH


def test_a_signed_out_page_learns_so_instead_of_being_sent_to_log_in(client):
    response = client.get(URL)

    assert response.status_code == 200
    assert response.json() == {"signed_in": False, "csrf_token": None}


def test_a_session_idle_past_the_limit_is_told_it_is_signed_out(user_client):
    last_seen_ago(user_client, idle_limit_seconds() + 1)

    assert user_client.get(URL).json()["signed_in"] is False
    # Signed out for good: the next page asks to log in.
    assert user_client.get("/meetings/").status_code == 302


def test_asking_is_activity_that_keeps_the_session(user_client):
    """The script asks only while someone types or clicks: that is the
    activity the idle limit is about."""
    last_seen_ago(user_client, settings.SESSION_IDLE_MINUTES * 60 - 5)
    before = timezone.now().timestamp()

    assert user_client.get(URL).json()["signed_in"] is True
    assert user_client.session[LAST_SEEN] >= before


def test_the_token_it_gives_is_accepted_by_a_form(viewer):
    """After signing in again in another tab, the page's old token is stale
    (logging in rotates it): the script posts with this one."""
    checked = Client(enforce_csrf_checks=True)
    checked.force_login(viewer)
    token = checked.get(URL).json()["csrf_token"]

    refused = checked.post("/accounts/language/", {"language": "ru", "next": "/"})
    accepted = checked.post(
        "/accounts/language/",
        {"language": "ru", "next": "/", "csrfmiddlewaretoken": token},
    )

    assert refused.status_code == 403
    assert accepted.status_code == 302


@pytest.mark.parametrize("method", ["post", "put", "delete"])
def test_only_get_is_answered(user_client, method):
    assert getattr(user_client, method)(URL).status_code == 405


def test_it_reads_the_session_and_the_user_and_nothing_else(
    user_client, django_assert_num_queries
):
    user_client.get(URL)
    with django_assert_num_queries(2):
        user_client.get(URL)


def test_signed_in_pages_say_where_to_ask_and_the_login_page_does_not(
    user_client, admin_client
):
    meta = '<meta name="hamkor-session" data-url="/accounts/session/"'
    page = user_client.get("/meetings/").content.decode()
    assert meta in page
    assert 'data-idle-seconds="1800"' in page
    assert '/static/js/session.js"' in page
    admin_page = admin_client.get("/admin/").content.decode()
    assert meta in admin_page
    assert 'js/session.js" defer' in admin_page
    assert meta not in Client().get("/accounts/login/").content.decode()
