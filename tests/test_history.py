"""Every change is recorded: each channel leaves exactly one history entry per
changed object, with the user and the time."""

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone

from meetings.models import Attendance, Meeting
from stakeholders.models import Organisation
from tests.factories import MeetingFactory, OrganisationFactory
from tests.stakeholders.test_admin import form_data

pytestmark = pytest.mark.django_db


def test_an_admin_edit_leaves_one_entry_with_the_user(admin_client, superuser):
    organisation = OrganisationFactory(name="Old name")
    url = reverse("admin:stakeholders_organisation_change", args=[organisation.pk])
    data = form_data(admin_client.get(url))
    data["name"] = "New name"
    before = timezone.now()

    admin_client.post(url, data)

    changes = organisation.history.filter(history_type="~")
    assert changes.count() == 1
    entry = changes.get()
    assert entry.history_user == superuser
    assert entry.history_date >= before
    assert entry.name == "New name"


def test_an_admin_action_leaves_one_entry_per_changed_row(admin_client, superuser):
    meetings = MeetingFactory.create_batch(3, status=Meeting.Status.PLANNED)

    admin_client.post(
        reverse("admin:meetings_meeting_changelist"),
        {"action": "mark_held", "_selected_action": [m.pk for m in meetings]},
    )

    for meeting in meetings:
        changes = meeting.history.filter(history_type="~")
        assert [(c.status, c.history_user) for c in changes] == [
            (Meeting.Status.HELD, superuser)
        ]


def test_a_management_command_records_the_user_it_names(superuser):
    call_command("load_demo", "--user", superuser.username)

    for model in (Organisation, Meeting, Attendance):
        users = set(model.history.values_list("history_user", flat=True))
        assert users == {superuser.pk}
    # One creation entry per object, nothing more.
    assert Organisation.history.count() == Organisation.objects.count()


def test_a_management_command_refuses_an_unknown_user():
    with pytest.raises(CommandError, match="No user named 'nobody'"):
        call_command("load_demo", "--user", "nobody")
    assert not Organisation.objects.exists()


def test_history_outside_a_command_has_no_user_left_over(superuser):
    call_command("load_demo", "--user", superuser.username)

    organisation = OrganisationFactory()

    assert organisation.history.get().history_user is None
