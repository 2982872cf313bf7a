"""Hardening: login throttling. Wrong passwords lock a username out (behind
the trusted proxies, whatever address a client claims) until the cool-off."""

import datetime

import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.db.models import F
from django.test import Client

from accounts.middleware import client_ip
from accounts.roles import VIEWER

from .conftest import PASSWORD, describe, log_in

pytestmark = pytest.mark.django_db


# Login throttling -------------------------------------------------------------


def fail_until_locked(client, username, **extra):
    for _attempt in range(settings.AXES_FAILURE_LIMIT):
        log_in(client, username, "wrong password", **extra)


def is_locked_out(response):
    return (
        response.status_code == 429
        and "Too many failed log-in attempts" in response.text
    )


def test_five_wrong_passwords_lock_the_account_even_for_the_right_one(
    client, user_with_role
):
    viewer = user_with_role(VIEWER)
    for _attempt in range(settings.AXES_FAILURE_LIMIT - 1):
        response = log_in(client, viewer.username, "wrong password")
        assert response.status_code == 200
        assert "_auth_user_id" not in client.session
    log_in(client, viewer.username, "wrong password")

    response = log_in(client, viewer.username, PASSWORD)

    assert settings.AXES_FAILURE_LIMIT == 5
    assert is_locked_out(response), describe(response)
    assert "_auth_user_id" not in client.session


def test_the_lockout_page_says_how_long_the_lock_lasts(
    client, user_with_role, settings
):
    settings.AXES_COOLOFF_TIME = datetime.timedelta(minutes=15)
    viewer = user_with_role(VIEWER)
    fail_until_locked(client, viewer.username)

    response = log_in(client, viewer.username, PASSWORD)

    assert is_locked_out(response), describe(response)
    assert "Try again in 15 minutes" in response.text


def test_a_lockout_also_closes_the_admin_login(client, superuser):
    fail_until_locked(client, superuser.username)

    response = log_in(client, superuser.username, PASSWORD, path="/admin/login/")

    assert is_locked_out(response), describe(response)


def test_a_lockout_does_not_lock_another_username_from_the_same_address(
    client, user_with_role
):
    locked = user_with_role(VIEWER)
    other = user_with_role(VIEWER, username="colleague")
    fail_until_locked(client, locked.username)

    response = log_in(client, other.username, PASSWORD)

    assert response.status_code == 302, describe(response)


def test_a_forged_forwarded_for_header_does_not_escape_a_lockout(
    client, user_with_role
):
    viewer = user_with_role(VIEWER)
    fail_until_locked(client, viewer.username)

    response = log_in(
        client, viewer.username, PASSWORD, HTTP_X_FORWARDED_FOR="203.0.113.9"
    )

    assert is_locked_out(response), describe(response)


def behind_proxies(settings, count=1):
    """Settings as BEHIND_TLS_PROXY=true makes them, with ``count`` proxies."""
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    settings.TRUSTED_PROXY_COUNT = count


def test_behind_the_proxy_the_address_it_appended_is_the_one_locked_out(
    client, user_with_role, settings
):
    behind_proxies(settings)
    viewer = user_with_role(VIEWER)
    for attempt in range(settings.AXES_FAILURE_LIMIT):
        # The client's own claim varies; the proxy's addition does not.
        log_in(
            client,
            viewer.username,
            "wrong password",
            HTTP_X_FORWARDED_FOR=f"198.51.100.{attempt}, 10.0.0.1",
        )

    same_client = log_in(
        client,
        viewer.username,
        PASSWORD,
        HTTP_X_FORWARDED_FOR="198.51.100.99, 10.0.0.1",
    )
    other_client = log_in(
        Client(), viewer.username, PASSWORD, HTTP_X_FORWARDED_FOR="10.0.0.2"
    )

    assert is_locked_out(same_client), describe(same_client)
    assert other_client.status_code == 302, describe(other_client)


def test_guesses_from_forged_rotating_addresses_lock_the_username(
    client, user_with_role, settings
):
    """The application's port reached directly, past the proxy: every guess
    claims another address, and the username is locked all the same."""
    behind_proxies(settings)
    viewer = user_with_role(VIEWER)
    answers = [
        log_in(
            client,
            viewer.username,
            "wrong password",
            HTTP_X_FORWARDED_FOR=f"198.51.100.{attempt}",
        )
        for attempt in range(20)
    ]

    right_password = log_in(
        Client(), viewer.username, PASSWORD, HTTP_X_FORWARDED_FOR="203.0.113.50"
    )

    locked = [is_locked_out(answer) for answer in answers]
    limit = settings.AXES_USERNAME_FAILURE_LIMIT
    assert limit == 10
    assert locked == [False] * (limit - 1) + [True] * (20 - limit + 1)
    assert is_locked_out(right_password), describe(right_password)


def test_fewer_wrong_passwords_from_many_addresses_lock_nobody_out(
    client, user_with_role, settings
):
    behind_proxies(settings)
    viewer = user_with_role(VIEWER)
    for attempt in range(settings.AXES_USERNAME_FAILURE_LIMIT - 1):
        log_in(
            client,
            viewer.username,
            "wrong password",
            HTTP_X_FORWARDED_FOR=f"198.51.100.{attempt}",
        )

    response = log_in(
        Client(), viewer.username, PASSWORD, HTTP_X_FORWARDED_FOR="203.0.113.50"
    )

    assert response.status_code == 302, describe(response)


@pytest.mark.parametrize(
    ("count", "forwarded", "client_address"),
    [
        # No proxy: the header is the client's own claim.
        (0, "198.51.100.7", "192.0.2.1"),
        # nginx alone appends what it saw; the entry before it is a claim.
        (1, "10.9.9.9, 198.51.100.7", "198.51.100.7"),
        # A CDN, then nginx: the CDN's entry is the client's address.
        (2, "10.9.9.9, 198.51.100.7, 203.0.113.80", "198.51.100.7"),
        # Fewer entries than proxies: it did not come through them all.
        (2, "198.51.100.7", "192.0.2.1"),
        (1, "", "192.0.2.1"),
        # Not an address at all.
        (1, "198.51.100.7, not-an-address", "192.0.2.1"),
        (1, "2001:db8::1", "2001:db8::1"),
    ],
)
def test_the_client_address_is_read_through_the_trusted_proxies_only(
    count, forwarded, client_address, rf, settings
):
    settings.TRUSTED_PROXY_COUNT = count
    request = rf.post(
        "/accounts/login/", REMOTE_ADDR="192.0.2.1", HTTP_X_FORWARDED_FOR=forwarded
    )

    assert client_ip(request) == client_address


def test_a_locked_out_user_logs_in_again_after_the_cool_off(client, user_with_role):
    viewer = user_with_role(VIEWER)
    fail_until_locked(client, viewer.username)
    cool_off = settings.AXES_COOLOFF_TIME

    AccessAttempt.objects.update(
        attempt_time=F("attempt_time") - cool_off + datetime.timedelta(minutes=1)
    )
    still_locked = log_in(client, viewer.username, PASSWORD)
    # The refused attempt started the cool-off again.
    AccessAttempt.objects.update(
        attempt_time=F("attempt_time") - cool_off - datetime.timedelta(minutes=1)
    )
    after = log_in(client, viewer.username, PASSWORD)

    assert cool_off == datetime.timedelta(minutes=15)
    assert is_locked_out(still_locked), describe(still_locked)
    assert after.status_code == 302, describe(after)


def test_a_successful_login_resets_the_count_of_failures(client, user_with_role):
    viewer = user_with_role(VIEWER)
    almost = settings.AXES_FAILURE_LIMIT - 1
    for _attempt in range(almost):
        log_in(client, viewer.username, "wrong password")
    assert log_in(client, viewer.username, PASSWORD).status_code == 302
    client.logout()
    for _attempt in range(almost):
        log_in(client, viewer.username, "wrong password")

    response = log_in(client, viewer.username, PASSWORD)

    assert response.status_code == 302, describe(response)
