"""Who may use which endpoint: the role permissions the pages and the admin
check (accounts/roles.py), read as Django model permissions."""

from rest_framework.permissions import (
    SAFE_METHODS,
    BasePermission,
    DjangoModelPermissions,
)


class RolePermissions(DjangoModelPermissions):
    """Reading needs the model's ``view`` permission (every role has it for
    the CRM), writing its ``add``, ``change`` or ``delete`` (editors and
    administrators), exactly as in the admin. Anonymous requests are refused."""

    perms_map = {
        **DjangoModelPermissions.perms_map,
        "GET": ["%(app_label)s.view_%(model_name)s"],
        "HEAD": ["%(app_label)s.view_%(model_name)s"],
        "OPTIONS": ["%(app_label)s.view_%(model_name)s"],
    }


class MayRead(BasePermission):
    """The schema and its pages: for anyone who may read the records (every
    role; not a user without one)."""

    def has_permission(self, request, view):
        return request.user.has_perm("stakeholders.view_organisation")


class AddsAttendance(BasePermission):
    """A meeting's attendance from a sign-in sheet: who may import one in
    the admin (editors)."""

    def has_permission(self, request, view):
        if request.method in SAFE_METHODS:
            return True  # RolePermissions decides: a 405 for those who read
        return request.user.has_perm("meetings.add_attendance")
