from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand

from accounts.access import render_markdown

DOC = Path(settings.BASE_DIR) / "docs" / "permissions.md"


class Command(BaseCommand):
    help = "Write docs/permissions.md from the permission matrix (accounts/access.py)."

    def handle(self, *args, **options):
        DOC.parent.mkdir(exist_ok=True)
        DOC.write_text(render_markdown(), encoding="utf-8")
        self.stdout.write(f"Wrote {DOC.relative_to(settings.BASE_DIR)}.")
