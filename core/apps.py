from django.apps import AppConfig
from django.db.backends.signals import connection_created
from django.db.models.signals import post_migrate
from django.test.signals import setting_changed
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "core"
    verbose_name = _("Core")

    def ready(self):
        from . import library_text, models, search, sqlite

        library_text.install()
        setting_changed.connect(
            models.clear_choice_labels, dispatch_uid="hamkor_choice_labels"
        )

        connection_created.connect(sqlite.install, dispatch_uid="hamkor_sqlite_case")
        # Once per migrate (sender): the indexes of every app's searchable
        # models. migrate signals only the apps that have a models module;
        # core's holds the abstract base model.
        post_migrate.connect(
            search.index_repair, sender=self, dispatch_uid="hamkor_search_index"
        )
