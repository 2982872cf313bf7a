"""The admin changelists' rows (core.admin_rows, ``{% result_rows %}``) are
Django's own (``{% result_list %}``), character for character: on every
registered model's changelist, sorted and filtered (the filters preserved in
each row's link), with editable rows, as a popup, in Russian; and the
checkbox of a row (HamkorAdmin.action_checkbox) is Django's."""

import pytest
from django.contrib import admin
from django.contrib.admin import ModelAdmin
from django.contrib.admin.templatetags import admin_list
from django.urls import reverse

from core import admin_rows
from core.admin import HamkorAdmin
from meetings.services import demo_load
from stakeholders.models import Organisation
from tests.factories import (
    AssessmentFactory,
    FollowUpFactory,
    OrganisationFactory,
    OrganisationNameFactory,
    PersonFactory,
    PositionFactory,
)

pytestmark = pytest.mark.django_db

TRICKY = 'Tom & "Jerry" <b>Ltd</b> \u2019s'


@pytest.fixture
def data(superuser):
    demo_load()
    organisation = OrganisationFactory(name=TRICKY, acronym="T&J", website="")
    OrganisationNameFactory(organisation=organisation, name=TRICKY)
    person = PersonFactory(full_name=TRICKY, email="")
    PositionFactory(person=person, organisation=organisation, title="<i>Head</i>")
    FollowUpFactory(action=TRICKY)
    AssessmentFactory(organisation=organisation)


def urls():
    """Every registered model's changelist."""
    return sorted(
        reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
        for model in admin.site._registry
    )


def rows(results):
    return [(row.form, [str(cell) for cell in row]) for row in results]


def assert_same_rows(response):
    assert response.status_code == 200, response.status_code
    cl = response.context["cl"]
    theirs = rows(admin_list.results(cl))
    ours = rows(admin_rows.results(cl))

    assert ours == theirs
    assert admin_rows.result_list(cl).keys() == admin_list.result_list(cl).keys()


@pytest.mark.parametrize("url", urls())
def test_each_changelists_rows_are_djangos(admin_client, data, url):
    assert_same_rows(admin_client.get(url))


@pytest.mark.parametrize("url", urls())
def test_each_changelists_rows_are_djangos_sorted_and_filtered(admin_client, data, url):
    # A sort by the second column, and a filter preserved in every row's
    # link ("?_changelist_filters=..."); an unknown parameter sends the admin
    # to "?e=1", followed here.
    response = admin_client.get(f"{url}?o=-2&q=a&_extra=%3Cx%3E", follow=True)

    assert_same_rows(response)


def test_editable_rows_are_djangos(admin_client, data):
    url = reverse("admin:meetings_followup_changelist")
    cl = admin_client.get(url).context["cl"]
    assert cl.formset is not None, "the follow-ups' changelist has editable rows"

    assert rows(admin_rows.results(cl)) == rows(admin_list.results(cl))


def test_a_popups_rows_are_djangos(admin_client, data):
    url = reverse("admin:stakeholders_organisation_changelist")
    response = admin_client.get(f"{url}?_popup=1&_to_field=id")

    assert_same_rows(response)
    assert "data-popup-opener" in response.text


def test_rows_in_russian_are_djangos(admin_client, data):
    admin_client.post(reverse("language"), {"language": "ru", "next": "/"})
    url = reverse("admin:stakeholders_organisation_changelist")

    response = admin_client.get(url)

    assert_same_rows(response)
    assert "Выбрать этот объект, чтобы применить к нему действие - " in response.text


def test_the_page_is_written_by_our_rows(admin_client, data, monkeypatch):
    calls = []
    monkeypatch.setattr(
        admin_rows.Rows, "link", lambda self, result: calls.append(result) or "/x/"
    )
    url = reverse("admin:stakeholders_organisation_changelist")

    response = admin_client.get(url)

    assert calls, "the changelist did not use core.admin_rows"
    assert '<a href="/x/">' in response.text


@pytest.mark.parametrize("language", ["en", "ru", "uz"])
def test_a_rows_checkbox_is_djangos(data, language):
    from django.utils import translation

    organisation = Organisation.objects.get(name=TRICKY)
    model_admin = admin.site._registry[type(organisation)]
    assert isinstance(model_admin, HamkorAdmin)

    with translation.override(language):
        ours = model_admin.action_checkbox(organisation)
        theirs = ModelAdmin.action_checkbox(model_admin, organisation)

    assert ours == theirs
    assert "&lt;b&gt;" in ours


@pytest.mark.parametrize("language", ["en", "ru", "uz"])
def test_the_admins_list_of_models_is_djangos_with_each_name_translated_once(
    rf, superuser, language
):
    from django.contrib.admin import AdminSite
    from django.utils import translation

    request = rf.get("/admin/")
    request.user = superuser
    djangos = AdminSite()
    djangos._registry = admin.site._registry

    with translation.override(language):
        ours = admin.site.get_app_list(request)
        theirs = djangos.get_app_list(request)
        names = [(app["name"], [m["name"] for m in app["models"]]) for app in ours]
        their_names = [
            (str(app["name"]), [str(m["name"]) for m in app["models"]])
            for app in theirs
        ]
        same_models = [a["models"] for a in ours] == [a["models"] for a in theirs]

    assert names == their_names
    assert all(type(name) is str for name, _models in names)
    assert all(type(m) is str for _name, models in names for m in models)
    assert same_models
