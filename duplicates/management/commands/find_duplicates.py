from django.core.management.base import BaseCommand
from tqdm import tqdm

from duplicates.services import KINDS, find


class Command(BaseCommand):
    help = (
        "Find organisations and people that may be duplicates (the same name "
        "in another script, an acronym equal to another's name, the same "
        "identifier, email or phone, a similar name) and list them for "
        "editors to review. Pairs marked 'not a duplicate' are never offered "
        "again. Safe while the application runs: it writes in short batches."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--kind",
            choices=sorted(KINDS),
            action="append",
            help="Only organisations or only people (default: both).",
        )
        parser.add_argument(
            "--no-progress", action="store_true", help="Do not show progress bars."
        )

    def handle(self, *args, kind, no_progress, verbosity, **options):
        for name in kind or sorted(KINDS):
            bar = None
            if not no_progress and verbosity:
                bar = tqdm(
                    desc=f"{name}: storing pairs", unit=" pairs", file=self.stderr
                )

            def on_progress(done, total, bar=bar):
                if bar is not None:
                    bar.total = total
                    bar.update(done - bar.n)

            try:
                found, stored, removed = find(name, on_progress=on_progress)
            finally:
                if bar is not None:
                    bar.close()
            self.stdout.write(
                f"{name}: {found} possible duplicate pairs found, {stored} to "
                f"review ({found - stored} marked not a duplicate before), "
                f"{removed} no longer found removed."
            )
