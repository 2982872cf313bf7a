import pytest


@pytest.fixture
def superuser(django_user_model):
    return django_user_model.objects.create_superuser(
        username="coordinator", password="a-long-test-password"
    )


@pytest.fixture
def admin_client(client, superuser):
    """A client logged in as a superuser (overrides pytest-django's own, so the
    user is the `superuser` fixture the test can refer to)."""
    client.force_login(superuser)
    return client
