"""API tokens (api/): a user makes one on /accounts/api-tokens/ and sees it
once (only its hash is kept); sent as ``Authorization: Bearer`` it acts as
its user on the API until it is revoked or its user deactivated, is counted
against a rate of its own, and records its last use at most hourly;
administrators read anyone's tokens in the admin and revoke one by deleting
it; editors see none.

The API's root (/api/v1/, the router's list of endpoints) stands for every
endpoint: it answers any logged-in user."""

import datetime
import re

import pytest
from django.core.cache import cache
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from api.models import ApiToken
from api.throttling import TokenRateThrottle
from core.tokens import token_hash

pytestmark = pytest.mark.django_db

API = reverse("api:api-root")
PAGE = reverse("api_tokens")
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

    # The token with its user, the UPDATE of its last use, and the user's
    # permissions (their own and their groups': the root is for a role).
    with django_assert_num_queries(4):
        client.get(API)
    api_token.refresh_from_db()
    first = api_token.last_used_at
    assert first is not None

    # Within the hour: the token and the permissions, no write.
    with django_assert_num_queries(3):
        client.get(API)
    api_token.refresh_from_db()
    assert api_token.last_used_at == first

    # Over an hour since: written again.
    an_hour_ago = timezone.now() - datetime.timedelta(hours=1, minutes=1)
    ApiToken.objects.filter(pk=api_token.pk).update(last_used_at=an_hour_ago)
    with django_assert_num_queries(4):
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


# The page -----------------------------------------------------------------------


def shown_token(response):
    match = re.search(
        r'id="new-token" type="text" readonly value="([^"]+)"', response.text
    )
    assert match, "the page shows the new token"
    return match[1]


def test_a_viewer_makes_a_token_sees_it_once_and_a_script_uses_it(user_client):
    response = user_client.post(PAGE, {"name": "Ministry dashboard"})

    assert response.status_code == 200
    token = shown_token(response)
    assert "Your new token “Ministry dashboard”" in response.text
    assert "it is shown only this once" in response.text
    assert "no-store" in response["Cache-Control"]
    api_token = ApiToken.objects.get()
    assert api_token.name == "Ministry dashboard"
    assert api_token.token_hash == token_hash(token)
    assert script(token).get(API).status_code == 200

    page = user_client.get(PAGE).text
    assert token not in page
    assert "Ministry dashboard" in page
    assert f"{api_token.prefix}…" in page


def test_the_page_lists_ones_own_tokens_with_their_last_use(
    user_client, made, django_user_model
):
    assert "never used" in user_client.get(PAGE).text
    script(made[1]).get(API)
    someone = django_user_model.objects.create_user(username="someone")
    ApiToken.objects.create_token(user=someone, name="Nightly export")

    page = user_client.get(PAGE).text

    assert "never used" not in page
    assert "last used" in page
    assert "Ministry dashboard" in page
    assert "Nightly export" not in page


def test_in_russian_the_page_has_a_capital_and_the_admin_keeps_the_models_name(
    user_client, admin_client
):
    # The model's name is lower case, read after a colon in the admin
    # ("Выберите для изменения: токены API"); the page's title, heading and
    # menu entry are a message of their own.
    for client in (user_client, admin_client):
        client.post(reverse("language"), {"language": "ru", "next": "/"})

    page = user_client.get(PAGE).text
    listing = admin_client.get(CHANGELIST).text

    assert "<title>Токены API" in page
    assert '<h1 class="h3 mb-3">Токены API</h1>' in page
    assert 'href="/accounts/api-tokens/">Токены API</a>' in page
    assert "токены API" not in page
    assert "для просмотра: токен API" in listing


def test_visitors_are_sent_to_log_in(client):
    response = client.get(PAGE)

    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


def test_a_user_without_a_role_is_refused(client, django_user_model):
    client.force_login(django_user_model.objects.create_user(username="no-role"))

    assert client.get(PAGE).status_code == 403
    assert client.post(PAGE, {"name": "Ministry dashboard"}).status_code == 403
    assert not ApiToken.objects.exists()


@pytest.mark.parametrize(
    ("name", "error"),
    [
        ("", "This field is required."),
        ("   ", "This field is required."),
        ("x" * 101, "Ensure this value has at most 100 characters (it has 101)."),
        ("Ministry dashboard", "You already have a token called “Ministry dashboard”."),
    ],
)
def test_a_bad_name_is_refused_beside_its_field_and_nothing_is_written(
    user_client, made, name, error
):
    response = user_client.post(PAGE, {"name": name})

    assert response.status_code == 400
    assert response.context["form"].errors == {"name": [error]}
    assert f"Name: {error}" in response.text
    assert 'id="new-token"' not in response.text
    assert list(ApiToken.objects.all()) == [made[0]]


def test_another_user_may_use_the_same_name(client, made, django_user_model, role):
    editor = django_user_model.objects.create_user(username="editor")
    editor.groups.add(role("editor"))
    client.force_login(editor)

    response = client.post(PAGE, {"name": made[0].name})

    assert response.status_code == 200
    assert editor.api_tokens.get().name == "Ministry dashboard"


def test_revoking_a_token_ends_it_at_once(user_client, made):
    api_token, token = made

    response = user_client.post(PAGE, {"revoke": api_token.pk}, follow=True)

    assert response.redirect_chain == [(PAGE, 302)]
    assert "The token “Ministry dashboard” was revoked" in response.text
    assert not ApiToken.objects.exists()
    assert script(token).get(API).status_code == 401


@pytest.mark.parametrize("pk", ["theirs", "abc", "9" * 20, ""])
def test_revoking_someone_elses_token_or_no_token_is_not_found(
    user_client, django_user_model, pk
):
    someone = django_user_model.objects.create_user(username="someone")
    theirs = ApiToken.objects.create_token(user=someone, name="Nightly export")[0]

    response = user_client.post(PAGE, {"revoke": theirs.pk if pk == "theirs" else pk})

    assert response.status_code == 404
    assert ApiToken.objects.filter(pk=theirs.pk).exists()


@pytest.mark.parametrize("count", [1, 3])
def test_the_page_costs_the_same_queries_for_more_tokens(
    user_client, viewer, django_assert_num_queries, count
):
    for n in range(count):
        ApiToken.objects.create_token(user=viewer, name=f"Script {n}")
    user_client.get(PAGE)

    # Session, user with its permissions, the tokens.
    with django_assert_num_queries(3):
        user_client.get(PAGE)


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

    # Session, user with its permissions, the filtered and the total counts,
    # the page of tokens with their users.
    with django_assert_num_queries(5):
        administrator.get(CHANGELIST)
