from django.apps import AppConfig
from django.db.backends.signals import connection_created
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class StakeholdersConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "stakeholders"
    verbose_name = _("Stakeholders")

    def ready(self):
        from core import search, sqlite

        connection_created.connect(sqlite.install, dispatch_uid="hamkor_sqlite_case")
        # Once per migrate (sender): the indexes of every app's searchable models.
        post_migrate.connect(
            search.index_repair, sender=self, dispatch_uid="hamkor_search_index"
        )
