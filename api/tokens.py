"""One's API tokens, on /accounts/api-tokens/: make one for a script (it is
shown once: only its hash is kept), see when each was made and last used,
revoke one. Administrators revoke anyone's in the admin."""

from django import forms
from django.contrib import messages
from django.contrib.auth.mixins import PermissionRequiredMixin
from django.http import Http404
from django.shortcuts import redirect
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext_lazy as _
from django.views.generic import TemplateView

from .models import ApiToken


class ApiTokenForm(forms.ModelForm):
    class Meta:
        model = ApiToken
        fields = ["name"]
        widgets = {
            "name": forms.TextInput(
                attrs={"class": "form-control", "autocomplete": "off"}
            )
        }

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user

    def clean_name(self):
        # The form has no user field, so Django leaves the (user, name)
        # constraint unchecked: asked here, beside the field.
        name = self.cleaned_data["name"]
        if self.user.api_tokens.filter(name=name).exists():
            raise forms.ValidationError(
                _("You already have a token called “%(name)s”."),
                code="unique",
                params={"name": name},
            )
        return name

    def full_clean(self):
        super().full_clean()
        if "name" in self.errors:
            self.fields["name"].widget.attrs["class"] += " is-invalid"


class ApiTokensView(PermissionRequiredMixin, TemplateView):
    """``/accounts/api-tokens/``: one's tokens; POST makes one (``name``) or
    revokes one (``revoke``: its id; another user's is a 404).

    For any user with a role: every role reads meetings. Queries: session,
    user with its permissions, the tokens."""

    template_name = "api/api_tokens.html"
    extra_context = {"section": "api_tokens"}
    permission_required = "meetings.view_meeting"

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            tokens=self.request.user.api_tokens.order_by("name"),
            form=kwargs.pop("form", None) or ApiTokenForm(user=self.request.user),
            **kwargs,
        )

    def post(self, request):
        if "revoke" in request.POST:
            return self.revoke(request, request.POST["revoke"])
        form = ApiTokenForm(request.POST, user=request.user)
        if not form.is_valid():
            return self.render_to_response(self.get_context_data(form=form), status=400)
        api_token, token = ApiToken.objects.create_token(
            user=request.user, name=form.cleaned_data["name"]
        )
        # Shown once, on this answer alone: no browser or proxy keeps it.
        response = self.render_to_response(
            self.get_context_data(new_token=token, new_token_name=api_token.name)
        )
        add_never_cache_headers(response)
        return response

    def revoke(self, request, pk):
        try:
            api_token = request.user.api_tokens.get(pk=pk)
        except (ApiToken.DoesNotExist, ValueError):
            # Someone else's, already revoked, or not an id at all.
            raise Http404(_("You have no such token.")) from None
        api_token.delete()
        messages.success(
            request,
            _(
                "The token “%(name)s” was revoked: a program that sends it is "
                "refused from now on."
            )
            % {"name": api_token.name},
        )
        return redirect("api_tokens")
