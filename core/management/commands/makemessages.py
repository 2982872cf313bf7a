"""Django's ``makemessages`` for Hamkor: the same command, run from the
project's root, that knows which files hold the interface's text.

``make messages`` runs it for every language of ``settings.LANGUAGES`` but
English (in which the messages are written), for both domains: ``django``
(Python and templates) and ``djangojs`` (``static/js``).
``tests/core/test_catalogues.py`` runs it into a temporary directory
(``--output-dir``) to find messages the committed catalogues lack.
"""

from pathlib import Path

from django.core.management.commands import makemessages

from core.catalogues import catalogue_languages

# What is not the interface: tests, the benchmark, collected and vendored
# static files, the virtual environments.
IGNORED = [
    "tests/*",
    "bench/*",
    "staticfiles/*",
    "static/vendor/*",
    "test-artifacts/*",
    "locale/*",
    "docs/*",
]


class Command(makemessages.Command):
    help = (
        f"{makemessages.Command.help} Hamkor's own: ignores {', '.join(IGNORED)}, "
        "writes the source file of each message without line numbers (stable "
        "diffs), and can write into another directory (--output-dir)."
    )

    def add_arguments(self, parser):
        super().add_arguments(parser)
        parser.add_argument(
            "--output-dir",
            help="Write the catalogues under this directory (DIR/<language>/"
            "LC_MESSAGES/) instead of locale/, e.g. to compare them with "
            "locale/'s.",
        )

    def handle(self, *args, **options):
        if options["all"]:
            # Django's --all takes every folder of locale/ for a language,
            # locale/libraries/ too.
            options["all"] = False
            options["locale"] = catalogue_languages()
        options["ignore_patterns"] = [*options["ignore_patterns"], *IGNORED]
        if options["add_location"] is None:
            options["add_location"] = "file"
        self.output_dir = options["output_dir"]
        super().handle(*args, **options)

    def build_potfiles(self):
        # ``handle`` has chosen where each file's messages go (locale/):
        # everything goes to the output directory instead.
        if self.output_dir:
            path = str(Path(self.output_dir).resolve())
            Path(path).mkdir(parents=True, exist_ok=True)
            self.locale_paths = [path]
            self.default_locale_path = path
        return super().build_potfiles()
