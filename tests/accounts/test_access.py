"""The permission matrix (accounts/access.py) against the running project.

Every URL pattern is requested by every role with GET and POST, and the
answer is checked against the rule that decides it. A route no rule covers
fails the first test: a new page cannot ship unprotected.
"""

from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.contrib.auth.models import Group
from django.urls import resolve

from accounts.access import ANONYMOUS, RULES, allows, render_markdown, required_role
from accounts.roles import ROLE_PERMISSIONS, ROLES

from .conftest import (
    ALL_ROLES,
    API_METHODS,
    METHODS,
    ROUTES,
    Objects,
    build_url,
    describe,
    follow_on_site,
    is_api,
    is_login_redirect,
    public_route,
)

# Logging out answers with a redirect to the login page: that is its success.
LOGOUTS = {"logout", "admin:logout"}


def request(client, method, url):
    # CSRF is off on the test client; tests/accounts/test_security.py checks it.
    if method == "POST":
        return client.post(url)
    if method in API_METHODS:
        return client.generic(method, url, "{}", content_type="application/json")
    return client.get(url)


def refusal(client, response, role_name, method, api=False):
    """Why ``response`` is not a refusal of ``role_name``, or None when it is.
    The API (``api``) refuses anonymous requests with 401 or 403, naming no
    login page, as an API client expects."""
    if method == "GET":
        response = follow_on_site(client, response)
    if role_name == ANONYMOUS:
        if is_login_redirect(response):
            return None
        if api and response.status_code in (401, 403):
            return None
        return f"anonymous should be sent to a login page, got {describe(response)}"
    if response.status_code == 403 or is_login_redirect(
        response, paths=("/admin/login/",)
    ):
        return None
    return f"{role_name} should get 403, got {describe(response)}"


def test_every_route_has_a_rule():
    uncovered = [
        route.name
        for route in ROUTES
        if required_role(route.name, "GET") is None
        and required_role(route.name, "POST") is None
    ]
    assert uncovered == [], "routes no rule of accounts/access.py covers"


def test_every_rule_decides_at_least_one_route():
    """A rule that decides nothing is a typo, or shadowed by an earlier one."""
    deciding = {
        next(rule for rule in RULES if rule.covers(route.name, method))
        for route in ROUTES
        for method in METHODS + API_METHODS
        if required_role(route.name, method) is not None
    }
    dead = [rule.pattern for rule in RULES if rule not in deciding]
    assert dead == []


@pytest.mark.django_db
@pytest.mark.parametrize("route", ROUTES, ids=str)
def test_the_url_built_for_each_route_resolves_to_it(route):
    url = build_url(route, Objects())

    assert resolve(urlsplit(url).path).route == route.route


ROUTE_METHODS = [(route, method) for route in ROUTES for method in METHODS] + [
    (route, method) for route in ROUTES if is_api(route) for method in API_METHODS
]


@pytest.mark.django_db
@pytest.mark.parametrize("role_name", ALL_ROLES)
@pytest.mark.parametrize(
    ("route", "method"),
    ROUTE_METHODS,
    ids=[f"{route}-{method}" for route, method in ROUTE_METHODS],
)
def test_each_role_gets_exactly_what_the_matrix_allows(
    route, role_name, method, client_as, objects
):
    url = build_url(route, objects)
    client = client_as(role_name)
    response = request(client, method, url)
    required = required_role(route.name, method)
    where = f"{method} {url} ({route.name}) as {role_name}, rule: {required}"

    if required is None:
        assert not 200 <= response.status_code < 300, (
            f"{where}: no rule lists {method}, yet it answered {describe(response)}"
        )
    elif allows(role_name, required):
        if route.name in LOGOUTS and method == "POST":
            assert response.status_code == 302, f"{where}: {describe(response)}"
            assert "_auth_user_id" not in client.session, (
                f"{where}: still logged in after {describe(response)}"
            )
        else:
            assert response.status_code != 403, f"{where}: refused with 403"
            assert not is_login_redirect(response), (
                f"{where}: sent to log in, {describe(response)}"
            )
    else:
        problem = refusal(client, response, role_name, method, api=is_api(route))
        assert problem is None, f"{where}: {problem}"


@pytest.mark.django_db
def test_the_role_groups_hold_exactly_the_permissions_of_role_permissions():
    held = {
        group.name: sorted(
            group.permissions.values_list("content_type__app_label", "codename")
        )
        for group in Group.objects.filter(name__in=ROLES)
    }

    assert held == {name: sorted(wanted) for name, wanted in ROLE_PERMISSIONS.items()}


def test_the_permissions_document_is_rendered_from_the_matrix():
    document = Path(settings.BASE_DIR) / "docs" / "permissions.md"

    assert document.read_text(encoding="utf-8") == render_markdown(), (
        "docs/permissions.md is out of date: run `manage.py permissions_doc`"
    )


@pytest.mark.django_db
def test_a_user_without_a_role_gets_403_on_every_public_page(client_as, objects):
    client = client_as(None)
    answers = {}
    for route in filter(public_route, ROUTES):
        if route.name.startswith("password_change"):
            continue  # one's own password needs a login, not a role
        url = build_url(route, objects)
        answers[url] = client.get(url).status_code

    assert answers
    assert {url: status for url, status in answers.items() if status != 403} == {}


@pytest.mark.django_db
def test_a_user_without_a_role_cannot_enter_the_admin(client_as, objects):
    client = client_as(None)
    let_in = {}
    for route in ROUTES:
        if not route.is_admin or route.name in ("admin:login", "admin:logout"):
            continue
        url = build_url(route, objects)
        for method in METHODS:
            response = request(client, method, url)
            if refusal(client, response, "nobody", method) is not None:
                let_in[f"{method} {url}"] = describe(response)

    assert let_in == {}
    response = client.get("/admin/login/")
    assert response.status_code == 200
    assert "not authorized" in response.text
