"""Crafted values in every input of the site and the admin never answer 500.

A NUL character (which PostgreSQL cannot hold in text), an id past the
database's 64-bit integers (which SQLite cannot bind), and a day of year 1 or
9999 (whose start in Asia/Tashkent is outside the years a UTC datetime can
have) are sent to each entry point found by walking the URLs and the admin's
registry, so that a new list, filter, picker or admin is covered without
being listed here. The answers: a 400 naming the field for a list's filter,
its exports and the pickers; a 404 for a record's page; the admin's own
answers to a bad filter (a redirect to ``?e=1``), a bad search (a message)
and an unknown record. Run on both engines (``DATABASE_URL`` for PostgreSQL).
"""

import re
from urllib.parse import quote

import django_filters
import pytest
from django.apps import apps
from django.contrib import admin
from django.db import models
from django.urls import URLResolver, get_resolver, reverse
from django.views.generic import DetailView

from core.admin import HamkorAdmin
from core.views import FilteredListView, SuggestView
from tests.factories import MeetingFactory, OrganisationFactory, PersonFactory
from tests.stakeholders.test_admin import form_data, form_errors

pytestmark = pytest.mark.django_db

NUL = "a\x00b"
# One past the largest 64-bit id, and a number longer than any.
IDS_PAST_RANGE = [str(2**63), "9" * 20]
DAYS_PAST_RANGE = ["0001-01-01", "9999-12-31"]
# Not an id at all, in a URL whose argument is any text (the admin's).
NOT_IDS = ["abc", "1\x00"]


def routes(resolver=None, prefix="/"):
    """``(path, view class)`` of every routed class-based view."""
    resolver = resolver or get_resolver()
    for pattern in resolver.url_patterns:
        path = prefix + str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            yield from routes(pattern, path)
        elif hasattr(pattern.callback, "view_class"):
            yield path, pattern.callback.view_class


def routes_of(kind):
    return [path for path, view in routes() if issubclass(view, kind)]


def crafted_filter_values():
    """Every filter of every list and export, with the values that its kind
    of field must refuse: a NUL anywhere, days and ids past the range in date
    and record filters."""
    params = []
    for path, view in routes():
        if not issubclass(view, FilteredListView):
            continue
        for name, filter_ in view.filterset_class.base_filters.items():
            values = [NUL]
            if isinstance(filter_, django_filters.DateFilter):
                values += DAYS_PAST_RANGE
            if isinstance(filter_, django_filters.ModelChoiceFilter):
                values += IDS_PAST_RANGE
            params += [
                pytest.param(path, name, value, id=f"{path}?{name}={value!r}")
                for value in values
            ]
    return params


def test_the_walk_finds_the_lists_exports_pickers_and_record_pages():
    assert {"/organisations/", "/people/", "/meetings/"} <= set(
        routes_of(FilteredListView)
    )
    assert "/meetings/export.xlsx" in routes_of(FilteredListView)
    assert "/meetings/topics/suggest/" in routes_of(SuggestView)
    assert len(routes_of(DetailView)) >= 4


# The site


@pytest.mark.parametrize(("path", "name", "value"), crafted_filter_values())
def test_a_crafted_filter_value_is_a_400_naming_the_field(
    admin_client, path, name, value
):
    response = admin_client.get(path, {name: value})

    assert response.status_code == 400
    if path.endswith((".csv", ".xlsx", ".svg")):
        assert f"* {name}\n" in response.content.decode()
    else:
        assert list(response.context["filter"].form.errors) == [name]


@pytest.mark.parametrize(
    ("path", "name"),
    [
        ("/meetings/", "after"),
        ("/meetings/", "before"),
        ("/organisations/", "attended_after"),
        ("/organisations/", "attended_before"),
    ],
)
@pytest.mark.parametrize("day", DAYS_PAST_RANGE)
def test_a_date_filter_says_which_years_it_takes(admin_client, path, name, day):
    response = admin_client.get(path, {name: day})

    assert response.status_code == 400
    assert response.context["filter"].form.errors[name] == [
        "Enter a date in the years 1900 to 2999."
    ]
    field = re.search(
        rf'<input type="date" name="{name}"[^>]*>', response.content.decode()
    )
    assert 'min="1900-01-01"' in field[0]
    assert 'max="2999-12-31"' in field[0]


@pytest.mark.parametrize("day", ["1900-01-01", "2999-12-31"])
def test_a_date_filter_takes_the_first_and_last_day_of_its_years(admin_client, day):
    MeetingFactory(title="Board meeting")

    for name in ("after", "before"):
        response = admin_client.get("/meetings/", {name: day})
        assert response.status_code == 200


@pytest.mark.parametrize("path", routes_of(SuggestView))
def test_a_picker_search_holding_a_nul_is_a_400_naming_it(admin_client, path):
    response = admin_client.get(path, {"q": NUL})

    assert response.status_code == 400
    assert response.json()["error"].startswith("q: ")


@pytest.mark.parametrize("path", routes_of(SuggestView))
@pytest.mark.parametrize("value", IDS_PAST_RANGE)
def test_a_picker_asked_for_an_id_past_the_range_finds_nothing(
    admin_client, path, value
):
    response = admin_client.get(path, {"id": value})

    assert response.status_code == 200
    assert response.json() == {"results": []}


@pytest.mark.parametrize("path", routes_of(DetailView))
@pytest.mark.parametrize("value", IDS_PAST_RANGE)
def test_a_record_page_of_an_id_past_the_range_is_a_404(admin_client, path, value):
    OrganisationFactory()

    response = admin_client.get(re.sub(r"<(\w+:)?pk>", value, path))

    assert response.status_code == 404


@pytest.mark.parametrize("path", ["/organisations/", "/meetings/"])
def test_a_page_number_past_any_list_shows_the_last_page(admin_client, path):
    OrganisationFactory(name="Partner")
    MeetingFactory(title="Partner meeting")

    response = admin_client.get(path, {"q": "partner", "page": "9" * 20})

    assert response.status_code == 200
    assert response.context["page_obj"].number == 1


# The admin

HAMKOR_ADMINS = [
    pytest.param(model, id=model._meta.label_lower)
    for model, model_admin in admin.site._registry.items()
    if isinstance(model_admin, HamkorAdmin)
]
AUTOCOMPLETE_FIELDS = [
    pytest.param(model, name, id=f"{model._meta.label_lower}.{name}")
    for model, model_admin in admin.site._registry.items()
    for name in model_admin.autocomplete_fields
]


def admin_url(model, view, *args):
    meta = model._meta
    return reverse(f"admin:{meta.app_label}_{meta.model_name}_{view}", args=args)


def record_url(model, object_id, view):
    """An admin URL of a record, its id as sent (any text)."""
    return f"{admin_url(model, 'changelist')}{quote(object_id)}/{view}/"


def is_bad_filter(response):
    return response.status_code == 302 and response.url.endswith("?e=1")


@pytest.mark.parametrize(
    "model",
    [
        pytest.param(model, id=model._meta.label_lower)
        for model, model_admin in admin.site._registry.items()
        if model_admin.search_fields
    ],
)
def test_an_admin_search_holding_a_nul_is_refused_with_a_message(admin_client, model):
    response = admin_client.get(admin_url(model, "changelist"), {"q": NUL})

    assert response.status_code == 200
    assert [str(m) for m in response.context["messages"]] == [
        "Null characters are not allowed."
    ]


@pytest.mark.parametrize("model", HAMKOR_ADMINS)
def test_an_admin_filter_value_holding_a_nul_is_a_bad_filter(admin_client, model):
    response = admin_client.get(admin_url(model, "changelist"), {"id__in": NUL})

    assert is_bad_filter(response)


@pytest.mark.parametrize(
    ("model", "parameter"),
    [
        ("meetings.meeting", "status__exact"),
        ("meetings.meeting", "participant_type"),
        ("meetings.attendance", "role__exact"),
        ("stakeholders.organisation", "country"),
        ("stakeholders.organisationname", "language__exact"),
    ],
)
def test_an_admin_list_filter_holding_a_nul_is_a_bad_filter(
    admin_client, model, parameter
):
    url = admin_url(apps.get_model(model), "changelist")

    assert is_bad_filter(admin_client.get(url, {parameter: NUL}))


@pytest.mark.parametrize("model", HAMKOR_ADMINS)
@pytest.mark.parametrize("value", IDS_PAST_RANGE)
def test_an_admin_filter_by_ids_past_the_range_is_no_row_or_a_bad_filter(
    admin_client, model, value
):
    """PostgreSQL compares such a number as a numeric (no row has it); SQLite
    cannot bind it, which the admin answers as a bad filter."""
    OrganisationFactory()

    response = admin_client.get(admin_url(model, "changelist"), {"id__in": value})

    assert is_bad_filter(response) or (
        response.status_code == 200 and not response.context["cl"].result_list
    )


@pytest.mark.parametrize(
    ("model", "parameter"),
    [
        ("meetings.meeting", "starts_at__gte"),
        ("meetings.meeting", "starts_at__lt"),
        ("meetings.attendance", "meeting__starts_at__gte"),
        ("meetings.attendance", "organisation__type__id__exact"),
    ],
)
@pytest.mark.parametrize("value", [*DAYS_PAST_RANGE, *IDS_PAST_RANGE])
def test_an_admin_list_filter_past_the_range_lists_or_is_a_bad_filter(
    admin_client, model, parameter, value
):
    """A day of year 1 is after no meeting's start to PostgreSQL, and outside
    a UTC datetime's years to SQLite (a bad filter)."""
    MeetingFactory()

    response = admin_client.get(
        admin_url(apps.get_model(model), "changelist"), {parameter: value}
    )

    assert is_bad_filter(response) or response.status_code == 200


DATE_FIELDS_OF_EVERY_ADMIN = [
    pytest.param(model, field.name, id=f"{model._meta.label_lower}.{field.name}")
    for model in admin.site._registry
    for field in model._meta.concrete_fields
    if isinstance(field, models.DateField)  # DateTimeField is one too
]


def test_the_walk_finds_the_date_fields_of_djangos_own_admins_too():
    found = {
        (p.values[0]._meta.label_lower, p.values[1]) for p in DATE_FIELDS_OF_EVERY_ADMIN
    }

    assert {
        ("auth.user", "date_joined"),
        ("axes.accessattempt", "attempt_time"),
    } <= found


@pytest.mark.parametrize(("model", "name"), DATE_FIELDS_OF_EVERY_ADMIN)
@pytest.mark.parametrize("lookup", ["gte", "lt", "year"])
@pytest.mark.parametrize("day", DAYS_PAST_RANGE)
def test_every_admin_takes_a_date_filter_past_the_range_without_a_500(
    admin_client, model, name, lookup, day
):
    """Django's own admins (users, groups, login records) as well as
    Hamkor's: on SQLite a day of year 1 is outside a UTC datetime's years."""
    value = day[:4].lstrip("0") if lookup == "year" else day

    response = admin_client.get(
        admin_url(model, "changelist"), {f"{name}__{lookup}": value}
    )

    assert is_bad_filter(response) or response.status_code == 200


@pytest.mark.parametrize("model", HAMKOR_ADMINS)
def test_an_admin_page_number_past_any_list_shows_a_page(admin_client, model):
    response = admin_client.get(
        admin_url(model, "changelist"), {"q": "partner", "p": "9" * 20}
    )

    assert response.status_code == 200


@pytest.mark.parametrize("model", HAMKOR_ADMINS)
@pytest.mark.parametrize("object_id", [*IDS_PAST_RANGE, *NOT_IDS])
def test_an_admin_record_url_of_no_id_is_not_found(admin_client, model, object_id):
    """The change and delete pages send an unknown record to the admin's
    index with a message, as Django does; the history pages are a 404."""
    index = reverse("admin:index")
    for view in ("change", "delete"):
        response = admin_client.get(record_url(model, object_id, view))
        assert response.status_code == 302
        assert response.url == index
    response = admin_client.get(record_url(model, object_id, "history"))
    assert response.status_code == 404


@pytest.mark.parametrize("version_id", [*IDS_PAST_RANGE, *NOT_IDS])
def test_an_admin_past_version_url_of_no_id_is_a_404(admin_client, version_id):
    organisation = OrganisationFactory()
    url = record_url(type(organisation), str(organisation.pk), "history")

    response = admin_client.get(f"{url}{quote(version_id)}/")

    assert response.status_code == 404


@pytest.mark.parametrize("view", ["personal-data", "erase"])
@pytest.mark.parametrize("object_id", [*IDS_PAST_RANGE, *NOT_IDS])
def test_a_person_data_page_of_no_id_is_a_404(admin_client, view, object_id):
    PersonFactory()
    model = PersonFactory._meta.model

    response = admin_client.get(record_url(model, object_id, view))

    assert response.status_code == 404


@pytest.mark.parametrize(("model", "field_name"), AUTOCOMPLETE_FIELDS)
def test_an_autocomplete_term_holding_a_nul_is_a_400_naming_it(
    admin_client, model, field_name
):
    response = admin_client.get(
        reverse("admin:autocomplete"),
        {
            "term": NUL,
            "app_label": model._meta.app_label,
            "model_name": model._meta.model_name,
            "field_name": field_name,
        },
    )

    assert response.status_code == 400
    assert response.json() == {"error": "term: Null characters are not allowed."}


@pytest.mark.parametrize("day", DAYS_PAST_RANGE)
def test_a_meeting_on_a_day_past_the_range_is_refused_naming_its_start(
    admin_client, day
):
    """On PostgreSQL a meeting saved on 1 January of year 1 was stored in
    year 0 in UTC, which no page showing it could read back."""
    url = admin_url(MeetingFactory._meta.model, "add")
    data = form_data(admin_client.get(url))
    data.update(
        title="Board meeting",
        starts_at_0=day,
        starts_at_1="10:00",
        format="in_person",
        status="planned",
    )

    response = admin_client.post(url, data)

    assert response.status_code == 200
    assert form_errors(response) == {
        "starts_at": ["Enter a date in the years 1900 to 2999."]
    }
    assert admin_client.get("/meetings/").status_code == 200
