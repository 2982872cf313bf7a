"""The import preview with many questions: one per distinct name, a page of
them at a time, bulk choices for the rest, and never more fields posted than
Django accepts (DATA_UPLOAD_MAX_NUMBER_FIELDS)."""

import hashlib
import re

import pytest
from django.conf import settings

from meetings.imports.forms import (
    BULK_FROM,
    ORGANISATION_QUESTIONS_PER_PAGE,
    PERSON_QUESTIONS_PER_PAGE,
)
from meetings.services import demo_load
from stakeholders.models import Organisation, Person, Position
from tests.factories import MeetingFactory, OrganisationFactory
from tests.meetings.test_import import csv_data
from tests.meetings.test_import_admin import choices, preview, question_id

pytestmark = pytest.mark.django_db

NEW_NAMES = 600
RESEMBLING = 1500


# Letters no transliteration folds together (core.names._FOLDS), so
# that a word with a letter missing stays another word.
LETTERS = "abefgilmnoruvy"


def word(*parts, length=9):
    """A made-up word, far from any other word made up here."""
    digest = hashlib.sha256(repr(parts).encode()).digest()
    return "".join(LETTERS[b % len(LETTERS)] for b in digest[:length]).capitalize()


@pytest.fixture
def on_record():
    """15 organisations of 100 people each."""
    organisations = [
        OrganisationFactory(name=f"{word('org', n)} Agency", acronym=f"AG{n}")
        for n in range(15)
    ]
    people = Person.objects.bulk_create(
        Person(full_name=f"{word('person', n)} Karimov", email="")
        for n in range(RESEMBLING)
    )
    Position.objects.bulk_create(
        Position(person=person, organisation=organisations[n % 15])
        for n, person in enumerate(people)
    )
    return organisations, people


def big_sheet(organisations, people):
    """1,500 rows of people written as someone on record with a letter
    missing, at their organisation; then each of 600 new organisation names
    twice, written differently (one question each): once alone, once with a
    new person."""
    rows = [
        [organisations[n % 15].name, f"{person.full_name.split()[0][:-1]} Karimov"]
        for n, person in enumerate(people)
    ]
    for n in range(NEW_NAMES):
        name = f"{word('new', n)} {word('kind', n)} Foundation"
        rows += [[name, ""], [f"  {name.upper()} ", f"{word('new person', n)} Aliev"]]
    return csv_data(rows)


def posted_fields(response):
    """The names of the fields the preview's form posts."""
    form = response.content.decode().split('<form method="post"', 1)[1]
    form = form.split("</form>", 1)[0]
    return re.findall(r'<(?:input|select|textarea|button)[^>]*\bname="([^"]+)"', form)


def test_a_sheet_of_many_new_names_is_previewed_decided_in_bulk_and_imported(
    admin_client, on_record
):
    organisations, people = on_record
    meeting = MeetingFactory()
    rows = RESEMBLING + 2 * NEW_NAMES
    people_before = Person.objects.count()

    response = preview(admin_client, meeting, big_sheet(organisations, people))

    assert response.status_code == 200
    plan = response.context["plan"]
    assert len(plan.rows) == rows
    # One question per distinct name, not per row.
    assert len(plan.organisation_questions) == NEW_NAMES
    assert len(plan.person_questions) == RESEMBLING
    form = response.context["form"]
    assert form.pages == RESEMBLING // PERSON_QUESTIONS_PER_PAGE
    assert len(form.organisation_questions) == ORGANISATION_QUESTIONS_PER_PAGE
    assert len(form.person_questions) == PERSON_QUESTIONS_PER_PAGE
    assert "Decide many at once" in response.content.decode()

    bulk = choices(
        response,
        **{
            "bulk-new": "unlike",
            "bulk-new-type": "ngo",
            "bulk-person": "90",
            "_preview": "1",
        },
    )
    assert len(bulk) < settings.DATA_UPLOAD_MAX_NUMBER_FIELDS
    applied = admin_client.post(response.request["PATH_INFO"], bulk, follow=True)

    assert applied.status_code == 200
    plan = applied.context["plan"]
    assert plan.is_ready
    assert plan.summary()["new_organisations"] == NEW_NAMES
    # Each resembling person is the one on record; those at the new
    # organisations are new.
    assert plan.summary()["new_people"] == NEW_NAMES
    assert all(q.chosen for q in plan.person_questions)

    done = admin_client.post(
        applied.request["PATH_INFO"], {**choices(applied), "_import": "1"}
    )

    assert done.status_code == 302
    # Each new organisation's row alone is folded into its new person's:
    # one row per organisation and meeting (meetings/folding.py).
    assert meeting.attendances.count() == rows - NEW_NAMES
    assert not meeting.attendances.filter(person__isnull=True).exists()
    assert Organisation.objects.filter(type__slug="ngo").count() == NEW_NAMES
    assert Person.objects.count() == people_before + NEW_NAMES


def test_every_page_of_the_preview_posts_fewer_fields_than_django_accepts(
    admin_client, on_record
):
    organisations, people = on_record
    response = preview(admin_client, MeetingFactory(), big_sheet(organisations, people))
    pages = response.context["form"].pages
    path = response.request["PATH_INFO"]

    counts = [
        len(posted_fields(admin_client.get(f"{path}?questions={page}")))
        for page in (1, pages // 2, pages)
    ]

    # A full page: 50 names of four fields, 100 people of one, the bulk
    # choices, the digest, the token and the buttons.
    assert 300 < counts[0] < settings.DATA_UPLOAD_MAX_NUMBER_FIELDS
    assert max(counts) < settings.DATA_UPLOAD_MAX_NUMBER_FIELDS


def test_turning_the_page_keeps_the_choices_of_the_page(admin_client):
    names = [[f"{word('page', n)} Council", ""] for n in range(60)]
    response = preview(admin_client, MeetingFactory(), csv_data(names))
    first = response.context["plan"].organisation_questions[0]

    turned = admin_client.post(
        response.request["PATH_INFO"],
        choices(response, **{f"org-{first.id}": "new", "_goto": "2"}),
        follow=True,
    )

    assert turned.context["form"].page == 2
    (question,) = [
        q for q in turned.context["plan"].organisation_questions if q.id == first.id
    ]
    assert question.choice.new_type == "other"
    assert len(turned.context["form"].organisation_questions) == 10


def test_a_choice_made_for_one_name_comes_before_the_bulk_choice(admin_client):
    names = [[f"{word('own', n)} Council", ""] for n in range(BULK_FROM)]
    response = preview(admin_client, MeetingFactory(), csv_data(names))
    mine = question_id(response, names[0][0])

    applied = admin_client.post(
        response.request["PATH_INFO"],
        choices(
            response,
            **{
                f"org-{mine}": "new",
                f"org-{mine}-type": "donor",
                "bulk-new": "unlike",
                "bulk-new-type": "ngo",
            },
        ),
        follow=True,
    )

    types = {
        q.text: q.choice.new_type
        for q in applied.context["plan"].organisation_questions
    }
    assert types.pop(names[0][0]) == "donor"
    assert set(types.values()) == {"ngo"}


def test_the_bulk_choice_uses_a_suggestion_only_from_its_score(admin_client):
    ministry = OrganisationFactory(name="Ministry of Digital Technologies")
    OrganisationFactory(name="Ministry of Health")
    written = [
        "Ministry of Digital Technologie",  # one letter off
        "Ministry of Digit Technology",  # further off than typos
        *(f"{word('other', n)} Trust" for n in range(BULK_FROM)),
    ]
    response = preview(admin_client, MeetingFactory(), csv_data([[w] for w in written]))
    close, far = (
        next(q for q in response.context["plan"].organisation_questions if q.text == w)
        for w in written[:2]
    )
    assert close.scores[0] > 96 > far.scores[0] >= 86

    applied = admin_client.post(
        response.request["PATH_INFO"],
        choices(response, **{"bulk-use": "96"}),
        follow=True,
    )

    chosen = {q.text: q.choice for q in applied.context["plan"].organisation_questions}
    assert chosen[written[0]].organisation_id == ministry.pk
    assert chosen[written[1]] is None
    # A suggestion taken in bulk is not remembered as another name: it may
    # be a typo.
    assert not chosen[written[0]].remember
    assert applied.context["plan"].new_names == {}


def test_the_bulk_creation_leaves_names_that_resemble_one_unless_asked(
    admin_client,
):
    OrganisationFactory(name="Ministry of Digital Technologies")
    written = [
        "Ministri of Digitl Tehnologies",
        *(f"{word('lone', n)} Trust" for n in range(BULK_FROM)),
    ]
    response = preview(admin_client, MeetingFactory(), csv_data([[w] for w in written]))
    path = response.request["PATH_INFO"]

    unlike = admin_client.post(
        path, choices(response, **{"bulk-new": "unlike"}), follow=True
    )
    everything = admin_client.post(
        path, choices(unlike, **{"bulk-new": "all"}), follow=True
    )

    assert [q.text for q in unlike.context["plan"].unresolved] == [written[0]]
    assert everything.context["plan"].is_ready


def test_the_seed_meetings_sheet_is_asked_as_before(admin_client):
    """The founding meeting's sheet, its ten organisations (by acronym where
    they have one) and a newcomer: one page, each question on its own, no
    bulk choices."""
    seed = demo_load()
    written = [
        [a.organisation.acronym or a.organisation.name, ""]
        for a in seed.attendances.select_related("organisation")
    ]
    response = preview(
        admin_client, MeetingFactory(), csv_data([*written, ["Acme Health LLC", ""]])
    )

    form = response.context["form"]
    assert len(written) == 10
    assert form.pages == 1
    assert form.bulk_fields() == []
    assert [q.text for q in form.organisation_questions] == ["Acme Health LLC"]
    content = response.content.decode()
    assert "Decide many at once" not in content
    assert "import-question-pages" not in content
    assert "Apply my choices to the preview" in content
