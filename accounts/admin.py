"""Users, groups and login records in the admin, without a way up.

Administrators manage users and groups, so Django's own admin would let one
tick "superuser status" on their own account, or put themself in a group
holding any permission, and then do what the rules reserve to nobody. Here a
user who is not a superuser

- cannot set superuser or staff status or a user's own permissions (these
  fields are read-only to them);
- can give a user only groups, and a group only permissions, that they hold
  themself;
- can change or delete only users who hold nothing they do not (so never a
  superuser: no resetting a superuser's password to become one), and only
  groups holding nothing they do not.

The login records of django-axes: lockouts (access attempts) are lifted by
deleting them; the access logs, successful and failed logins, are kept, and
nobody deletes them through the application, superusers included.

Each list answers a filter value the database cannot take (a day of year 1 on
SQLite) as a bad filter, like Hamkor's own lists, not with a 500.
"""

from axes.admin import AccessAttemptAdmin, AccessFailureLogAdmin, AccessLogAdmin
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.contrib import admin
from django.contrib.auth.admin import GroupAdmin, UserAdmin
from django.contrib.auth.forms import AdminPasswordChangeForm, SetUnusablePasswordMixin
from django.contrib.auth.models import Group, Permission, User
from django.db.models import Q
from django.utils.text import format_lazy
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from core.admin import HamkorChangeList

# Only a superuser may set these on a user.
SUPERUSER_FIELDS = ["is_superuser", "is_staff", "user_permissions"]


# Django stores a permission's name once, in English ("Can add meeting"); the
# admin's permission pickers name each in the reader's language instead.
DEFAULT_PERMISSIONS = {
    "add": _("Can add %(model)s"),
    "change": _("Can change %(model)s"),
    "delete": _("Can delete %(model)s"),
    "view": _("Can view %(model)s"),
}


def permission_label(permission):
    """``permission`` as the pickers show it: application | model | what it
    allows, all in the active language (a model's own permissions are named
    with a translatable string in its Meta, and found in the catalogue)."""
    model = permission.content_type.model_class()
    if model is None:
        return str(permission)
    action, _separator, model_name = permission.codename.partition("_")
    if action in DEFAULT_PERMISSIONS and model_name == model._meta.model_name:
        name = DEFAULT_PERMISSIONS[action] % {"model": model._meta.verbose_name}
    else:
        name = gettext(permission.name)
    opts = model._meta
    return f"{opts.app_config.verbose_name} | {opts.verbose_name} | {name}"


def translated_permissions(formfield):
    if formfield is not None:
        formfield.label_from_instance = permission_label
    return formfield


def permissions_held(user):
    """The permissions ``user`` holds, their own and their groups', whether
    or not the account is active (an inactive account can be activated)."""
    return Permission.objects.filter(Q(user=user) | Q(group__user=user)).distinct()


def may_manage(actor, user):
    """Whether ``actor`` may change or delete ``user``: a superuser anyone,
    anyone else only users with no power they lack."""
    if actor.is_superuser:
        return True
    if user.is_superuser:
        return False
    held = permissions_held(actor).values("pk")
    return not permissions_held(user).exclude(pk__in=held).exists()


def grantable_groups(actor):
    """The groups ``actor`` may give: those holding nothing ``actor`` lacks."""
    if actor.is_superuser:
        return Group.objects.all()
    lacking = Permission.objects.exclude(pk__in=permissions_held(actor).values("pk"))
    return Group.objects.exclude(permissions__in=lacking)


admin.site.unregister(User)
admin.site.unregister(Group)
admin.site.unregister(AccessLog)
admin.site.unregister(AccessFailureLog)
admin.site.unregister(AccessAttempt)


class SafeFiltersMixin:
    """Bad filter values answered as Hamkor's lists answer them."""

    def get_changelist(self, request, **kwargs):
        return HamkorChangeList


class PasswordChangeForm(AdminPasswordChangeForm):
    """Django's form, its warning in the reader's language: Django joins the
    warning to the translated help text once, at import, untranslated."""

    usable_password_help_text = format_lazy(
        '{}<ul id="id_unusable_warning" class="messagelist"><li class="warning">'
        "{}</li></ul>",
        SetUnusablePasswordMixin.usable_password_help_text,
        _("If disabled, the current password for this user will be lost."),
    )


@admin.register(User)
class HamkorUserAdmin(SafeFiltersMixin, UserAdmin):
    change_password_form = PasswordChangeForm

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        if not request.user.is_superuser:
            fields += SUPERUSER_FIELDS
        return fields

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if db_field.name == "groups":
            kwargs["queryset"] = grantable_groups(request.user)
        formfield = super().formfield_for_manytomany(db_field, request, **kwargs)
        if db_field.name == "user_permissions":
            return translated_permissions(formfield)
        return formfield

    def has_change_permission(self, request, obj=None):
        if obj is not None and not may_manage(request.user, obj):
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        if obj is not None and not may_manage(request.user, obj):
            return False
        return super().has_delete_permission(request, obj)


@admin.register(Group)
class HamkorGroupAdmin(SafeFiltersMixin, GroupAdmin):
    def formfield_for_manytomany(self, db_field, request=None, **kwargs):
        if db_field.name == "permissions" and not request.user.is_superuser:
            kwargs["queryset"] = permissions_held(request.user)
        formfield = super().formfield_for_manytomany(db_field, request, **kwargs)
        if db_field.name == "permissions":
            return translated_permissions(formfield)
        return formfield

    def has_change_permission(self, request, obj=None):
        if obj is not None and not self.may_manage(request, obj):
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        if obj is not None and not self.may_manage(request, obj):
            return False
        return super().has_delete_permission(request, obj)

    def may_manage(self, request, group):
        return grantable_groups(request.user).filter(pk=group.pk).exists()


class KeptLogMixin(SafeFiltersMixin):
    """A log nobody deletes through the application."""

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(AccessLog)
class HamkorAccessLogAdmin(KeptLogMixin, AccessLogAdmin):
    pass


@admin.register(AccessFailureLog)
class HamkorAccessFailureLogAdmin(KeptLogMixin, AccessFailureLogAdmin):
    pass


@admin.register(AccessAttempt)
class HamkorAccessAttemptAdmin(SafeFiltersMixin, AccessAttemptAdmin):
    pass
