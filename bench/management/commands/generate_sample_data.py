import argparse

from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from bench.sample_data import existing_data, sample_data_generate
from bench.sample_plan import DEFAULT_SEED, SCALES, Plan


class Command(BaseCommand):
    help = (
        "Fill the configured database with synthetic, obviously fake sample data "
        "(names start with 'Sample', emails are @example.org) for load tests. "
        "Scale M is 1,000 organisations, 5,000 people, 500 meetings and 25,000 "
        "attendance rows; S is a tenth of that, L ten times, XL a hundred times. "
        "The same seed gives the same data."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--scale", choices=list(SCALES), default="S", help="How much data (S)."
        )
        # For the test suite: any multiple of scale M.
        parser.add_argument("--factor", type=float, help=argparse.SUPPRESS)
        parser.add_argument(
            "--seed",
            type=int,
            default=DEFAULT_SEED,
            help=f"Random seed ({DEFAULT_SEED}).",
        )
        existing = parser.add_mutually_exclusive_group()
        existing.add_argument(
            "--force",
            action="store_true",
            help=(
                "Delete every organisation, person, meeting and topic in the "
                "database, with their history, before generating. Organisation "
                "types and users stay."
            ),
        )
        existing.add_argument(
            "--append",
            action="store_true",
            help="Add the sample data beside the data already in the database.",
        )
        parser.add_argument(
            "--no-progress", action="store_true", help="Do not show progress bars."
        )

    def handle(self, *args, **options):
        if options["factor"] is not None:
            if options["factor"] <= 0:
                raise CommandError("--factor must be positive.")
            plan, label = Plan.for_factor(options["factor"]), f"x{options['factor']:g}"
        else:
            plan, label = Plan.for_scale(options["scale"]), options["scale"]

        found = existing_data()
        if found and not (options["force"] or options["append"]):
            described = ", ".join(f"{count:,} {name}" for name, count in found.items())
            raise CommandError(
                f"The database {connection.settings_dict['NAME']} already holds data "
                f"({described}). Nothing was written. Pass --append to add sample "
                "data beside it, or --force to delete it first."
            )

        verbosity = options["verbosity"]
        if verbosity:
            self.stdout.write(
                f"Generating scale {label} into {connection.vendor} database "
                f"{connection.settings_dict['NAME']}: {plan.organisations:,} "
                f"organisations, {plan.people:,} people, {plan.meetings:,} "
                f"meetings, {plan.attendance:,} attendance rows"
                + (" (deleting the existing data first)" if options["force"] else "")
            )
        progress = verbosity > 0 and not options["no_progress"]
        counts, seconds = sample_data_generate(
            plan=plan,
            seed=options["seed"],
            progress=progress,
            replace=options["force"],
        )
        if verbosity:
            written = ", ".join(
                f"{count:,} {name.replace('_', ' ')}"
                for name, count in counts.as_dict().items()
            )
            self.stdout.write(
                self.style.SUCCESS(f"Wrote {written} in {seconds:.1f} s.")
            )
