"""The stakeholders admin: every page opens with data present, each changelist
costs a fixed number of queries, and search, filters, actions, history, access
control and form errors behave as a coordinator expects."""

import datetime
import re

import pytest
from django.conf import settings
from django.contrib import admin
from django.forms import MultiWidget
from django.urls import reverse

from meetings.models import Attendance
from stakeholders.models import (
    Organisation,
    OrganisationType,
    Person,
    Position,
)
from tests.factories import (
    AgendaItemFactory,
    AssessmentFactory,
    AttendanceFactory,
    FollowUpFactory,
    MeetingFactory,
    OrganisationFactory,
    OrganisationIdentifierFactory,
    OrganisationNameFactory,
    OrganisationTypeFactory,
    PersonFactory,
    PositionFactory,
    TopicFactory,
)

pytestmark = pytest.mark.django_db

UZINFOCOM = (
    "Unified Integrator for the Development and Support of State Information Systems"
)


# Helpers shared with tests/meetings/test_admin.py.


def build_graph():
    """One record of every admin model, linked as real data is: an organisation
    with a parent, another name, an identifier and a position; a meeting it hosts
    and initiated, with an agenda item, its attendance with a person and a
    follow-up. Returns the records by model."""
    donor = OrganisationType.objects.get(slug="donor")
    # The data migration wrote no history; an edit gives the type some.
    donor.description = "Donors and development banks."
    donor.save()
    parent = OrganisationFactory(name="Kreditanstalt für Wiederaufbau", acronym="")
    organisation = OrganisationFactory(
        name="KfW Bank", acronym="KfW", type=donor, parent=parent, country="DE"
    )
    other_name = OrganisationNameFactory(organisation=organisation, name="Банк KfW")
    identifier = OrganisationIdentifierFactory(organisation=organisation)
    person = PersonFactory(full_name="Aziza Karimova")
    position = PositionFactory(person=person, organisation=organisation)
    meeting = MeetingFactory(host=organisation, title="Digital health partners")
    meeting.initiators.set([organisation, parent])
    agenda_item = AgendaItemFactory(meeting=meeting, topic=TopicFactory())
    attendance = AttendanceFactory(
        meeting=meeting, organisation=organisation, person=person
    )
    follow_up = FollowUpFactory(
        meeting=meeting, owner_organisation=organisation, owner_person=person
    )
    assessment = AssessmentFactory(organisation=organisation)
    records = [
        assessment,
        donor,
        organisation,
        other_name,
        identifier,
        person,
        position,
        meeting,
        agenda_item,
        agenda_item.topic,
        attendance,
        follow_up,
    ]
    return {record._meta.model_name: record for record in records}


def registered_model_names(app_label):
    return sorted(
        model._meta.model_name
        for model in admin.site._registry
        if model._meta.app_label == app_label
    )


def form_data(response):
    """The data of the admin form on ``response`` as a browser would post it back
    unchanged: the main form, then each inline's management form and forms."""
    forms = [response.context["adminform"].form]
    for inline in response.context["inline_admin_formsets"]:
        forms += [inline.formset.management_form, *inline.formset.forms]
    data = {}
    for form in forms:
        for field in form:
            value = field.value()
            widget = field.field.widget
            if isinstance(widget, MultiWidget):
                parts = widget.decompress(value) if value else []
                for suffix, part in zip(widget.widgets_names, parts, strict=False):
                    data[field.html_name + suffix] = str(part)
            elif isinstance(value, list | tuple):
                data[field.html_name] = [str(v) for v in value]
            elif value is True:
                data[field.html_name] = "on"
            elif value is not None and value is not False:
                data[field.html_name] = str(value)
    return data


def form_errors(response):
    """Every error of the admin form on ``response``, inlines included."""
    errors = dict(response.context["adminform"].form.errors)
    for inline in response.context.get("inline_admin_formsets", []):
        errors.update(
            {
                f"{inline.formset.prefix}-{i}": form.errors
                for i, form in enumerate(inline.formset.forms)
                if form.errors
            }
        )
        if inline.formset.non_form_errors():
            errors[inline.formset.prefix] = inline.formset.non_form_errors()
    return errors


def post_change(client, url, **changes):
    """GET an admin change (or add) page, post its form back with ``changes``
    and check that it saved."""
    data = form_data(client.get(url))
    data.update(changes)
    response = client.post(url, data)
    assert response.status_code == 302, form_errors(response)
    return response


def listed(response):
    return [obj.pk for obj in response.context["cl"].result_list]


def without_csrf_tokens(response):
    """The page's HTML, its per-response CSRF tokens blanked."""
    return re.sub(
        r'name="csrfmiddlewaretoken" value="[^"]*"', "", response.content.decode()
    )


def changelist(model_name):
    return reverse(f"admin:stakeholders_{model_name}_changelist")


def run_action(client, model_name, action, objects):
    """Run ``action`` on ``objects`` from the changelist; return the messages
    shown after it."""
    response = client.post(
        changelist(model_name),
        {"action": action, "_selected_action": [obj.pk for obj in objects]},
    )
    assert response.status_code == 302
    return [str(m) for m in client.get(response.url).context["messages"]]


# Every page opens.

STAKEHOLDERS_MODELS = [
    "assessment",
    "organisation",
    "organisationidentifier",
    "organisationname",
    "organisationtype",
    "person",
    "position",
]


def test_every_registered_stakeholders_model_is_covered_below():
    assert registered_model_names("stakeholders") == STAKEHOLDERS_MODELS


@pytest.mark.parametrize("model_name", STAKEHOLDERS_MODELS)
@pytest.mark.parametrize("page", ["changelist", "add", "change", "history"])
def test_every_admin_page_opens_with_data_present(admin_client, model_name, page):
    record = build_graph()[model_name]
    args = [record.pk] if page in ("change", "history") else []

    response = admin_client.get(
        reverse(f"admin:stakeholders_{model_name}_{page}", args=args)
    )

    assert response.status_code == 200
    if page == "changelist":
        assert record.pk in listed(response)
    elif page == "change":
        assert response.context["original"] == record
    elif page == "history":
        assert [
            e.record.history_id for e in response.context["page_obj"] if e.own
        ] == list(record.history.values_list("history_id", flat=True))
        assert response.context["page_obj"]


# Changelist query counts: the same with 2 rows as with 20, each row with two or
# more related rows.


def make_organisation_types(n):
    """Types each with two organisations."""
    types = [OrganisationTypeFactory() for _ in range(n)]
    for organisation_type in types:
        OrganisationFactory.create_batch(2, type=organisation_type)
    return types


def make_organisations(n):
    """Organisations each with a parent, two other names, two identifiers and two
    meetings attended."""
    organisations = []
    parent = None
    for _ in range(n):
        organisation = OrganisationFactory(parent=parent)
        OrganisationNameFactory.create_batch(2, organisation=organisation)
        OrganisationIdentifierFactory.create_batch(2, organisation=organisation)
        AttendanceFactory.create_batch(
            2, organisation=organisation, person=None, meeting__host=None
        )
        organisations.append(organisation)
        parent = organisation
    return organisations


def make_other_names(n):
    """``n`` other names, two per organisation, each organisation with an
    attended meeting."""
    names = []
    for _ in range(n // 2):
        organisation = OrganisationFactory()
        AttendanceFactory(organisation=organisation, person=None, meeting__host=None)
        names += OrganisationNameFactory.create_batch(2, organisation=organisation)
    return names


def make_identifiers(n):
    """``n`` identifiers, two per organisation."""
    identifiers = []
    for _ in range(n // 2):
        organisation = OrganisationFactory()
        identifiers += OrganisationIdentifierFactory.create_batch(
            2, organisation=organisation
        )
    return identifiers


def make_people(n):
    """People each with two current positions and one that ended."""
    people = PersonFactory.create_batch(n)
    for person in people:
        PositionFactory.create_batch(2, person=person)
        PositionFactory(
            person=person,
            since=datetime.date(2020, 1, 1),
            until=datetime.date(2022, 12, 31),
        )
    return people


def make_positions(n):
    """``n`` positions, two per person, each at another organisation."""
    positions = []
    for _ in range(n // 2):
        person = PersonFactory()
        positions += PositionFactory.create_batch(2, person=person)
    return positions


def test_organisation_type_changelist_queries_do_not_grow_with_rows(
    admin_client, django_assert_num_queries
):
    # The data migration's twelve types are listed too.
    first = make_organisation_types(2)
    with django_assert_num_queries(4):  # session, user, count, page with counts
        response = admin_client.get(changelist("organisationtype"))
    assert len(listed(response)) == 14
    assert first[0].name in response.content.decode()

    more = make_organisation_types(18)
    with django_assert_num_queries(4):  # session, user, count, page with counts
        response = admin_client.get(changelist("organisationtype"))
    assert len(listed(response)) == 32
    assert more[-1].name in response.content.decode()


def test_each_row_has_djangos_action_checkbox(settings):
    organisation = OrganisationFactory(name='<Acme> & "Sons"')
    model_admin = admin.site._registry[Organisation]

    ours = model_admin.action_checkbox(organisation)
    settings.FORM_RENDERER = "django.forms.renderers.DjangoTemplates"

    assert ours == model_admin.action_checkbox(organisation)
    assert f'value="{organisation.pk}"' in ours
    assert "&lt;Acme&gt; &amp;amp; &quot;Sons&quot;" not in ours
    assert "&lt;Acme&gt; &amp; &quot;Sons&quot;" in ours


def test_organisation_changelist_queries_do_not_grow_with_rows(
    admin_client, django_assert_num_queries
):
    first = make_organisations(2)
    # session, user, type filter choices, count, page (meetings attended and
    # last met as subqueries), country filter choices
    with django_assert_num_queries(6):
        response = admin_client.get(changelist("organisation"))
    assert len(listed(response)) == 2
    assert first[0].name in response.content.decode()

    more = make_organisations(18)
    # session, user, type filter choices, count, page (meetings attended and
    # last met as subqueries), country filter choices
    with django_assert_num_queries(6):
        response = admin_client.get(changelist("organisation"))
    assert len(listed(response)) == 20
    assert more[-1].name in response.content.decode()


def test_other_name_changelist_queries_do_not_grow_with_rows(
    admin_client, django_assert_num_queries
):
    first = make_other_names(2)
    with django_assert_num_queries(4):  # session, user, count, page
        response = admin_client.get(changelist("organisationname"))
    assert len(listed(response)) == 2
    assert first[0].name in response.content.decode()

    more = make_other_names(18)
    with django_assert_num_queries(4):  # session, user, count, page
        response = admin_client.get(changelist("organisationname"))
    assert len(listed(response)) == 20
    assert more[-1].name in response.content.decode()


def test_identifier_changelist_queries_do_not_grow_with_rows(
    admin_client, django_assert_num_queries
):
    first = make_identifiers(2)
    with django_assert_num_queries(5):  # session, user, count, page, scheme choices
        response = admin_client.get(changelist("organisationidentifier"))
    assert len(listed(response)) == 2
    assert first[0].value in response.content.decode()

    more = make_identifiers(18)
    with django_assert_num_queries(5):  # session, user, count, page, scheme choices
        response = admin_client.get(changelist("organisationidentifier"))
    assert len(listed(response)) == 20
    assert more[-1].value in response.content.decode()


def test_person_changelist_queries_do_not_grow_with_rows(
    admin_client, django_assert_num_queries
):
    first = make_people(2)
    # session, user, count, page, current positions with their organisations
    with django_assert_num_queries(5):
        response = admin_client.get(changelist("person"))
    assert len(listed(response)) == 2
    assert first[0].full_name in response.content.decode()

    more = make_people(18)
    # session, user, count, page, current positions with their organisations
    with django_assert_num_queries(5):
        response = admin_client.get(changelist("person"))
    assert len(listed(response)) == 20
    assert more[-1].full_name in response.content.decode()


def test_position_changelist_queries_do_not_grow_with_rows(
    admin_client, django_assert_num_queries
):
    first = make_positions(2)
    with django_assert_num_queries(4):  # session, user, count, page
        response = admin_client.get(changelist("position"))
    assert len(listed(response)) == 2
    assert first[0].person.full_name in response.content.decode()

    more = make_positions(18)
    with django_assert_num_queries(4):  # session, user, count, page
        response = admin_client.get(changelist("position"))
    assert len(listed(response)) == 20
    assert more[-1].person.full_name in response.content.decode()


def test_a_person_lists_only_current_positions(admin_client):
    person = make_people(1)[0]
    current = person.positions.filter(until=None)

    response = admin_client.get(changelist("person"))

    row = response.context["cl"].result_list[0]
    assert {position.pk for position in row.current_positions} == {
        position.pk for position in current
    }
    assert len(current) == 2


# Search.


@pytest.fixture
def uzinfocom():
    organisation = OrganisationFactory(name=UZINFOCOM, acronym="UZINFOCOM")
    OrganisationNameFactory(organisation=organisation, name="Узинфоком")
    OrganisationNameFactory(organisation=organisation, name="ГУП «Узинфоком»")
    return organisation


@pytest.fixture
def kfw():
    organisation = OrganisationFactory(name="KfW Bank", acronym="KfW")
    OrganisationNameFactory(organisation=organisation, name="Банк развития KfW")
    return organisation


def search(client, term, model_name="organisation"):
    return listed(client.get(changelist(model_name), {"q": term}))


def test_organisation_search_finds_by_acronym(admin_client, uzinfocom, kfw):
    assert search(admin_client, "UZINFOCOM") == [uzinfocom.pk]
    assert search(admin_client, "kfw") == [kfw.pk]


def test_organisation_search_finds_by_another_name(admin_client, uzinfocom, kfw):
    assert search(admin_client, "развития") == [kfw.pk]


def test_organisation_search_lists_an_organisation_once_when_two_names_match(
    admin_client, uzinfocom, kfw
):
    # Both other names of UZINFOCOM contain the term. SQLite ignores case only
    # for ASCII, so the term keeps the names' case.
    assert search(admin_client, "Узинфоком") == [uzinfocom.pk]


def test_person_search_finds_by_email(admin_client):
    aziza = PersonFactory(full_name="Aziza Karimova", email="a.karimova@who.int")
    PersonFactory(full_name="Timur Rashidov", email="t.rashidov@giz.de")

    assert search(admin_client, "karimova@who", "person") == [aziza.pk]


def autocomplete(client, term):
    response = client.get(
        reverse("admin:autocomplete"),
        {
            "app_label": "meetings",
            "model_name": "attendance",
            "field_name": "organisation",
            "term": term,
        },
    )
    assert response.status_code == 200
    return [int(result["id"]) for result in response.json()["results"]]


def test_organisation_autocomplete_finds_by_acronym_and_other_name(
    admin_client, uzinfocom, kfw
):
    assert autocomplete(admin_client, "UZINFOCOM") == [uzinfocom.pk]
    assert autocomplete(admin_client, "Узинфоком") == [uzinfocom.pk]
    assert autocomplete(admin_client, "развития") == [kfw.pk]


# History.


def test_an_admin_edit_is_recorded_with_the_user_and_shown_on_the_history_page(
    admin_client, superuser
):
    organisation = build_graph()["organisation"]
    old_name = organisation.name
    versions = organisation.history.count()
    url = reverse("admin:stakeholders_organisation_change", args=[organisation.pk])

    post_change(admin_client, url, name="KfW Development Bank")

    assert organisation.history.count() == versions + 1
    latest = organisation.history.first()
    assert latest.name == "KfW Development Bank"
    assert latest.history_type == "~"
    assert latest.history_user == superuser
    # The inlines went back unchanged.
    assert organisation.other_names.get().name == "Банк KfW"
    assert organisation.positions.count() == 1

    response = admin_client.get(
        reverse("admin:stakeholders_organisation_history", args=[organisation.pk])
    )
    shown = response.context["page_obj"][0]
    assert [(c.field, c.old, c.new) for c in shown.changes] == [
        ("Name", old_name, "KfW Development Bank")
    ]
    user_url = reverse("admin:auth_user_change", args=[superuser.pk])
    assert f'<a href="{user_url}">{superuser.username}</a>' in response.content.decode()


# Actions.


def test_mark_inactive_changes_only_the_selected_and_records_each_change(
    admin_client, superuser
):
    active = OrganisationFactory()
    left_alone = OrganisationFactory()
    already_inactive = OrganisationFactory(is_active=False)
    versions = {o.pk: o.history.count() for o in (active, left_alone, already_inactive)}

    messages = run_action(
        admin_client, "organisation", "mark_inactive", [active, already_inactive]
    )

    assert not Organisation.objects.get(pk=active.pk).is_active
    assert Organisation.objects.get(pk=left_alone.pk).is_active
    assert active.history.count() == versions[active.pk] + 1
    assert active.history.first().history_user == superuser
    assert not active.history.first().is_active
    assert left_alone.history.count() == versions[left_alone.pk]
    assert already_inactive.history.count() == versions[already_inactive.pk]
    assert messages == ["1 organisation marked inactive."]


def test_mark_active_reactivates_the_selected(admin_client, superuser):
    inactive = OrganisationFactory(is_active=False)

    run_action(admin_client, "organisation", "mark_active", [inactive])

    assert Organisation.objects.get(pk=inactive.pk).is_active
    assert inactive.history.first().history_user == superuser


# List filters.


def test_organisation_changelist_filters_by_type(admin_client):
    donor = OrganisationFactory(type=OrganisationType.objects.get(slug="donor"))
    OrganisationFactory(type=OrganisationType.objects.get(slug="ministry"))

    response = admin_client.get(
        changelist("organisation"), {"type__id__exact": donor.type_id}
    )

    assert listed(response) == [donor.pk]


def test_organisation_changelist_filters_by_country(admin_client):
    german = OrganisationFactory(country="DE")
    OrganisationFactory(country="UZ")

    response = admin_client.get(changelist("organisation"), {"country": "DE"})

    assert listed(response) == [german.pk]


def test_organisation_changelist_filters_by_active(admin_client):
    inactive = OrganisationFactory(is_active=False)
    OrganisationFactory(is_active=True)

    response = admin_client.get(changelist("organisation"), {"is_active__exact": "0"})

    assert listed(response) == [inactive.pk]


def test_organisation_changelist_shows_meetings_attended_and_last_met(admin_client):
    organisation = OrganisationFactory()
    first, last = MeetingFactory.create_batch(2, host=None)
    for meeting in (first, last):
        AttendanceFactory(meeting=meeting, organisation=organisation)
    # Two people at one meeting count once; declining counts not at all.
    AttendanceFactory(meeting=last, organisation=organisation)
    AttendanceFactory(
        meeting__starts_at=last.starts_at + datetime.timedelta(days=30),
        meeting__host=None,
        organisation=organisation,
        status=Attendance.Status.DECLINED,
    )

    row = admin_client.get(changelist("organisation")).context["cl"].result_list[0]

    assert row.meetings_attended == 2
    assert row.last_met == last.starts_at


def test_organisation_changelist_shows_the_day_last_met_without_a_time(admin_client):
    organisation = OrganisationFactory()
    # 22:30 in UTC is the next day in Tashkent.
    meeting = MeetingFactory(
        host=None, starts_at=datetime.datetime(2025, 1, 28, 22, 30, tzinfo=datetime.UTC)
    )
    AttendanceFactory(meeting=meeting, organisation=organisation)
    admin_client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en-gb"

    page = admin_client.get(changelist("organisation")).content.decode()

    cells = re.findall(r'class="field-last_met_day[^"]*">([^<]*)<', page)
    assert cells == ["29 Jan 2025"]


# Access.


def test_an_anonymous_visitor_is_sent_to_the_login_page(client):
    url = changelist("organisation")

    response = client.get(url)

    assert response.status_code == 302
    assert response.url == f"{reverse('admin:login')}?next={url}"


def test_a_user_who_is_not_staff_is_sent_to_the_login_page(client, django_user_model):
    client.force_login(django_user_model.objects.create_user(username="viewer"))
    url = changelist("person")

    response = client.get(url)

    assert response.status_code == 302
    assert response.url == f"{reverse('admin:login')}?next={url}"


# Bad input.


def test_an_organisation_without_name_or_type_is_refused_and_not_saved(admin_client):
    url = reverse("admin:stakeholders_organisation_add")
    data = form_data(admin_client.get(url))
    data.update(name="", type="", acronym="NEW")

    response = admin_client.post(url, data)

    assert response.status_code == 200
    assert set(form_errors(response)) == {"name", "type"}
    assert not Organisation.objects.filter(acronym="NEW").exists()


def test_an_active_organisation_name_taken_in_another_case_is_refused(admin_client):
    OrganisationFactory(name="KfW Bank")
    url = reverse("admin:stakeholders_organisation_add")
    data = form_data(admin_client.get(url))
    data.update(name="KFW BANK", type=OrganisationType.objects.get(slug="donor").pk)

    response = admin_client.post(url, data)

    assert response.status_code == 200
    assert set(form_errors(response)) == {"name"}
    assert Organisation.objects.count() == 1


def test_a_person_with_a_taken_email_is_refused_and_not_saved(admin_client):
    PersonFactory(email="a.karimova@who.int")
    url = reverse("admin:stakeholders_person_add")
    data = form_data(admin_client.get(url))
    data.update(full_name="Aziza K.", email="A.Karimova@WHO.int")

    response = admin_client.post(url, data)

    assert response.status_code == 200
    assert set(form_errors(response)) == {"email"}
    assert Person.objects.count() == 1


def test_a_position_ending_before_it_begins_is_refused_and_not_saved(admin_client):
    person, organisation = PersonFactory(), OrganisationFactory()
    url = reverse("admin:stakeholders_position_add")
    data = form_data(admin_client.get(url))
    data.update(
        person=person.pk,
        organisation=organisation.pk,
        since="2025-02-01",
        until="2025-01-31",
    )

    response = admin_client.post(url, data)

    assert response.status_code == 200
    assert set(form_errors(response)) == {"until"}
    assert not Position.objects.exists()
