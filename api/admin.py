from django.contrib import admin

from core.admin import HamkorChangeList

from .models import ApiToken


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    """Users' API tokens, for administrators: whose, what for, when made and
    last used; deleting one revokes it (a leaked token, a user who left).
    The tokens cannot be read: only a hash and their first characters are
    kept."""

    list_display = ["user", "name", "prefix", "created_at", "last_used_at"]
    list_select_related = ["user"]
    search_fields = ["user__username", "name"]
    ordering = ["user__username", "name"]
    fields = readonly_fields = ["user", "name", "prefix", "created_at", "last_used_at"]

    def get_changelist(self, request, **kwargs):
        return HamkorChangeList

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
