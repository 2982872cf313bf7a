import os
import secrets

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from accounts.roles import EDITOR, VIEWER

# The demo's accounts besides 'admin', one a role, so that each role can be
# tried: username -> role (group).
DEMO_ACCOUNTS = {"viewer": VIEWER, "editor": EDITOR}


class Command(BaseCommand):
    help = (
        "Create the demo accounts once: the superuser 'admin', and 'viewer' and "
        "'editor' in the roles of those names. The password comes from "
        "DEMO_PASSWORD, else it is generated and printed; the accounts created "
        "together share it. An existing account is left as it is."
    )

    username = "admin"

    @transaction.atomic
    def handle(self, *args, **options):
        User = get_user_model()
        existing = set(
            User.objects.filter(
                username__in=[self.username, *DEMO_ACCOUNTS]
            ).values_list("username", flat=True)
        )
        chosen = os.environ.get("DEMO_PASSWORD")
        password = chosen or secrets.token_urlsafe(12)
        created = []
        if self.username not in existing:
            User.objects.create_superuser(username=self.username, password=password)
            created.append(self.username)
        for username, role in DEMO_ACCOUNTS.items():
            if username in existing:
                continue
            group = Group.objects.filter(name=role).first()
            if group is None:
                # Made by the role migration (accounts/migrations/0001_roles).
                raise CommandError(
                    f"No group {role!r}: run manage.py migrate first. "
                    "Nothing was created."
                )
            user = User.objects.create_user(username=username, password=password)
            user.groups.add(group)
            created.append(username)

        kept = [name for name in [self.username, *DEMO_ACCOUNTS] if name in existing]
        if kept:
            self.stdout.write(
                "Log in as "
                + ", ".join(f"'{name}'" for name in kept)
                + " with the password set before (forgotten? manage.py "
                "changepassword USERNAME)."
            )
        if not created:
            return
        names = ", ".join(f"'{name}'" for name in created)
        if chosen:
            self.stdout.write(f"Created {names} with the password in DEMO_PASSWORD.")
        else:
            self.stdout.write(
                f"Created {names} with the password: {password}\n"
                "(shown once; set DEMO_PASSWORD before the first run to choose it)"
            )
