"""API tokens (api/): a token sent as ``Authorization: Bearer`` acts as its
user on the API until it is revoked or its user deactivated, is counted
against a rate of its own, and records its last use at most hourly;
administrators read anyone's tokens in the admin and revoke one by deleting
it; editors see none.

The API's root (/api/v1/, the router's list of endpoints) stands for every
endpoint: it answers any logged-in user."""

import datetime

import pytest
from django.core.cache import cache
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from api.models import ApiToken
from api.throttling import TokenRateThrottle

pytestmark = pytest.mark.django_db

API = reverse("api:api-root")
CHANGELIST = reverse("admin:api_apitoken_changelist")


@pytest.fixture(autouse=True)
def _no_counted_requests():
    """The rate's counts live in the process's cache: none from an earlier
    test (whose user or token may have had the same id)."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def client_of(django_user_model, role):
    """A client logged in as a new user holding ``role_name``'s group."""

    def make(role_name):
        user = django_user_model.objects.create_user(username=f"{role_name}-user")
        user.groups.add(role(role_name))
        client = Client()
        client.force_login(user)
        return client

    return make


@pytest.fixture
def made(viewer):
    """A viewer's token: ``(api_token, token)``."""
    return ApiToken.objects.create_token(user=viewer, name="Ministry dashboard")


@pytest.fixture
def api_token(made):
    return made[0]


def script(token, scheme="Bearer"):
    """An API client that sends ``token``, as a script would (no session)."""
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"{scheme} {token}")
    return client


# Authentication ---------------------------------------------------------------


@pytest.mark.parametrize("scheme", ["Bearer", "Token", "bearer"])
def test_a_token_acts_as_its_user_on_the_api(made, scheme):
    api_token, token = made

    response = script(token, scheme).get(API)

    assert response.status_code == 200
    assert response.wsgi_request.user == api_token.user
    assert response.wsgi_request.auth == api_token


def test_the_token_is_shown_as_made_and_only_its_hash_is_kept(made):
    api_token, token = made

    assert token.startswith("hamkor_")
    assert len(token) == len("hamkor_") + 43  # 32 random bytes, URL-safe
    assert token.startswith(api_token.prefix)
    assert len(api_token.prefix) == len("hamkor_") + 8
    assert token not in api_token.token_hash
    assert len(api_token.token_hash) == 64


def test_without_a_token_the_api_asks_for_one_with_401():
    response = APIClient().get(API)

    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'Bearer realm="api"'


def test_a_wrong_token_is_refused_with_401(made):
    response = script(made[1] + "x").get(API)

    assert response.status_code == 401
    assert response.json() == {"detail": "Unknown or revoked token."}
    assert response["WWW-Authenticate"] == 'Bearer realm="api"'


def test_a_revoked_token_is_refused_with_401(made):
    api_token, token = made
    client = script(token)
    assert client.get(API).status_code == 200

    api_token.delete()

    response = client.get(API)
    assert response.status_code == 401
    assert response.json() == {"detail": "Unknown or revoked token."}


def test_a_deactivated_users_token_is_refused_with_401(made, viewer):
    viewer.is_active = False
    viewer.save()

    response = script(made[1]).get(API)

    assert response.status_code == 401
    assert response.json() == {"detail": "This token's user is deactivated."}


@pytest.mark.parametrize("header", ["Bearer", "Bearer two words", "Bearer hé"])
def test_a_malformed_authorization_header_is_refused_with_401(header):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=header)

    assert client.get(API).status_code == 401


def test_a_token_wins_over_the_session_it_comes_with(made, viewer, superuser):
    client = APIClient()
    client.force_login(superuser)
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {made[1]}")

    assert client.get(API).wsgi_request.user == viewer


def test_a_token_request_needs_no_csrf_token_and_a_session_one_does(made, viewer):
    by_token = APIClient(enforce_csrf_checks=True)
    by_token.credentials(HTTP_AUTHORIZATION=f"Bearer {made[1]}")
    by_session = APIClient(enforce_csrf_checks=True)
    by_session.force_login(viewer)

    # The root reads only: a POST that gets past authentication is a 405.
    assert by_token.post(API).status_code == 405
    assert by_session.post(API).status_code == 403


def test_the_last_use_is_written_at_most_hourly(made, django_assert_num_queries):
    api_token, token = made
    client = script(token)
    assert api_token.last_used_at is None

    # The token with its user, then the UPDATE of its last use.
    with django_assert_num_queries(2):
        client.get(API)
    api_token.refresh_from_db()
    first = api_token.last_used_at
    assert first is not None

    # Within the hour: the token alone, no write.
    with django_assert_num_queries(1):
        client.get(API)
    api_token.refresh_from_db()
    assert api_token.last_used_at == first

    # Over an hour since: written again.
    an_hour_ago = timezone.now() - datetime.timedelta(hours=1, minutes=1)
    ApiToken.objects.filter(pk=api_token.pk).update(last_used_at=an_hour_ago)
    with django_assert_num_queries(2):
        client.get(API)
    api_token.refresh_from_db()
    assert api_token.last_used_at > first


# The rate -----------------------------------------------------------------------


@pytest.fixture
def two_a_minute(monkeypatch):
    # DRF reads DEFAULT_THROTTLE_RATES once, when its throttling module is
    # imported: override_settings would not reach it.
    monkeypatch.setattr(TokenRateThrottle, "THROTTLE_RATES", {"token": "2/min"})


def test_a_token_past_its_rate_gets_429_and_its_users_other_token_does_not(
    two_a_minute, made, viewer
):
    client = script(made[1])
    assert [client.get(API).status_code for _n in range(3)] == [200, 200, 429]
    assert int(client.get(API)["Retry-After"]) > 0

    other = ApiToken.objects.create_token(user=viewer, name="Nightly export")[1]
    assert script(other).get(API).status_code == 200


def test_the_browser_session_is_counted_per_user(two_a_minute, viewer):
    client = APIClient()
    client.force_login(viewer)

    assert [client.get(API).status_code for _n in range(3)] == [200, 200, 429]


# The admin ------------------------------------------------------------------


def test_an_administrator_sees_anyones_tokens_and_revokes_one(client_of, api_token):
    administrator = client_of("administrator")

    listed = administrator.get(CHANGELIST).content.decode()
    assert "Ministry dashboard" in listed
    assert api_token.prefix in listed
    assert "viewer" in listed
    assert api_token.token_hash not in listed

    response = administrator.post(
        reverse("admin:api_apitoken_delete", args=[api_token.pk]), {"post": "yes"}
    )

    assert response.status_code == 302
    assert not ApiToken.objects.exists()


def test_an_editor_neither_sees_nor_revokes_tokens(client_of, api_token):
    editor = client_of("editor")

    assert editor.get(CHANGELIST).status_code == 403
    response = editor.post(
        reverse("admin:api_apitoken_delete", args=[api_token.pk]), {"post": "yes"}
    )

    assert response.status_code == 403
    assert ApiToken.objects.filter(pk=api_token.pk).exists()


def test_nobody_adds_or_changes_a_token_in_the_admin(admin_client, api_token):
    assert admin_client.get(reverse("admin:api_apitoken_add")).status_code == 403
    change = reverse("admin:api_apitoken_change", args=[api_token.pk])
    response = admin_client.post(change, {"name": "Renamed"})

    assert response.status_code == 403
    api_token.refresh_from_db()
    assert api_token.name == "Ministry dashboard"


@pytest.mark.parametrize("count", [1, 3])
def test_the_token_changelist_costs_the_same_queries_for_more_tokens(
    client_of, django_user_model, django_assert_num_queries, count
):
    for n in range(count):
        user = django_user_model.objects.create_user(username=f"scripter-{n}")
        ApiToken.objects.create_token(user=user, name="Nightly export")
    administrator = client_of("administrator")
    administrator.get(CHANGELIST)

    # Session, user, permissions (2), the filtered and the total counts, the
    # page of tokens with their users.
    with django_assert_num_queries(7):
        administrator.get(CHANGELIST)
