"""Users, groups and login records in the admin: an administrator manages
users and roles but cannot climb above them, and nobody deletes the access
logs."""

import pytest
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.contrib.auth.models import Group, Permission, User
from django.test import Client
from django.urls import reverse

from accounts.roles import ADMINISTRATOR, EDITOR
from tests.stakeholders.test_admin import form_data

from .conftest import PASSWORD, _access

pytestmark = pytest.mark.django_db


@pytest.fixture
def administrator(user_with_role):
    return user_with_role(ADMINISTRATOR, username="administrator")


@pytest.fixture
def as_administrator(administrator):
    client = Client()
    client.force_login(administrator)
    return client


def permission(label):
    app_label, codename = label.split(".")
    return Permission.objects.get(content_type__app_label=app_label, codename=codename)


@pytest.fixture
def powerful_group():
    """A group holding a permission no role has."""
    group = Group.objects.create(name="log keepers")
    group.permissions.add(permission("axes.delete_accesslog"))
    return group


def user_url(user, view="change"):
    return reverse(f"admin:auth_user_{view}", args=[user.pk])


def post_user_form(client, user, **changes):
    data = form_data(client.get(user_url(user)))
    data.update(changes)
    return client.post(user_url(user), data)


def test_an_administrator_cannot_make_themself_superuser_or_staff(
    as_administrator, administrator
):
    response = post_user_form(
        as_administrator, administrator, is_superuser="on", is_staff="on"
    )

    administrator.refresh_from_db()
    assert response.status_code == 302  # the rest of the form is saved
    assert (administrator.is_superuser, administrator.is_staff) == (False, False)


def test_an_administrator_cannot_give_a_user_permissions_of_their_own(
    as_administrator, administrator, user_with_role
):
    colleague = user_with_role(EDITOR, username="colleague")
    delete_logs = permission("axes.delete_accesslog")

    for user in (administrator, colleague):
        post_user_form(as_administrator, user, user_permissions=[str(delete_logs.pk)])

    assert delete_logs.user_set.count() == 0


def test_an_administrator_cannot_join_a_group_with_more_power(
    as_administrator, administrator, powerful_group
):
    groups = [str(group.pk) for group in administrator.groups.all()]

    response = post_user_form(
        as_administrator, administrator, groups=[*groups, str(powerful_group.pk)]
    )

    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert "is not one of the available choices" in errors["groups"][0]
    assert not administrator.groups.filter(pk=powerful_group.pk).exists()


def test_an_administrator_cannot_give_a_group_a_permission_they_lack(
    as_administrator, role
):
    url = reverse("admin:auth_group_change", args=[role(ADMINISTRATOR).pk])
    data = form_data(as_administrator.get(url))
    delete_logs = permission("axes.delete_accesslog")

    response = as_administrator.post(
        url, {**data, "permissions": [*data["permissions"], str(delete_logs.pk)]}
    )

    assert response.status_code == 200
    assert "permissions" in response.context["adminform"].form.errors
    assert not role(ADMINISTRATOR).permissions.filter(pk=delete_logs.pk).exists()


def test_an_administrator_cannot_change_a_group_with_more_power(
    as_administrator, powerful_group
):
    url = reverse("admin:auth_group_change", args=[powerful_group.pk])

    response = as_administrator.post(url, {"name": "renamed", "permissions": []})
    deleted = as_administrator.post(
        reverse("admin:auth_group_delete", args=[powerful_group.pk]), {"post": "yes"}
    )

    assert (response.status_code, deleted.status_code) == (403, 403)
    powerful_group.refresh_from_db()
    assert powerful_group.name == "log keepers"


@pytest.mark.parametrize("kind", ["superuser", "member of a more powerful group"])
def test_an_administrator_cannot_take_over_a_more_powerful_account(
    kind, as_administrator, superuser, user_with_role, powerful_group
):
    """Setting another's password, or deleting them, would be a way up."""
    target = superuser
    if kind != "superuser":
        target = user_with_role(None, username="keeper")
        target.groups.add(powerful_group)
    password_url = reverse("admin:auth_user_password_change", args=[target.pk])

    changed = as_administrator.post(user_url(target), {"username": "renamed"})
    password = as_administrator.post(
        password_url,
        {"password1": "a-new-long-password", "password2": "a-new-long-password"},
    )
    deleted = as_administrator.post(user_url(target, "delete"), {"post": "yes"})

    assert [changed.status_code, password.status_code, deleted.status_code] == [
        403,
        403,
        403,
    ]
    target.refresh_from_db()
    assert target.username != "renamed"
    assert target.check_password(PASSWORD)
    # They can still see the account.
    assert as_administrator.get(user_url(target)).status_code == 200


def test_an_administrator_still_manages_users_and_their_roles(as_administrator, role):
    response = as_administrator.post(
        reverse("admin:auth_user_add"),
        {
            "username": "new-coordinator",
            "usable_password": "true",
            "password1": "a-new-long-password",
            "password2": "a-new-long-password",
        },
    )
    assert response.status_code == 302
    user = User.objects.get(username="new-coordinator")

    response = post_user_form(
        as_administrator, user, first_name="Aziza", groups=[str(role(EDITOR).pk)]
    )

    assert response.status_code == 302
    user.refresh_from_db()
    assert user.first_name == "Aziza"
    assert list(user.groups.values_list("name", flat=True)) == [EDITOR]


def test_a_superuser_grants_superuser_status(admin_client, user_with_role):
    colleague = user_with_role(ADMINISTRATOR, username="colleague")

    response = post_user_form(admin_client, colleague, is_superuser="on")

    assert response.status_code == 302
    colleague.refresh_from_db()
    assert colleague.is_superuser


# The login records ---------------------------------------------------------------

LOGS = [AccessLog, AccessFailureLog]


@pytest.mark.parametrize("who", ["superuser", ADMINISTRATOR])
@pytest.mark.parametrize("model", LOGS, ids=lambda model: model.__name__)
def test_nobody_deletes_an_access_log(who, model, client, superuser, user_with_role):
    client.force_login(superuser if who == "superuser" else user_with_role(who))
    record = _access(model)
    name = model._meta.model_name

    page = client.get(reverse(f"admin:axes_{name}_delete", args=[record.pk]))
    posted = client.post(
        reverse(f"admin:axes_{name}_delete", args=[record.pk]), {"post": "yes"}
    )
    action = client.post(
        reverse(f"admin:axes_{name}_changelist"),
        {"action": "delete_selected", "_selected_action": [record.pk], "post": "yes"},
    )
    changelist = client.get(reverse(f"admin:axes_{name}_changelist"))

    assert (page.status_code, posted.status_code) == (403, 403)
    assert action.status_code in (200, 302)
    assert model.objects.filter(pk=record.pk).exists()
    assert b'value="delete_selected"' not in changelist.content


def test_an_administrator_lifts_a_lockout(as_administrator):
    attempt = _access(AccessAttempt, get_data="", post_data="", failures_since_start=5)

    response = as_administrator.post(
        reverse("admin:axes_accessattempt_delete", args=[attempt.pk]), {"post": "yes"}
    )

    assert response.status_code == 302
    assert not AccessAttempt.objects.exists()


def test_permissions_are_named_in_the_readers_language(admin_client, superuser):
    """Django stores a permission's name in English; the group and user forms
    name each in the reader's language, Hamkor's own permissions too."""
    admin_client.cookies["django_language"] = "ru"
    for url in [
        reverse("admin:auth_group_add"),
        reverse("admin:auth_user_change", args=[superuser.pk]),
    ]:
        page = admin_client.get(url).content.decode()
        assert "Встречи | встреча | Право добавлять: встреча" in page
        assert "Может выгружать все данные о представителе" in page
        assert "Can add meeting" not in page
