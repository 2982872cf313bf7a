from django.core.management.base import BaseCommand, CommandError

from core.catalogues import (
    DOMAINS,
    catalogue_languages,
    catalogue_path,
    libraries_dir,
    vendor,
    write_po,
)


class Command(BaseCommand):
    help = (
        "Write locale/libraries/<language>/LC_MESSAGES/: the messages of Django "
        "and the installed libraries that their own catalogues leave "
        "untranslated in each interface language (or spell wrongly), keeping "
        "the translations already there. Run it after upgrading a library, "
        "then translate what it adds."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "-l",
            "--language",
            action="append",
            dest="languages",
            help="A locale to write (uz, ru); every interface language but "
            "English when not given. Repeatable.",
        )
        parser.add_argument(
            "--check",
            action="store_true",
            help="Write nothing; fail if a catalogue would change.",
        )

    def handle(self, *args, languages=None, check=False, **options):
        languages = languages or catalogue_languages()
        unknown = set(languages) - set(catalogue_languages())
        if unknown:
            raise CommandError(
                f"Not an interface language: {', '.join(sorted(unknown))}; "
                f"choose among {', '.join(catalogue_languages())}."
            )
        stale = []
        for language in languages:
            for domain in DOMAINS:
                result = vendor(language, domain)
                path = catalogue_path(libraries_dir(), language, domain)
                count = len(result.messages) - 1
                self.stdout.write(
                    f"{path}: {count} messages, {len(result.added)} new, "
                    f"{len(result.dropped)} dropped, "
                    f"{len(result.untranslated)} untranslated."
                )
                if check:
                    if result.added or result.dropped:
                        stale.append(str(path))
                    continue
                write_po(path, result.messages)
        if stale:
            raise CommandError(
                "The libraries' messages changed since these were written: "
                f"{', '.join(stale)}. Run manage.py vendor_messages."
            )
