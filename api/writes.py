"""Writes through the API go the admin's way, so that a record saved by a
script is saved exactly as one saved by a coordinator:

- the request's JSON is read by the resource's serializer (types, links,
  choices: a 400 naming each wrong field);
- what it read is handed to the admin's own form for the model
  (``ModelAdmin.get_form``: its validation, the model's constraints, the
  duplicate warning of the add forms, and the version check of
  ``VersionedModelForm``, which locks the row);
- the form is saved by the model admin's ``save_model`` and
  ``save_related`` (or ``delete_model``): the stored figures, the folding
  of attendance rows, a follow-up's day done, an assessment's author;
- history is written by simple-history with the request's user, who is the
  token's or the session's (rest_framework sets it on the request).

A change or a deletion must name the version it was read at, the ``ETag``,
in ``If-Match``: a stale one is refused with 412 and changes nothing; none at
all with 428.
"""

from django.contrib import admin
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.db import models, transaction
from django.db.models import ProtectedError
from django.forms import MultiWidget
from django.utils.http import parse_etags
from django.utils.translation import gettext_lazy as _
from rest_framework import status
from rest_framework.exceptions import APIException, PermissionDenied, ValidationError

from core.forms import DELETED_MESSAGE, conflict_message


class PreconditionRequired(APIException):
    status_code = status.HTTP_428_PRECONDITION_REQUIRED
    default_detail = _(
        "Send the version this change is based on in If-Match: the record's "
        "ETag, as a GET of it answered."
    )
    default_code = "precondition_required"


class Conflict(APIException):
    status_code = status.HTTP_409_CONFLICT
    default_code = "conflict"


class PreconditionFailed(APIException):
    status_code = status.HTTP_412_PRECONDITION_FAILED
    default_code = "precondition_failed"


# The version check's refusals (core.forms.VersionedModelForm.clean).
STALE_CODES = {"edit_conflict", "stale_form"}


def version_asked(request):
    """The version named by ``If-Match`` (``"3"``); 428 when there is none or
    it names no version."""
    tags = parse_etags(request.headers.get("If-Match", ""))
    version = tags[0].removeprefix("W/").strip('"') if len(tags) == 1 else ""
    if not (version.isascii() and version.isdigit()):
        raise PreconditionRequired()
    return int(version)


def model_admin(model):
    return admin.site._registry[model]


def form_data(form, values):
    """The values a serializer read, as the admin's form would receive them
    from a browser: records by their ids, a split date and time in its two
    parts, nothing as an empty field."""
    data = {}
    for name, value in values.items():
        field = form.base_fields.get(name)
        if field is None:
            continue
        if isinstance(value, models.Model):
            value = value.pk
        elif isinstance(value, list | tuple):
            value = [
                item.pk if isinstance(item, models.Model) else item for item in value
            ]
        elif value is None:
            value = ""
        widget = field.widget
        if isinstance(widget, MultiWidget) and value != "":
            for suffix, part in zip(
                widget.widgets_names, widget.decompress(value), strict=True
            ):
                data[name + suffix] = "" if part is None else part
        else:
            data[name] = value
    return data


def current_values(form_class, instance, names):
    """The record's values of ``names``, as its change form shows them: what
    a partial change (PATCH) keeps."""
    initial = form_class(instance=instance).initial
    return {name: initial.get(name) for name in names if name in initial}


def defaults(model, names):
    """The model's defaults for ``names``: what a new record left out takes
    (a meeting's format, in person), as the admin's add form shows them."""
    found = {}
    for name in names:
        field = model._meta.get_field(name)
        if field.concrete and field.has_default():
            found[name] = field.get_default()
    return found


def errors_of(form):
    """The form's errors by field, the form's own under ``non_field_errors``,
    as rest_framework names them."""
    return {
        ("non_field_errors" if name == "__all__" else name): [
            str(message) for message in messages
        ]
        for name, messages in form.errors.items()
    }


def admin_save(request, serializer, instance=None, *, partial=False):
    """Save what ``serializer`` validated through the model's admin, in one
    transaction; the saved record. Raises the API's 400, 403 or 412."""
    model = serializer.Meta.model
    model_admin_ = model_admin(model)
    django_request = request._request
    change = instance is not None
    if change and not model_admin_.has_change_permission(django_request, instance):
        raise PermissionDenied()
    if not change and not model_admin_.has_add_permission(django_request):
        raise PermissionDenied()
    values = dict(serializer.validated_data)
    # Not the record's: the add forms' "Save anyway" (duplicates.forms).
    extra = {name: values.pop(name) for name in serializer.form_only if name in values}
    names = serializer.writable_names()
    seen = version_asked(request) if change else None
    with transaction.atomic():
        form_class = model_admin_.get_form(
            django_request, instance, change=change, fields=names
        )
        if change and partial:
            values = {**current_values(form_class, instance, names), **values}
        elif not change:
            values = {**defaults(model, names), **values}
        data = {**form_data(form_class, values), **extra}
        if change:
            data["seen_version"] = seen
        form = form_class(data=data, instance=instance)
        if not form.is_valid():
            refuse(form)
        obj = form.save(commit=False)
        try:
            model_admin_.save_model(django_request, obj, form, change)
            model_admin_.save_related(django_request, form, [], change)
        except DjangoPermissionDenied as error:
            raise PermissionDenied() from error
    return obj, form


def refuse(form):
    """The form's refusal as the API's: a stale version is 412, a record
    deleted meanwhile 404 (from the version check), the rest 400."""
    codes = {error.code for error in form.non_field_errors().as_data()}
    if codes & STALE_CODES:
        raise PreconditionFailed(form.non_field_errors()[0])
    if "deleted" in codes:
        raise PreconditionFailed(str(DELETED_MESSAGE))
    raise ValidationError(errors_of(form))


def admin_delete(request, instance):
    """Delete ``instance`` through its admin (its figures refreshed), if the
    version in ``If-Match`` is still the row's; 412 otherwise."""
    model = type(instance)
    model_admin_ = model_admin(model)
    django_request = request._request
    if not model_admin_.has_delete_permission(django_request, instance):
        raise PermissionDenied()
    seen = version_asked(request)
    with transaction.atomic():
        current = (
            model._base_manager.select_for_update()
            .filter(pk=instance.pk)
            .values_list("version", flat=True)
            .first()
        )
        if current != seen:
            raise PreconditionFailed(conflict_message(instance))
        try:
            model_admin_.delete_model(django_request, instance)
        except ProtectedError as error:
            raise Conflict(
                _(
                    "Other records refer to this one (%(records)s): change or "
                    "delete them first."
                )
                % {
                    "records": ", ".join(
                        sorted({str(o) for o in error.protected_objects})[:5]
                    )
                }
            ) from error
