from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from core.services import recorded_as
from meetings.services import demo_load


class Command(BaseCommand):
    help = (
        "Load the founding example, the meeting of 29 January 2025, as demo data. "
        "Safe to run again: it adds nothing that is already there."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--user",
            help="Username the history records the new rows under (default: none).",
        )

    def handle(self, *args, user=None, **options):
        account = None
        if user:
            try:
                account = get_user_model().objects.get(username=user)
            except get_user_model().DoesNotExist:
                raise CommandError(f"No user named {user!r}.") from None
        with recorded_as(account):
            meeting = demo_load()
        self.stdout.write(
            f"Demo meeting: {meeting} "
            f"({meeting.attendances.count()} organisations attending)"
        )
