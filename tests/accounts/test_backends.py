"""The signed-in user is read with their permissions, in one query
(accounts.backends.UserWithPermissionsBackend): the same permissions as
Django's ModelBackend reads in two more, read afresh on every request."""

import pytest
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import Permission
from django.test import override_settings

from accounts.backends import UserWithPermissionsBackend
from accounts.roles import ADMINISTRATOR, EDITOR, VIEWER

pytestmark = pytest.mark.django_db

BACKEND = "accounts.backends.UserWithPermissionsBackend"
DJANGOS = "django.contrib.auth.backends.ModelBackend"


@pytest.fixture
def people(django_user_model, role):
    """A user of each role, one with a permission of their own beside a
    role, one with a permission of their own alone, one with nothing."""

    def user(name, *roles, own=(), **fields):
        made = django_user_model.objects.create_user(username=name, **fields)
        made.groups.add(*(role(r) for r in roles))
        made.user_permissions.add(
            *(Permission.objects.get(codename=codename) for codename in own)
        )
        return made

    return [
        user("viewer", VIEWER),
        user("editor", EDITOR),
        user("administrator", ADMINISTRATOR),
        user("two roles", VIEWER, EDITOR),
        user("own and role", VIEWER, own=["delete_meeting"]),
        user("own only", own=["view_organisation", "view_person"]),
        user("nothing"),
        user("superuser", is_superuser=True),
    ]


def test_the_permissions_are_modelbackends(people, django_user_model):
    for person in people:
        ours = UserWithPermissionsBackend().get_user(person.pk)
        djangos = ModelBackend().get_user(person.pk)

        assert ours == person
        assert ours.get_all_permissions() == djangos.get_all_permissions(), (
            person.username
        )
        assert ours.get_user_permissions() == djangos.get_user_permissions()
        assert ours.get_group_permissions() == djangos.get_group_permissions()


def test_checking_them_asks_nothing_more(people, django_assert_num_queries):
    editor = people[1]
    with django_assert_num_queries(1):
        user = UserWithPermissionsBackend().get_user(editor.pk)
        assert user.has_perm("meetings.change_meeting")
        assert not user.has_perm("auth.change_user")
        assert user.has_perms(["stakeholders.view_person", "meetings.view_meeting"])


def test_nobody_for_an_unknown_or_inactive_user(django_user_model):
    inactive = django_user_model.objects.create_user(username="gone", is_active=False)

    assert UserWithPermissionsBackend().get_user(inactive.pk) is None
    assert UserWithPermissionsBackend().get_user(inactive.pk + 1000) is None


def test_a_role_taken_away_counts_from_the_next_page(client, viewer, role):
    client.force_login(viewer)
    assert client.get("/organisations/").status_code == 200

    viewer.groups.remove(role(VIEWER))

    assert client.get("/organisations/").status_code == 403


def test_a_page_costs_two_queries_fewer_than_with_djangos_backend(
    client, viewer, capture_queries
):
    def queries(backend):
        with override_settings(AUTHENTICATION_BACKENDS=[backend]):
            client.force_login(viewer, backend=backend)
            client.get("/organisations/")
            with capture_queries() as captured:
                assert client.get("/organisations/").status_code == 200
        return len(captured)

    assert queries(BACKEND) == queries(DJANGOS) - 2
