from django.core.management.base import BaseCommand

from meetings.stats import refresh_all


class Command(BaseCommand):
    help = (
        "Recompute the stored meetings attended and last met of every "
        "organisation and person, the organisations taking part in every "
        "meeting, and the organisation types of every person and meeting, from "
        "the attendance rows and positions. Needed only after rows were "
        "written outside Hamkor (raw SQL); Hamkor keeps them right itself."
    )

    def handle(self, *args, **options):
        refresh_all()
        self.stdout.write("Meeting figures recomputed.")
