import os

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from core.names import name_key
from meetings.imports.planning import (
    DEFAULT_NEW_ORGANISATION_TYPE,
    Decisions,
    ImportNotReady,
    OrganisationChoice,
    PlanChanged,
    plan_import,
)
from meetings.imports.reading import read_sheet
from meetings.imports.sheets import MAX_FILE_SIZE, SheetError, too_big_message
from meetings.models import Meeting
from meetings.services import attendance_import


class Command(BaseCommand):
    help = (
        "Import a meeting's sign-in sheet (CSV or XLSX): every row or none. "
        "Without --create-missing nothing new is created: the command lists the "
        "organisations and people it would create and fails. Safe to run again: "
        "rows already recorded are left alone."
    )

    def add_arguments(self, parser):
        parser.add_argument("meeting_id", type=int)
        parser.add_argument("file")
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="Print what the import would do and write nothing.",
        )
        parser.add_argument(
            "--create-missing",
            action="store_true",
            help=(
                "Create the organisations (of --type) and people that match "
                "nothing on record. Names that resemble an organisation on record "
                "still need --map."
            ),
        )
        parser.add_argument(
            "--type",
            default=DEFAULT_NEW_ORGANISATION_TYPE,
            help="Type (slug) of the organisations --create-missing creates.",
        )
        parser.add_argument(
            "--map",
            action="append",
            default=[],
            metavar="NAME=ID",
            help=(
                "The organisation written NAME in the sheet is the organisation "
                "with id ID; NAME=new creates it (of --type). Repeatable."
            ),
        )
        parser.add_argument(
            "--user",
            help="Username the history of the import is attributed to.",
        )

    def handle(self, *args, meeting_id, file, **options):
        meeting = Meeting.objects.filter(pk=meeting_id).first()
        if meeting is None:
            raise CommandError(f"No meeting with id {meeting_id}.")
        user = None
        if options["user"]:
            user = (
                get_user_model()
                .objects.filter(**{get_user_model().USERNAME_FIELD: options["user"]})
                .first()
            )
            if user is None:
                raise CommandError(f"No user {options['user']!r}.")
        try:
            size = os.stat(file).st_size
            if size > MAX_FILE_SIZE:
                raise CommandError(too_big_message(size))
            with open(file, "rb") as stream:
                # One byte past the limit: the file may have grown since.
                data = stream.read(MAX_FILE_SIZE + 1)
        except OSError as error:
            # A directory, a file without read permission.
            raise CommandError(f"Cannot read {file}: {error.strerror}.") from None
        try:
            sheet = read_sheet(data, os.path.basename(file))
        except SheetError as error:
            raise CommandError(str(error)) from None
        for notice in sheet.notices:
            self.stdout.write(f"Note: {notice}")

        # Planned without the write lock (other editors keep saving), and
        # checked again inside the import's transaction.
        first = plan_import(meeting, sheet)
        decisions = self.decisions(first, first.index, options)
        plan = plan_import(meeting, sheet, decisions)
        self.report(plan, verbose=options["verbosity"] > 1)

        if not plan.is_ready:
            self.report_unresolved(plan)
            raise CommandError(plan.blocking_message())
        if (plan.new_organisations or plan.new_people) and not options[
            "create_missing"
        ]:
            self.report_new(plan)
            raise CommandError(
                "Nothing was imported: the sheet names organisations or people "
                "not on record. Check the names above, then run again with "
                "--create-missing to create them."
            )
        if options["dry_run"]:
            self.stdout.write("Dry run: nothing was written.")
            return

        with tqdm(
            total=len(sheet.rows), unit="row", desc="Importing", disable=None
        ) as bar:
            try:
                plan = attendance_import(
                    meeting=meeting,
                    sheet=sheet,
                    decisions=decisions,
                    user=user,
                    expected_digest=plan.digest,
                    progress=bar.update,
                    plan=plan,
                )
            except (ImportNotReady, PlanChanged) as error:
                raise CommandError(str(error)) from None
        self.stdout.write(self.style.SUCCESS(plan.result_message()))

    def decisions(self, plan, index, options):
        """Decisions from --map and --create-missing, for the questions of
        ``plan``."""
        if options["type"] not in index.types:
            raise CommandError(
                f"No organisation type {options['type']!r}; choose one of "
                f"{', '.join(sorted(index.types))}."
            )
        mapped = {}
        for item in options["map"]:
            name, sep, value = item.rpartition("=")
            if not sep or not name_key(name):
                raise CommandError(f"--map {item!r}: write NAME=ID or NAME=new.")
            if value.strip().lower() == "new":
                mapped[name_key(name)] = OrganisationChoice(new_type=options["type"])
            elif value.strip().isdigit() and self.exists(index, int(value)):
                mapped[name_key(name)] = OrganisationChoice(organisation_id=int(value))
            else:
                raise CommandError(f"--map {item!r}: no organisation with id {value}.")
        decisions = Decisions()
        for question in plan.organisation_questions:
            choice = mapped.pop(question.key, None)
            # A name that resembles an organisation on record is never
            # created without a --map: it is probably that organisation.
            create = options["create_missing"] and not question.suggestions
            if choice is None and create:
                choice = OrganisationChoice(new_type=options["type"])
            if choice is not None:
                decisions.organisations[question.id] = choice
        if mapped:
            self.stderr.write(
                "Warning: --map names not needed (they match an organisation, or "
                f"are not in the sheet): {', '.join(sorted(mapped))}"
            )
        return decisions

    @staticmethod
    def exists(index, organisation_id):
        """Whether ``organisation_id`` is an organisation's (the index holds
        only the organisations the sheet's names point to until asked)."""
        index.load_organisations([organisation_id])
        return organisation_id in index.organisations

    def report(self, plan, *, verbose):
        summary = plan.summary()
        self.stdout.write(
            f"{summary['rows']} rows: {summary['add']} to add, "
            f"{summary['update']} to update, {summary['unchanged']} unchanged, "
            f"{summary['repeat']} repeated, {summary['choice']} awaiting a choice, "
            f"{summary['error']} with errors; {summary['new_organisations']} new "
            f"organisations, {summary['new_people']} new people."
        )
        for row in plan.rows:
            for error in row.errors:
                self.stderr.write(error)
            if verbose:
                self.stdout.write(
                    f"Row {row.row.number}: {row.outcome_label}; "
                    f"{row.organisation_label or row.row.organisation}"
                    + (f"; {row.person_label}" if row.person_label else "")
                    + "".join(f" ({note})" for note in row.notes)
                )

    def report_unresolved(self, plan):
        for question in plan.unresolved:
            rows = ", ".join(map(str, question.rows[:10]))
            if question.error:
                self.stderr.write(question.error)
            elif question.suggestions:
                options = "; ".join(
                    f"{o.label} (--map “{question.text}={o.id}”)"
                    for o in question.suggestions
                )
                self.stderr.write(
                    f"“{question.text}” (rows {rows}) matches no organisation; it "
                    f"resembles {options}. Or create it: --map “{question.text}=new”."
                )
            else:
                self.stderr.write(
                    f"“{question.text}” (rows {rows}) matches no organisation "
                    "(--create-missing creates it)."
                )

    def report_new(self, plan):
        for organisation in plan.new_organisations.values():
            self.stderr.write(
                f"New organisation: {organisation.name} ({organisation.type_name})"
            )
        for person in list(plan.new_people.values())[:50]:
            self.stderr.write(f"New person: {person.full_name} {person.email}")
        if len(plan.new_people) > 50:
            self.stderr.write(f"…and {len(plan.new_people) - 50} more new people.")
