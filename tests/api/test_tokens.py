"""API tokens (api/): administrators read anyone's tokens in the admin and
revoke one by deleting it; editors see none."""

import pytest
from django.test import Client
from django.urls import reverse

from api.models import ApiToken

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:api_apitoken_changelist")


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
def api_token(viewer):
    return ApiToken.objects.create_token(user=viewer, name="Ministry dashboard")[0]


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
