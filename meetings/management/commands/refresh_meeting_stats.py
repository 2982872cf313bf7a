from django.core.management.base import BaseCommand
from tqdm import tqdm

from meetings.stats import refresh_all_in_batches
from stakeholders.models import OrganisationType


class Command(BaseCommand):
    help = (
        "Recompute the stored meetings attended and last met of every "
        "organisation and person, the organisations taking part in every "
        "meeting, the organisation types of every person and meeting, from "
        "the attendance rows and positions, and the number of active "
        "organisations of each type. Needed only after rows were "
        "written outside Hamkor (raw SQL); Hamkor keeps them right itself. "
        "Safe while the application runs: it commits a short batch at a time."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--no-progress", action="store_true", help="Do not show progress bars."
        )

    def handle(self, *args, no_progress, verbosity, **options):
        bars = {}

        def on_progress(model, done, total):
            if no_progress or verbosity == 0:
                return
            if model not in bars:
                bars[model] = tqdm(
                    total=total,
                    desc=str(model._meta.verbose_name_plural),
                    unit=" ids",
                    file=self.stderr,
                )
            bars[model].update(done - bars[model].n)

        try:
            longest = refresh_all_in_batches(on_progress=on_progress)
        finally:
            for bar in bars.values():
                bar.close()
        # A dozen rows, one short statement.
        OrganisationType.objects.refresh_active_organisations()
        self.stdout.write(
            f"Meeting figures recomputed (the longest batch held the database "
            f"for {longest:.2f} s)."
        )
