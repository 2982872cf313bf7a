"""The import wizard of the meetings admin: upload a sign-in sheet, preview
what importing it would do and settle its questions, then import it.

``AttendanceImportMixin`` gives ``MeetingAdmin`` the two pages (the upload,
and the preview that also imports) and the permission to use them.
"""

import secrets

from django.contrib import messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.core.files.uploadhandler import FileUploadHandler, SkipFile
from django.core.paginator import Paginator
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _
from django.views.decorators.csrf import csrf_exempt, csrf_protect

from meetings.services import attendance_import

from .forms import ImportChoicesForm, SheetUploadForm
from .planning import Decisions, ImportNotReady, PlanChanged, plan_import
from .sheets import MAX_FILE_SIZE, Sheet


class SheetSizeLimitHandler(FileUploadHandler):
    """Drops an uploaded file once it passes ``MAX_FILE_SIZE``, so that an
    oversized sheet is neither held in memory nor spooled to disk; the rest
    of the form is still read, and ``too_large`` tells the form why the file
    is missing."""

    def __init__(self, request=None):
        super().__init__(request)
        self.received = 0
        self.too_large = False

    def new_file(self, *args, **kwargs):
        super().new_file(*args, **kwargs)
        self.received = 0

    def receive_data_chunk(self, raw_data, start):
        self.received += len(raw_data)
        if self.received > MAX_FILE_SIZE:
            self.too_large = True
            raise SkipFile
        return raw_data

    def file_complete(self, file_size):
        return None


# Sheets read but not yet imported wait in the session, keyed by a random
# token: app servers are stateless (DESIGN.md), so a file kept on one server's
# disk might not be on the one that receives the commit, while the session is
# in the database, private to the editor and out of the browser's reach. What
# is kept is the parsed rows, at most MAX_ROWS of them (Django compresses
# session data), and only for a few imports at a time.
IMPORT_SESSION_KEY = "meeting_imports"
IMPORT_SESSION_LIMIT = 3
IMPORT_ROWS_PER_PAGE = 100


def _page_number(value):
    return int(value) if value and value.isdigit() and len(value) < 6 else 1


def _with_query(request, **params):
    """This page's query string with ``params`` replaced."""
    query = request.GET.copy()
    for name, value in params.items():
        query[name] = value
    return f"?{query.urlencode()}"


def _pending_imports(request):
    return request.session.get(IMPORT_SESSION_KEY, {})


def _pending_import_store(request, meeting, sheet):
    pending = _pending_imports(request)
    while len(pending) >= IMPORT_SESSION_LIMIT:
        pending.pop(next(iter(pending)))
    token = secrets.token_urlsafe(16)
    pending[token] = {
        "meeting": meeting.pk,
        "sheet": sheet.to_data(),
        "decisions": Decisions().to_data(),
    }
    request.session[IMPORT_SESSION_KEY] = pending
    return token


def _pending_import_update(request, token, decisions):
    pending = _pending_imports(request)
    pending[token]["decisions"] = decisions.to_data()
    request.session[IMPORT_SESSION_KEY] = pending


def _pending_import_drop(request, token):
    pending = _pending_imports(request)
    pending.pop(token, None)
    request.session[IMPORT_SESSION_KEY] = pending


class AttendanceImportMixin:
    """The import wizard of a ``ModelAdmin`` of meetings: its URLs (before the
    admin's own), its views, and the permission to import."""

    # What an import writes besides attendance: people, their positions, and
    # blanks filled in on people.
    import_permissions = [
        "meetings.add_attendance",
        "meetings.change_attendance",
        "stakeholders.add_person",
        "stakeholders.change_person",
        "stakeholders.add_position",
    ]

    def get_urls(self):
        info = self.opts.app_label, self.opts.model_name
        # Before the default URLs: their catch-all "<object_id>/" would take
        # these paths.
        return [
            path(
                "<path:object_id>/import/",
                # CSRF is checked inside, once the upload size limit is in
                # place: checking it reads the request body.
                self.admin_site.admin_view(csrf_exempt(self.import_view)),
                name="{}_{}_import".format(*info),
            ),
            path(
                "<path:object_id>/import/<str:token>/",
                self.admin_site.admin_view(self.import_preview_view),
                name="{}_{}_import_preview".format(*info),
            ),
            *super().get_urls(),
        ]

    def has_import_permission(self, request, obj=None):
        return self.has_change_permission(request, obj) and request.user.has_perms(
            self.import_permissions
        )

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra_context = {
            **(extra_context or {}),
            "can_import_attendance": self.has_import_permission(request),
        }
        return super().change_view(request, object_id, form_url, extra_context)

    def _import_meeting(self, request, object_id):
        """The meeting to import into, or a response refusing the request."""
        meeting = self.get_object(request, unquote(object_id))
        if meeting is None:
            return None, self._get_obj_does_not_exist_redirect(
                request, self.opts, object_id
            )
        if not self.has_import_permission(request, meeting):
            raise PermissionDenied
        return meeting, None

    def _import_context(self, request, meeting, **context):
        return {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "original": meeting,
            "title": _("Import a sign-in sheet"),
            "subtitle": str(meeting),
            "has_view_permission": self.has_view_permission(request, meeting),
            **context,
        }

    def import_view(self, request, object_id):
        """Upload a sign-in sheet: read it, keep it for the preview."""
        meeting, refusal = self._import_meeting(request, object_id)
        if refusal:
            return refusal
        limit = None
        if request.method == "POST":
            limit = SheetSizeLimitHandler(request)
            request.upload_handlers.insert(0, limit)
        return csrf_protect(self._import_upload)(request, meeting, limit)

    def _import_upload(self, request, meeting, limit):
        if request.method == "POST":
            form = SheetUploadForm(
                request.POST, request.FILES, too_large=limit.too_large
            )
            if form.is_valid():
                token = _pending_import_store(request, meeting, form.sheet)
                return redirect(
                    "admin:meetings_meeting_import_preview", meeting.pk, token
                )
        else:
            form = SheetUploadForm()
        return TemplateResponse(
            request,
            "admin/meetings/meeting/import_upload.html",
            self._import_context(request, meeting, form=form),
        )

    def import_preview_view(self, request, object_id, token):
        """Show what the import would do, take the editor's choices, and
        import on their word."""
        meeting, refusal = self._import_meeting(request, object_id)
        if refusal:
            return refusal
        upload_url = reverse("admin:meetings_meeting_import", args=[meeting.pk])
        pending = _pending_imports(request).get(token)
        if pending is None or pending["meeting"] != meeting.pk:
            self.message_user(
                request,
                _("That sheet is no longer waiting to be imported; upload it again."),
                messages.WARNING,
            )
            return redirect(upload_url)
        change_url = reverse("admin:meetings_meeting_change", args=[meeting.pk])
        if request.method == "POST" and "_cancel" in request.POST:
            _pending_import_drop(request, token)
            self.message_user(request, _("Import cancelled; nothing was imported."))
            return redirect(change_url)

        sheet = Sheet.from_data(pending["sheet"])
        decisions = Decisions.from_data(pending["decisions"])
        allow_new = request.user.has_perm("stakeholders.add_organisation")
        # Planned without the write lock, and not inside a transaction:
        # other editors save while this page is read and while its import
        # plans; the import checks the plan inside its own short transaction.
        plan = plan_import(meeting, sheet, decisions, allow_new_organisations=allow_new)
        form = ImportChoicesForm(
            request.POST if request.method == "POST" else None,
            plan=plan,
            types=sorted(
                ((slug, name) for slug, (_pk, name) in plan.index.types.items()),
                key=lambda choice: choice[1],
            ),
            admin_site=self.admin_site,
            decisions=decisions,
            allow_new=allow_new,
            allow_remember=request.user.has_perm("stakeholders.add_organisationname"),
            page=_page_number(request.GET.get("questions")),
        )
        if request.method == "POST" and form.is_valid():
            chosen = form.decisions()
            _pending_import_update(request, token, chosen)
            if "_import" not in request.POST:
                goto = request.POST.get("_goto", "")
                if goto.isdigit():
                    return redirect(request.path + _with_query(request, questions=goto))
                return redirect(request.get_full_path())
            if chosen != decisions:
                self.message_user(
                    request,
                    _(
                        "Your choices change what will be imported: check the "
                        "preview below, then import."
                    ),
                    messages.WARNING,
                )
                return redirect(request.get_full_path())
            response = self._import_commit(request, meeting, plan, chosen, change_url)
            if response is not None:
                _pending_import_drop(request, token)
                return response
            return redirect(request.get_full_path())

        rows = plan.rows
        show = request.GET.get("show", "")
        if show == "attention":
            rows = [row for row in rows if row.needs_attention]
        page = Paginator(rows, IMPORT_ROWS_PER_PAGE).get_page(request.GET.get("p"))
        return TemplateResponse(
            request,
            "admin/meetings/meeting/import_preview.html",
            self._import_context(
                request,
                meeting,
                sheet=sheet,
                plan=plan,
                summary=plan.summary(),
                errors=plan.errors[:100],
                more_errors=max(len(plan.errors) - 100, 0),
                form=form,
                media=self.media + form.media,
                page=page,
                show=show,
                unresolved=len(plan.unresolved),
                upload_url=upload_url,
                columns=[
                    (label, sheet.columns.get(name))
                    for name, label in (
                        ("organisation", _("Organisation")),
                        ("name", _("Person name")),
                        ("email", _("Email")),
                        ("title", _("Position / title")),
                        ("role", _("Role")),
                        ("status", _("Status")),
                        ("phone", _("Phone")),
                    )
                ],
            ),
        )

    def _import_commit(self, request, meeting, plan, decisions, done_url):
        """Import ``plan``; the response on success, None (with a message) on
        refusal."""
        try:
            plan = attendance_import(
                meeting=meeting,
                sheet=plan.sheet,
                decisions=decisions,
                user=request.user,
                expected_digest=request.POST.get("digest", ""),
                allow_new_organisations=request.user.has_perm(
                    "stakeholders.add_organisation"
                ),
                plan=plan,
                # In the import's transaction: the log entry is written with
                # the rows, or neither is.
                log=lambda done: self.log_change(
                    request, meeting, done.result_message()
                ),
            )
        except (ImportNotReady, PlanChanged) as refusal:
            self.message_user(request, str(refusal), messages.ERROR)
            return None
        self.message_user(request, plan.result_message(), messages.SUCCESS)
        return redirect(done_url)
