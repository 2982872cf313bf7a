import pytest
from django.core.management import call_command

from meetings.models import AgendaItem, Attendance, Meeting, Topic
from meetings.services import demo_load
from stakeholders.models import Organisation, OrganisationName

pytestmark = pytest.mark.django_db

UZINFOCOM = (
    "Unified Integrator for the Development and Support of State Information Systems"
)

# Every organisation the article says took part, and the role it played.
PARTICIPANTS = {
    "WHO Representative Office in Uzbekistan": Attendance.Role.HOST,
    "Ministry of Health of the Republic of Uzbekistan": Attendance.Role.PARTICIPANT,
    "Ministry of Digital Technologies of the Republic of Uzbekistan": (
        Attendance.Role.PARTICIPANT
    ),
    "State Health Insurance Fund": Attendance.Role.PARTICIPANT,
    'Project Office "Center for Healthcare Projects"': Attendance.Role.PARTICIPANT,
    "Statistics Agency under the President of the Republic of Uzbekistan": (
        Attendance.Role.PARTICIPANT
    ),
    UZINFOCOM: Attendance.Role.PRESENTER,
    "KfW Bank": Attendance.Role.PARTICIPANT,
    "United Nations Office for Project Services": Attendance.Role.PARTICIPANT,
    "Deutsche Gesellschaft für Internationale Zusammenarbeit": (
        Attendance.Role.PARTICIPANT
    ),
}


def test_every_listed_organisation_attends_with_its_role():
    meeting = demo_load()

    roles = {
        a.organisation.name: a.role
        for a in meeting.attendances.select_related("organisation")
    }
    assert roles == PARTICIPANTS
    assert not meeting.attendances.filter(person__isnull=False).exists()
    assert set(meeting.attendances.values_list("status", flat=True)) == {
        Attendance.Status.ATTENDED
    }


def test_the_meeting_has_its_date_host_initiators_and_agenda():
    meeting = demo_load()

    local = meeting.local_start
    assert (local.year, local.month, local.day) == (2025, 1, 29)
    assert meeting.date_only
    assert meeting.status == Meeting.Status.HELD
    assert meeting.host.name == "WHO Representative Office in Uzbekistan"
    assert meeting.host.parent.acronym == "WHO"
    assert {o.acronym for o in meeting.initiators.all()} == {"WHO", "UZINFOCOM"}
    assert [item.topic.name for item in meeting.agenda_items.order_by("order")] == [
        "WHO initiatives in digital healthcare",
        "Collaboration on the digitalisation of healthcare",
        "National healthcare information system",
    ]


def test_organisations_have_the_types_and_parents_the_article_states():
    demo_load()

    def type_of(acronym):
        return Organisation.objects.get(acronym=acronym).type.slug

    assert {type_of("KfW"), type_of("GIZ"), type_of("UNOPS")} == {"donor"}
    assert type_of("UZINFOCOM") == "integrator"
    statistics = Organisation.objects.get(name__startswith="Statistics Agency")
    assert statistics.parent.name == "President of the Republic of Uzbekistan"
    assert statistics.type.slug == "government-agency"


def test_it_creates_no_people():
    meeting = demo_load()

    assert not meeting.attendances.exclude(person=None).exists()
    from stakeholders.models import Person

    assert Person.objects.count() == 0


def test_loading_twice_creates_no_duplicates():
    def counts():
        return [
            m.objects.count()
            for m in (
                Organisation,
                OrganisationName,
                Meeting,
                Topic,
                AgendaItem,
                Attendance,
            )
        ]

    demo_load()
    first = counts()
    demo_load()

    assert counts() == first
    assert first[2:] == [1, 3, 3, 10]


def test_the_command_reports_the_meeting(capsys):
    call_command("load_demo")

    assert "10 organisations attending" in capsys.readouterr().out
