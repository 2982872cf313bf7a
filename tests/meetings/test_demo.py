import io
import shlex
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

from accounts.roles import role_of
from meetings.models import AgendaItem, Attendance, FollowUp, Meeting, Topic
from meetings.services import demo_load
from stakeholders.models import Organisation, OrganisationName, Person

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


# `make run`: the demo's accounts and its sample data (issue 16).

ROOT = Path(__file__).resolve().parents[2]


def sample_data_command():
    """The command `make run` prints, as the Makefile spells it."""
    (line,) = [
        line
        for line in (ROOT / "Makefile").read_text().splitlines()
        if line.startswith("SAMPLE_DATA_COMMAND :=")
    ]
    return line.split(":=", 1)[1].strip().replace("$(MANAGE)", MANAGE)


MANAGE = ".venv/bin/python manage.py"


def test_the_demo_has_an_account_for_each_role(monkeypatch, client):
    monkeypatch.setenv("DEMO_PASSWORD", "demo-password-16")
    call_command("load_demo", stdout=io.StringIO())
    out = io.StringIO()

    call_command("ensure_admin", stdout=out)

    assert "'admin', 'viewer', 'editor'" in out.getvalue()
    users = {u.username: u for u in get_user_model().objects.all()}
    assert {name: role_of(user) for name, user in users.items()} == {
        "admin": "administrator",
        "viewer": "viewer",
        "editor": "editor",
    }
    assert all(u.check_password("demo-password-16") for u in users.values())
    # Each can try what its role allows, and no more.
    client.force_login(users["viewer"])
    assert client.get("/meetings/").status_code == 200
    assert client.get("/admin/meetings/meeting/").status_code == 302
    client.force_login(users["editor"])
    assert client.get("/admin/meetings/meeting/").status_code == 200
    assert client.get("/admin/auth/user/").status_code == 403


def test_the_demo_accounts_are_made_once(monkeypatch):
    monkeypatch.setenv("DEMO_PASSWORD", "demo-password-16")
    call_command("ensure_admin", stdout=io.StringIO())
    monkeypatch.setenv("DEMO_PASSWORD", "another")
    out = io.StringIO()

    call_command("ensure_admin", stdout=out)

    assert "Created" not in out.getvalue()
    assert get_user_model().objects.count() == 3
    assert (
        get_user_model()
        .objects.get(username="viewer")
        .check_password("demo-password-16")
    )


def test_the_readme_shows_the_sample_data_command_make_run_prints():
    command = sample_data_command()

    assert command in (ROOT / "README.md").read_text()
    assert command.startswith(f"DEBUG=true {MANAGE} generate_sample_data ")


def test_the_sample_data_command_adds_labelled_data_to_the_demo():
    meeting = demo_load()
    args = shlex.split(sample_data_command().removeprefix(f"DEBUG=true {MANAGE} "))

    call_command(*args, no_progress=True, stdout=io.StringIO())

    assert Meeting.objects.filter(pk=meeting.pk).exists()
    sample = Meeting.objects.exclude(pk=meeting.pk)
    assert sample.exists()
    assert all(m.title.startswith("Sample") for m in sample)
    assert Person.objects.exists()
    assert all(p.full_name.startswith("Sample") for p in Person.objects.all())
    assert FollowUp.objects.exists()
