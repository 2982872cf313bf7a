"""Helpers for the access and security tests: every URL pattern of the project,
a real URL for each, and a logged-in client per role.

The route walk is done once, at import: parametrized tests are built from it,
so a new page becomes new test cases without anyone writing them.
"""

import re
from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit

import pytest
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.apps import apps
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.contrib.contenttypes.models import ContentType
from django.test import Client
from django.urls import URLResolver, get_resolver

from accounts.access import ANONYMOUS, required_role
from accounts.roles import ROLES
from api.models import ApiToken
from meetings.models import CalendarFeed
from tests import factories

PASSWORD = "a-long-test-password"
LOGIN_PATHS = ("/accounts/login/", "/admin/login/")
ALL_ROLES = [ANONYMOUS, *ROLES]
METHODS = ["GET", "POST"]
# The REST API's other methods, asked of its routes alone.
API_METHODS = ["PUT", "PATCH", "DELETE"]


@dataclass(frozen=True)
class Route:
    """One URL pattern: ``name`` is what the rules of accounts.access match
    (the namespaced URL name, or the route itself for an unnamed pattern)."""

    name: str
    route: str

    def __str__(self):
        return self.name

    @property
    def is_admin(self):
        return self.route.startswith("admin/")


def _join(prefix, route):
    # As Django joins routes for ResolverMatch.route: an included regex loses
    # its leading "^".
    return prefix + route.removeprefix("^") if prefix else route


def _walk(patterns, prefix="", namespace=""):
    for entry in patterns:
        route = _join(prefix, str(entry.pattern))
        if isinstance(entry, URLResolver):
            inner = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            yield from _walk(entry.url_patterns, route, inner)
        else:
            yield Route(f"{namespace}{entry.name}" if entry.name else route, route)


def all_routes():
    return list(_walk(get_resolver().url_patterns))


ROUTES = all_routes()


def routes_where(predicate):
    return [route for route in ROUTES if predicate(route)]


# Objects -------------------------------------------------------------------


def _user():
    from django.contrib.auth import get_user_model

    return get_user_model().objects.create_user(
        username="someone-else", password=PASSWORD
    )


def _access(model, **extra):
    return model.objects.create(
        user_agent="test",
        ip_address="10.1.2.3",
        username="someone-else",
        http_accept="text/html",
        path_info="/accounts/login/",
        **extra,
    )


MAKERS = {
    "stakeholders.organisationtype": factories.OrganisationTypeFactory,
    "stakeholders.organisation": factories.OrganisationFactory,
    "stakeholders.organisationname": factories.OrganisationNameFactory,
    "stakeholders.organisationidentifier": factories.OrganisationIdentifierFactory,
    "stakeholders.person": factories.PersonFactory,
    "stakeholders.position": factories.PositionFactory,
    "stakeholders.assessment": factories.AssessmentFactory,
    "meetings.topic": factories.TopicFactory,
    "meetings.meeting": factories.MeetingFactory,
    "meetings.agendaitem": factories.AgendaItemFactory,
    "meetings.attendance": factories.AttendanceFactory,
    "meetings.followup": factories.FollowUpFactory,
    "duplicates.organisationpair": factories.OrganisationPairFactory,
    "duplicates.personpair": factories.PersonPairFactory,
    "duplicates.organisationmerge": factories.OrganisationMergeFactory,
    "meetings.calendarfeed": lambda: CalendarFeed.objects.create(
        user=get_user_model().objects.create_user(username="subscriber"),
        token_hash="0" * 64,
    ),
    "api.apitoken": lambda: ApiToken.objects.create_token(
        user=get_user_model().objects.create_user(username="scripter"),
        name="Ministry dashboard",
    )[0],
    "duplicates.personmerge": factories.PersonMergeFactory,
    "auth.user": _user,
    "auth.group": lambda: Group.objects.create(name="spare group"),
    "axes.accessattempt": lambda: _access(
        AccessAttempt, get_data="", post_data="", failures_since_start=1
    ),
    "axes.accesslog": lambda: _access(AccessLog),
    "axes.accessfailurelog": lambda: _access(AccessFailureLog),
}


class Objects:
    """One object of each model, made the first time a route asks for it."""

    def __init__(self):
        self.made = {}

    def __getitem__(self, label):
        if label not in self.made:
            self.made[label] = MAKERS[label]()
        return self.made[label]


# URLs ----------------------------------------------------------------------

NAMESPACE_MODELS = {
    "organisations": "stakeholders.organisation",
    "people": "stakeholders.person",
    "meetings": "meetings.meeting",
    "follow_ups": "meetings.followup",
    "admin:view_on_site": "stakeholders.organisation",
}
ADMIN_MODEL = re.compile(r"^admin/(?P<app>\w+)/(?P<model>\w+)/")
APP_LIST = re.compile(r"\(\?P<app_label>(?P<labels>[\w|]+)\)/\$$")
SIMPLE_HISTORY = "([^/]+)/history/([^/]+)/$"
CATCH_ALL = "(?P<url>.*)$"
CONVERTER = re.compile(r"<(?:\w+:)?(?P<name>\w+)>")
QUERIES = {
    # The admin's autocomplete refuses (403) a request that does not name the
    # field it serves.
    "admin:autocomplete": "?app_label=stakeholders&model_name=organisation"
    "&field_name=parent&term=o",
}


def route_model(route):
    if route.name.startswith("api:"):
        # The API's routes are named after their model: api:organisation-detail.
        model_name = route.name.removeprefix("api:").split("-")[0]
        for model in apps.get_models():
            if model._meta.model_name == model_name and model._meta.label_lower in (
                MAKERS
            ):
                return model._meta.label_lower
    match = ADMIN_MODEL.match(route.route)
    if match:
        try:
            return apps.get_model(match["app"], match["model"])._meta.label_lower
        except LookupError:
            pass
    for prefix, label in NAMESPACE_MODELS.items():
        if route.name == prefix or route.name.startswith(f"{prefix}:"):
            return label
    return None


def build_url(route, objects):
    """A URL that ``route`` resolves, with the ids of real objects; raises
    for a route whose arguments this does not know, so a new kind of route is
    noticed instead of skipped."""
    label = route_model(route)

    def obj():
        if label is None:
            raise LookupError(f"no model known for the route {route.route!r}")
        return objects[label]

    path = route.route
    if path.endswith(SIMPLE_HISTORY):
        instance = obj()
        history_id = instance.history.latest().history_id
        path = (
            path.removesuffix(SIMPLE_HISTORY) + f"{instance.pk}/history/{history_id}/"
        )
    elif (match := APP_LIST.search(path)) is not None:
        labels = match["labels"].split("|")
        chosen = "stakeholders" if "stakeholders" in labels else labels[0]
        path = path[: match.start()] + f"{chosen}/"
    elif path.endswith(CATCH_ALL):
        path = path.removesuffix(CATCH_ALL) + "no-such-page/"

    def argument(match):
        name = match["name"]
        if name in ("pk", "id", "object_id"):
            return str(obj().pk)
        if name == "content_type_id":
            return str(ContentType.objects.get_for_model(obj()).pk)
        if name == "token":
            return "any-token"
        if name == "other_id":
            # A second record of the route's model (a merge's other record).
            return str(MAKERS[label]().pk)
        raise LookupError(f"no value known for <{name}> in {route.route!r}")

    path = CONVERTER.sub(argument, path)
    if any(char in path for char in "^$()[]<>*?\\"):
        raise LookupError(f"cannot build a URL for the route {route.route!r}")
    return "/" + path + QUERIES.get(route.name, "")


# Responses -----------------------------------------------------------------


def location(response):
    return response.headers.get("Location", "")


def is_login_redirect(response, paths=LOGIN_PATHS):
    return response.status_code in (301, 302) and urlsplit(location(response)).path in (
        paths
    )


def login_next(response):
    return parse_qs(urlsplit(location(response)).query).get("next", [None])[0]


def follow_on_site(client, response, hops=3):
    """Follow on-site redirects that do not go to a login page, with GET: the
    admin sends a refused logout to its index, which then asks for a login."""
    for _hop in range(hops):
        if response.status_code not in (301, 302) or is_login_redirect(response):
            break
        target = urlsplit(location(response))
        if target.netloc not in ("", "testserver"):
            break
        response = client.get(
            target.path + (f"?{target.query}" if target.query else "")
        )
    return response


def describe(response):
    if response.status_code in (301, 302):
        return f"{response.status_code} -> {location(response)}"
    return str(response.status_code)


def is_api(route):
    """The REST API's routes, which refuse with 401 or 403 rather than send
    anyone to a login page."""
    return route.name.startswith("api:") and route.name not in API_PAGES


# The schema's pages for people, which send a visitor to log in.
API_PAGES = {"api:docs", "api:redoc"}


def public_route(route):
    """The pages a viewer comes for: lists, detail pages, exports, pickers."""
    return not route.is_admin and required_role(route.name, "GET") == "viewer"


# Logging in ----------------------------------------------------------------


def log_in(client, username, password, path="/accounts/login/", **extra):
    return client.post(path, {"username": username, "password": password}, **extra)


def logged_in(user, **kwargs):
    client = Client(**kwargs)
    client.force_login(user)
    return client


# Fixtures ------------------------------------------------------------------


@pytest.fixture
def objects(db):
    return Objects()


@pytest.fixture
def user_with_role(django_user_model, role):
    """A user holding ``name``'s group (None: no role at all); never staff,
    never superuser."""

    def make(name, username=None):
        user = django_user_model.objects.create_user(
            username=username or f"{name or 'nobody'}-user", password=PASSWORD
        )
        if name is not None:
            user.groups.add(role(name))
        return user

    return make


@pytest.fixture
def client_as(client, user_with_role):
    """The test client, logged in as a user of role ``name`` (anonymous: not
    logged in)."""

    def make(name):
        if name != ANONYMOUS:
            client.force_login(user_with_role(name))
        return client

    return make
