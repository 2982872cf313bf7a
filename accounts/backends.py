"""The authentication backend: Django's ModelBackend, with a signed-in
user's permissions read in the query that reads the user."""

from functools import cache

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.db.models.expressions import RawSQL

SEPARATOR = ","


def permission_names_sql(through, permission_column, owner):
    """A subquery of the outer user's permissions by way of ``through`` (a
    many-to-many table from an owner to permissions), as ModelBackend names
    them ("app_label.codename"), joined by SEPARATOR; null for none.
    ``owner``: the SQL of the owner's key in the outer query."""
    quote = connection.ops.quote_name
    joined = "STRING_AGG" if connection.vendor == "postgresql" else "GROUP_CONCAT"
    permission = quote(Permission._meta.db_table)
    content_type = quote(ContentType._meta.db_table)
    # Only identifiers from the models' metadata are interpolated.
    return (
        f"(SELECT {joined}(ct.{quote('app_label')} || '.' || p.{quote('codename')}, "  # noqa: S608
        f"'{SEPARATOR}')"
        f" FROM {permission} p"
        f" JOIN {quote(through)} t ON t.{quote(permission_column)} = p.{quote('id')}"
        f" JOIN {content_type} ct"
        f" ON ct.{quote('id')} = p.{quote('content_type_id')}"
        f" WHERE {owner})"
    )


def outer_user_key():
    """The SQL of the outer query's user key."""
    user = get_user_model()
    quote = connection.ops.quote_name
    return f"{quote(user._meta.db_table)}.{quote(user._meta.pk.column)}"


def own_permissions_sql():
    quote = connection.ops.quote_name
    field = get_user_model()._meta.get_field("user_permissions")
    owner = f"t.{quote(field.m2m_column_name())} = {outer_user_key()}"
    return permission_names_sql(
        field.remote_field.through._meta.db_table, field.m2m_reverse_name(), owner
    )


def group_permissions_sql():
    quote = connection.ops.quote_name
    groups = get_user_model()._meta.get_field("groups")
    permissions = Group._meta.get_field("permissions")
    # The groups of the outer user: their key in the user's groups table
    # (identifiers from the models' metadata alone).
    owner = (
        f"t.{quote(permissions.m2m_column_name())} IN ("  # noqa: S608
        f"SELECT {quote(groups.m2m_reverse_name())}"
        f" FROM {quote(groups.remote_field.through._meta.db_table)}"
        f" WHERE {quote(groups.m2m_column_name())} = {outer_user_key()})"
    )
    return permission_names_sql(
        permissions.remote_field.through._meta.db_table,
        permissions.m2m_reverse_name(),
        owner,
    )


@cache
def permission_subqueries(vendor):
    """The two subqueries' SQL (own, groups'), built once per process for
    the engine ``vendor``: they depend on the models' metadata alone, and
    building them took 29 µs of every request."""
    return own_permissions_sql(), group_permissions_sql()


def name_set(joined):
    return set(joined.split(SEPARATOR)) if joined else set()


class UserWithPermissionsBackend(ModelBackend):
    """Django's ModelBackend, whose ``get_user`` (the signed-in user of each
    request, read by AuthenticationMiddleware) reads the user's own
    permissions and their groups' in the same query.

    Every page checks a permission (``PermissionRequiredMixin``, the
    menu), and ModelBackend reads a user's permissions in two more queries
    at the first check of each request. A speed trick, for the pages a
    second of issue 18, which the load benchmark misses: an editor's user
    and permissions cost 0.96-1.14 ms of CPU a request that way on SQLite,
    0.35-0.37 ms here (a plain read of the user: 0.21), on list pages of
    14-30 ms. The subqueries are SQL of our own because building them with
    the ORM cost more than the two queries they replace (1.9 ms). The
    permissions fill the caches
    ModelBackend keeps on the user object for the request
    (``_user_perm_cache``, ``_group_perm_cache``), so that no check asks
    again. Read on every request, as before: a role taken away counts from
    the next page. A superuser's are left to ModelBackend (all of them,
    never read for a check). tests/accounts/test_backends.py compares the
    sets with ModelBackend's on both engines."""

    def get_user(self, user_id):
        user_model = get_user_model()
        own, groups = permission_subqueries(connection.vendor)
        users = user_model._default_manager.annotate(
            # SQL of identifiers alone, no parameter.
            own_permissions=RawSQL(own, []),  # noqa: S611
            group_permissions=RawSQL(groups, []),  # noqa: S611
        )
        try:
            user = users.get(pk=user_id)
        except user_model.DoesNotExist:
            return None
        if not self.user_can_authenticate(user):
            return None
        if not user.is_superuser:
            user._user_perm_cache = name_set(user.own_permissions)
            user._group_perm_cache = name_set(user.group_permissions)
        return user
