"""Stakeholder assessments: the model's rules (scores 1 to 5 named by field,
no future date), history kept (a new assessment never overwrites an earlier
one), the organisation page's section and its form (editors record, viewers
cannot, bad input names the field and writes nothing), and the admin
(editors add and read, administrators alone change)."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.roles import ADMINISTRATOR, EDITOR
from stakeholders.models import Assessment
from tests.factories import AssessmentFactory, OrganisationFactory

pytestmark = pytest.mark.django_db

Stance = Assessment.Stance


def today():
    return timezone.localdate()


def days(n):
    return today() + datetime.timedelta(days=n)


@pytest.fixture
def user_of(django_user_model, role):
    def make(role_name, username=None):
        user = django_user_model.objects.create_user(
            username=username or role_name,
            password="a-long-test-password",
            first_name=role_name.title(),
        )
        user.groups.add(role(role_name))
        return user

    return make


@pytest.fixture
def editor_client(client, user_of):
    client.force_login(user_of(EDITOR))
    return client


def assess_url(organisation):
    return f"/organisations/{organisation.pk}/assess/"


def detail_url(organisation):
    return f"/organisations/{organisation.pk}/"


# The model


@pytest.mark.parametrize("field", ["influence", "interest"])
@pytest.mark.parametrize("score", [0, 6])
def test_a_score_outside_1_to_5_is_refused_naming_the_field(field, score):
    assessment = AssessmentFactory.build(
        organisation=OrganisationFactory(), **{field: score}
    )

    with pytest.raises(ValidationError) as refused:
        assessment.full_clean()

    assert list(refused.value.message_dict) == [field]


@pytest.mark.parametrize("field", ["influence", "interest"])
def test_the_database_refuses_a_score_outside_1_to_5(field):
    assessment = AssessmentFactory()

    with pytest.raises(IntegrityError), transaction.atomic():
        Assessment.objects.filter(pk=assessment.pk).update(**{field: 6})


def test_an_assessment_cannot_be_dated_in_the_future():
    assessment = AssessmentFactory.build(
        organisation=OrganisationFactory(), assessed_on=days(1)
    )

    with pytest.raises(ValidationError) as refused:
        assessment.full_clean()

    assert list(refused.value.message_dict) == ["assessed_on"]


@pytest.mark.parametrize(
    ("influence", "interest", "quadrant"),
    [
        (5, 5, "Manage closely"),
        (3, 3, "Manage closely"),
        (5, 1, "Keep satisfied"),
        (2, 4, "Keep informed"),
        (1, 2, "Monitor"),
    ],
)
def test_each_score_pair_falls_in_its_quadrant(influence, interest, quadrant):
    assessment = Assessment(influence=influence, interest=interest)

    assert assessment.quadrant.label == quadrant


def test_latest_per_organisation_takes_the_newest_date_then_the_newest_row():
    giz = OrganisationFactory(name="GIZ")
    AssessmentFactory(organisation=giz, assessed_on=days(-30), influence=1)
    same_day_first = AssessmentFactory(
        organisation=giz, assessed_on=days(-2), influence=2
    )
    newest = AssessmentFactory(organisation=giz, assessed_on=days(-2), influence=4)
    # Recorded later, but of an earlier day.
    AssessmentFactory(organisation=giz, assessed_on=days(-10), influence=5)
    other = AssessmentFactory(assessed_on=days(-40))

    latest = set(Assessment.objects.latest_per_organisation())
    on_day = set(Assessment.objects.latest_per_organisation(on=days(-3)))

    assert latest == {newest, other}
    assert same_day_first not in latest
    assert {a.influence for a in on_day if a.organisation_id == giz.pk} == {5}


# The organisation page


def test_the_page_shows_the_latest_assessment_and_the_earlier_ones(user_client):
    giz = OrganisationFactory(name="GIZ")
    AssessmentFactory(
        organisation=giz,
        assessed_on=datetime.date(2024, 3, 1),
        influence=2,
        interest=2,
        stance=Stance.NEUTRAL,
        note="Before the roadmap",
    )
    AssessmentFactory(
        organisation=giz,
        assessed_on=datetime.date(2025, 1, 29),
        influence=5,
        interest=4,
        stance=Stance.SUPPORTIVE,
        note="Co-funds the HIS roadmap",
    )

    response = user_client.get(detail_url(giz))

    assert response.status_code == 200
    text = response.content.decode()
    section = text[text.index('id="assessment-heading"') :]
    assert "Co-funds the HIS roadmap" in section
    assert "Supportive" in section
    assert "Manage closely" in section
    assert "Earlier assessments" in section
    assert "influence 2, interest 2, Neutral" in section
    assert "Before the roadmap" in section
    # A viewer gets no form.
    assert "Record a new assessment" not in text


def test_an_organisation_never_assessed_says_so(user_client):
    response = user_client.get(detail_url(OrganisationFactory()))

    assert "Not assessed yet." in response.content.decode()


def test_an_editor_records_an_assessment_from_the_page(editor_client):
    giz = OrganisationFactory(name="GIZ")
    earlier = AssessmentFactory(organisation=giz, assessed_on=days(-90), influence=2)

    page = editor_client.get(detail_url(giz))
    assert "Record a new assessment" in page.content.decode()
    response = editor_client.post(
        assess_url(giz),
        {
            "influence": "5",
            "interest": "4",
            "stance": "supportive",
            "assessed_on": today().isoformat(),
            "note": "Signed the MoU",
        },
    )

    assert response.status_code == 302
    assert response.url == f"{detail_url(giz)}#assessment-heading"
    new = Assessment.objects.exclude(pk=earlier.pk).get()
    assert (new.organisation, new.influence, new.interest, new.stance) == (
        giz,
        5,
        4,
        Stance.SUPPORTIVE,
    )
    assert new.assessed_by.username == EDITOR
    # The earlier one is kept as it was.
    earlier.refresh_from_db()
    assert earlier.influence == 2
    page = editor_client.get(detail_url(giz))
    assert [a.pk for a in page.context["assessments"]] == [new.pk, earlier.pk]
    assert "Assessment recorded" in page.content.decode()


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"influence": "0"}, "influence"),
        ({"influence": "6"}, "influence"),
        ({"interest": "many"}, "interest"),
        ({"stance": "hostile"}, "stance"),
        ({"assessed_on": "2999-01-01"}, "assessed_on"),
        ({"assessed_on": "29/13/2025"}, "assessed_on"),
    ],
)
def test_bad_input_shows_the_form_again_naming_the_field(editor_client, data, field):
    giz = OrganisationFactory(name="GIZ")
    valid = {
        "influence": "3",
        "interest": "3",
        "stance": "neutral",
        "assessed_on": today().isoformat(),
    }

    response = editor_client.post(assess_url(giz), {**valid, **data})

    assert response.status_code == 400
    form = response.context["assessment_form"]
    assert list(form.errors) == [field]
    assert f'id="id_{field}_error"' in response.content.decode()
    assert not Assessment.objects.exists()


def test_a_viewer_cannot_record_an_assessment(user_client):
    giz = OrganisationFactory()

    response = user_client.post(
        assess_url(giz), {"influence": "5", "interest": "5", "stance": "opposed"}
    )

    assert response.status_code == 403
    assert not Assessment.objects.exists()


def test_the_assess_address_answers_get_with_405(editor_client):
    response = editor_client.get(assess_url(OrganisationFactory()))

    assert response.status_code == 405


def test_an_unknown_organisation_is_404(editor_client):
    response = editor_client.post("/organisations/999999/assess/", {})

    assert response.status_code == 404


# The admin


def test_the_admin_sets_the_assessor_and_an_editor_can_add(client, user_of):
    client.force_login(user_of(EDITOR))
    giz = OrganisationFactory()

    response = client.post(
        "/admin/stakeholders/assessment/add/",
        {
            "organisation": giz.pk,
            "influence": "4",
            "interest": "2",
            "stance": "neutral",
            "assessed_on": today().isoformat(),
            "note": "",
        },
    )

    assert response.status_code == 302, response.context["adminform"].errors
    assessment = Assessment.objects.get()
    assert assessment.assessed_by.username == EDITOR
    assert assessment.history.count() == 1


def test_an_editor_reads_an_assessment_but_cannot_change_it(client, user_of):
    client.force_login(user_of(EDITOR))
    assessment = AssessmentFactory(influence=2)
    url = f"/admin/stakeholders/assessment/{assessment.pk}/change/"

    page = client.get(url)
    refused = client.post(url, {"influence": "5"})

    assert page.status_code == 200
    assert not page.context["has_change_permission"]
    assert refused.status_code == 403
    assessment.refresh_from_db()
    assert assessment.influence == 2


def test_an_administrator_corrects_an_assessment_and_history_keeps_it(client, user_of):
    client.force_login(user_of(ADMINISTRATOR))
    assessment = AssessmentFactory(influence=2, interest=2, stance=Stance.NEUTRAL)

    response = client.post(
        f"/admin/stakeholders/assessment/{assessment.pk}/change/",
        {
            "organisation": assessment.organisation_id,
            "influence": "3",
            "interest": "2",
            "stance": "neutral",
            "assessed_on": assessment.assessed_on.isoformat(),
            "note": "",
            "seen_version": assessment.version,
        },
    )

    assert response.status_code == 302
    assert [h.influence for h in assessment.history.order_by("history_date")] == [
        2,
        3,
    ]


def test_the_admin_list_finds_assessments_by_organisation_name(admin_client):
    AssessmentFactory(organisation=OrganisationFactory(name="Deutsche GIZ"))
    AssessmentFactory(organisation=OrganisationFactory(name="World Bank"))

    response = admin_client.get("/admin/stakeholders/assessment/", {"q": "giz"})

    found = response.context["cl"].result_list
    assert [a.organisation.name for a in found] == ["Deutsche GIZ"]


def test_the_admin_list_queries_do_not_grow_with_rows(
    admin_client, django_assert_num_queries
):
    AssessmentFactory.create_batch(2)
    # session, user, count, page (organisation and assessor joined), the
    # influence and interest filters' values
    with django_assert_num_queries(6):
        response = admin_client.get("/admin/stakeholders/assessment/")
    assert len(response.context["cl"].result_list) == 2

    AssessmentFactory.create_batch(28)
    with django_assert_num_queries(6):
        response = admin_client.get("/admin/stakeholders/assessment/")
    assert len(response.context["cl"].result_list) == 30


def test_the_organisation_change_form_links_to_its_assessments(admin_client):
    giz = OrganisationFactory()

    response = admin_client.get(f"/admin/stakeholders/organisation/{giz.pk}/change/")

    assert (
        f"/admin/stakeholders/assessment/?organisation__id__exact={giz.pk}"
        in response.content.decode()
    )


def test_the_demo_has_assessments_and_a_second_load_adds_none():
    from meetings.services import demo_load

    demo_load()
    first = Assessment.objects.count()
    demo_load()

    assert first == Assessment.objects.count() >= 10
    who = Assessment.objects.filter(organisation__acronym="WHO")
    assert who.latest_per_organisation().get().quadrant.label == "Manage closely"
