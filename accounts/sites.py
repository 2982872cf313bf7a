from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from .roles import ADMIN_ACCESS_PERMISSION


class HamkorAdminSite(admin.AdminSite):
    site_header = _("Hamkor")
    site_title = _("Hamkor")
    index_title = _("Partners, people and meetings")

    def has_permission(self, request):
        """Editors and administrators enter the admin by their role; nobody has
        to remember to tick "staff status" as well. What each may do inside is
        still decided by their permissions, model by model."""
        user = request.user
        return user.is_active and (
            user.is_staff or user.has_perm(ADMIN_ACCESS_PERMISSION)
        )
