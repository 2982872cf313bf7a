import pytest
from rest_framework.test import APIClient


@pytest.fixture
def client_of(django_user_model, role):
    """An API client of a user of role ``role_name`` (``client.user``)."""

    def make(role_name, username=None):
        user = django_user_model.objects.create_user(username or f"{role_name}-api")
        user.groups.add(role(role_name))
        client = APIClient()
        client.force_authenticate(user)
        client.user = user
        return client

    return make
