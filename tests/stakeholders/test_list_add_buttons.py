"""The organisations and people lists offer whoever may add one the
admin's add form, as the meetings list offers to record a meeting."""

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("url", "add_url", "label"),
    [
        (
            "/organisations/",
            "admin:stakeholders_organisation_add",
            "Add an organisation",
        ),
        ("/people/", "admin:stakeholders_person_add", "Add a person"),
    ],
)
@pytest.mark.parametrize(
    ("role_name", "offered"), [("viewer", False), ("editor", True)]
)
def test_an_editor_is_offered_to_add_one(
    client, django_user_model, role, url, add_url, label, role_name, offered
):
    user = django_user_model.objects.create_user(username=role_name, is_staff=offered)
    user.groups.add(role(role_name))
    client.force_login(user)

    content = client.get(url).content.decode()

    assert (f'href="{reverse(add_url)}"' in content) == offered
    assert (label in content) == offered
