from axes import apps as axes_apps
from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    default = True
    default_auto_field = "django.db.models.BigAutoField"
    name = "accounts"
    verbose_name = _("Accounts and roles")

    def ready(self):
        from django.contrib.auth.signals import user_logged_in

        from .languages import remember_language
        from .middleware import start_idle_clock

        user_logged_in.connect(start_idle_clock, dispatch_uid="hamkor_idle_clock")
        user_logged_in.connect(remember_language, dispatch_uid="hamkor_language")


class HamkorAdminConfig(admin_apps.AdminConfig):
    """The Django admin, on a site that lets users in by role (see sites.py)."""

    default = False
    default_site = "accounts.sites.HamkorAdminSite"


class LoginAttemptsConfig(axes_apps.AppConfig):
    """django-axes, named in the reader's language in the admin (its own
    name, "Axes", is not translatable)."""

    default = False
    verbose_name = _("Login attempts")

    def ready(self):
        super().ready()
        from accounts import login_records

        login_records.install()
