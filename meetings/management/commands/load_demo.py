from django.core.management.base import BaseCommand

from meetings.services import demo_load


class Command(BaseCommand):
    help = (
        "Load the founding example, the meeting of 29 January 2025, as demo data. "
        "Safe to run again: it adds nothing that is already there."
    )

    def handle(self, *args, **options):
        meeting = demo_load()
        self.stdout.write(
            f"Demo meeting: {meeting} "
            f"({meeting.attendances.count()} organisations attending)"
        )
