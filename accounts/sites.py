from django import forms
from django.contrib import admin
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.admin.views.autocomplete import AutocompleteJsonView
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ValidationError
from django.http import JsonResponse
from django.urls import path
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect

from core.search import closest_first

from .roles import ADMIN_ACCESS_PERMISSION


def may_use_admin(user):
    return user.is_active and (user.is_staff or user.has_perm(ADMIN_ACCESS_PERMISSION))


class RoleAdminAuthenticationForm(AdminAuthenticationForm):
    """The admin's login form, admitting the same users as the site: by role,
    not by the "staff status" flag alone."""

    def confirm_login_allowed(self, user):
        AuthenticationForm.confirm_login_allowed(self, user)
        if not may_use_admin(user):
            raise ValidationError(
                self.error_messages["invalid_login"],
                code="invalid_login",
                params={"username": self.username_field.verbose_name},
            )


class TermCheckingAutocompleteJsonView(AutocompleteJsonView):
    """Django's autocomplete of the admin's related-object widgets, refusing a
    search term that a form field refuses (a NUL character, which PostgreSQL
    cannot compare with text: a 500) with a 400 naming the term, as the
    changelist's search box refuses it with a message, and ordering what it
    finds by how closely it matches the term."""

    def get(self, request, *args, **kwargs):
        # The parameters and the permission are checked first, as Django does.
        term, *_rest = self.process_request(request)
        try:
            forms.CharField(required=False, strip=False).clean(term)
        except ValidationError as error:
            return JsonResponse(
                {"error": f"term: {' '.join(error.messages)}"}, status=400
            )
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        """Django's matches, those a field of which is the term or begins
        with it first, where the model's search can tell
        (``core.search.closest_first``): an acronym typed whole ("ВОЗ")
        comes before the longer names it is also inside."""
        queryset = super().get_queryset()
        if self.term.strip() and hasattr(queryset, "closeness"):
            return closest_first(queryset, self.term.strip())
        return queryset


class HamkorAdminSite(admin.AdminSite):
    site_header = _("Hamkor")
    site_title = _("Hamkor")
    index_title = _("Partners, people and meetings")
    login_form = RoleAdminAuthenticationForm

    def has_permission(self, request):
        """Editors and administrators enter the admin by their role; nobody has
        to remember to tick "staff status" as well. What each may do inside is
        still decided by their permissions, model by model."""
        return may_use_admin(request.user)

    def autocomplete_view(self, request):
        return TermCheckingAutocompleteJsonView.as_view(admin_site=self)(request)

    def get_urls(self):
        """The admin's URLs, with a logout that logs out anyone logged in.

        Django wraps the admin's logout like its other pages, so a user without
        admin access who posts to it is only sent on, still logged in.
        """
        urls = super().get_urls()
        wrapped = self.admin_view(self.logout)
        open_logout = never_cache(csrf_protect(self.logout))

        def logout(request, *args, **kwargs):
            view = open_logout if request.method == "POST" else wrapped
            return view(request, *args, **kwargs)

        for index, pattern in enumerate(urls):
            if getattr(pattern, "name", None) == "logout":
                urls[index] = path("logout/", logout, name="logout")
        return urls

    def _build_app_dict(self, request, label=None):
        """Django's list of the apps and models a user may see (the index, the
        navigation sidebar of every admin page), each name translated once:
        Django leaves them lazy, and sorting and showing them translated each
        name again at every comparison (3 % of an admin changelist's CPU)."""
        built = super()._build_app_dict(request, label)
        for app in built.values():
            app["name"] = str(app["name"])
            for model in app["models"]:
                model["name"] = str(model["name"])
        return built
