import os
import secrets

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = (
        "Create the demo superuser 'admin' once. The password comes from "
        "DEMO_PASSWORD, else it is generated and printed. An existing 'admin' is "
        "left as it is."
    )

    username = "admin"

    def handle(self, *args, **options):
        User = get_user_model()
        if User.objects.filter(username=self.username).exists():
            self.stdout.write(
                f"Log in as '{self.username}' with the password set before "
                f"(forgotten? manage.py changepassword {self.username})."
            )
            return
        password = os.environ.get("DEMO_PASSWORD") or secrets.token_urlsafe(12)
        User.objects.create_superuser(username=self.username, password=password)
        if os.environ.get("DEMO_PASSWORD"):
            self.stdout.write(
                f"Created '{self.username}' with the password in DEMO_PASSWORD."
            )
        else:
            self.stdout.write(
                f"Created '{self.username}' with the password: {password}\n"
                "(shown once; set DEMO_PASSWORD before the first run to choose it)"
            )
