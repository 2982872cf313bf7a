from django.apps import AppConfig
from django.db.backends.signals import connection_created
from django.utils.translation import gettext_lazy as _


class StakeholdersConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "stakeholders"
    verbose_name = _("Stakeholders")

    def ready(self):
        from . import sqlite

        connection_created.connect(sqlite.install, dispatch_uid="hamkor_sqlite_case")
