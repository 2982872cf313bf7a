"""Who may do what, written once: the permission matrix.

Each rule names URL patterns (``fnmatch`` on the URL name, or on the route for
the admin's unnamed redirects), the HTTP methods it covers and the lowest role
that may use them. The first rule that matches a route and method decides.

The views enforce this through permissions (see roles.py); the matrix states
the result so that a test can walk every URL pattern x role x method and
check it, and fail on a route that no rule covers. docs/permissions.md is
rendered from it (``manage.py permissions_doc``).
"""

from dataclasses import dataclass
from fnmatch import fnmatchcase

from .roles import ADMINISTRATOR, EDITOR, VIEWER

ANONYMOUS = "anonymous"
# Above every role: what the application refuses to everyone (superusers, who
# hold every permission, excepted, except where the rule says so).
NOBODY = "nobody"
ORDER = [ANONYMOUS, VIEWER, EDITOR, ADMINISTRATOR, NOBODY]
READ = frozenset({"GET"})
WRITE = frozenset({"POST"})
BOTH = READ | WRITE
# The REST API's writes: a new record (POST on a list), a change (PUT, PATCH)
# or a deletion (DELETE) of one.
API_CREATE = frozenset({"POST"})
API_CHANGE = frozenset({"PUT", "PATCH", "DELETE"})


@dataclass(frozen=True)
class Rule:
    pattern: str
    methods: frozenset
    role: str
    why: str

    def covers(self, name, method):
        return method in self.methods and fnmatchcase(name, self.pattern)


RULES = [
    # Logging in and out is open to everyone; changing one's password needs a
    # login.
    Rule("login", BOTH, ANONYMOUS, "the login form"),
    Rule("logout", WRITE, ANONYMOUS, "logging out (POST only)"),
    Rule("password_change*", BOTH, VIEWER, "one's own password"),
    Rule("language", WRITE, ANONYMOUS, "choosing the interface language"),
    Rule("jsi18n", READ, ANONYMOUS, "the interface's translations for its scripts"),
    Rule(
        "session_status",
        READ,
        ANONYMOUS,
        "whether the page's session is still signed in (its script asks)",
    ),
    Rule("admin:login", BOTH, ANONYMOUS, "the admin's login form"),
    Rule(
        "admin:logout",
        WRITE,
        ANONYMOUS,
        "logging out of the admin (POST only; users who may not use the admin "
        "are sent on, and log out at /accounts/logout/)",
    ),
    # The public pages: lists, detail pages, exports, pickers, calendar files.
    Rule("home", READ, VIEWER, "start page"),
    Rule(
        "organisations:assess",
        BOTH,
        EDITOR,
        "record an assessment from the organisation's page (POST; a GET is 405)",
    ),
    Rule(
        "organisations:*", READ, VIEWER, "organisation list, detail, timeline, exports"
    ),
    Rule("people:*", READ, VIEWER, "people list, detail, timeline, exports"),
    Rule(
        "meetings:record",
        BOTH,
        EDITOR,
        "record a meeting: the meeting, attendance, agenda, follow-ups",
    ),
    Rule("meetings:edit", BOTH, EDITOR, "edit a meeting on the recording page"),
    Rule("meetings:*", READ, VIEWER, "meeting list, detail, exports, .ics"),
    Rule(
        "attendance:*",
        READ,
        VIEWER,
        "attendance matrix: list and pivot of organisations x meetings, exports",
    ),
    Rule(
        "follow_ups:status",
        BOTH,
        EDITOR,
        "change a follow-up's status from the worklist (POST; a GET is 405)",
    ),
    Rule("follow_ups:*", READ, VIEWER, "follow-up worklist, exports"),
    Rule("map:*", READ, VIEWER, "stakeholder map, its table, exports, SVG"),
    Rule(
        "calendar_settings",
        BOTH,
        VIEWER,
        "one's calendar subscription: what it follows, its address",
    ),
    Rule(
        "calendar_feed",
        READ,
        ANONYMOUS,
        "a calendar feed, for calendar programs: its secret address is the "
        "credential (an unknown one is a 404)",
    ),
    Rule("api_tokens", BOTH, VIEWER, "one's API tokens: make, list, revoke"),
    # The REST API (api/): what the pages read, for the same roles; its
    # schema and the schema's pages for those who may read it. Writes as in
    # the admin (api/writes.py runs the admin's forms and hooks).
    Rule(
        "api:organisationtype-*",
        API_CREATE | API_CHANGE,
        ADMINISTRATOR,
        "organisation types, written",
    ),
    Rule(
        "api:assessment-detail",
        API_CHANGE,
        ADMINISTRATOR,
        "an assessment, corrected or deleted",
    ),
    Rule("api:*-list", API_CREATE, EDITOR, "a new record (POST)"),
    Rule(
        "api:meeting-attendance-sheet",
        API_CREATE,
        EDITOR,
        "a meeting's attendance from the rows of a sign-in sheet: preview, "
        "then import (POST)",
    ),
    Rule(
        "api:*-detail",
        API_CHANGE,
        EDITOR,
        "a record changed (PUT, PATCH) or deleted (DELETE), naming its version "
        "in If-Match",
    ),
    Rule(
        "api:*",
        READ,
        VIEWER,
        "the REST API, read: every resource, its OpenAPI schema, Swagger UI "
        "and Redoc (the browser's session or one's API token)",
    ),
    # Imports write attendance.
    Rule("admin:meetings_meeting_import*", BOTH, EDITOR, "sign-in sheet import"),
    # Organisation types: editors read them, administrators change them.
    Rule(
        "admin:stakeholders_organisationtype_changelist",
        BOTH,
        EDITOR,
        "organisation types, read (a POST runs only the actions one's "
        "permissions allow: none for an editor)",
    ),
    Rule(
        "admin:stakeholders_organisationtype_change",
        READ,
        EDITOR,
        "an organisation type, read",
    ),
    Rule(
        "admin:*_simple_history",
        WRITE,
        NOBODY,
        "reverting to a past version (history pages are read-only)",
    ),
    Rule(
        "admin:stakeholders_organisationtype_*history",
        BOTH,
        EDITOR,
        "an organisation type's history (read-only)",
    ),
    Rule(
        "admin:stakeholders_organisationtype_*",
        BOTH,
        ADMINISTRATOR,
        "organisation types, changed",
    ),
    Rule(
        "admin/stakeholders/organisationtype/<path:object_id>/",
        READ,
        EDITOR,
        "redirect to an organisation type",
    ),
    # Assessments are dated history: editors add and read them, only
    # administrators correct or delete one (accounts/roles.py).
    Rule(
        "admin:stakeholders_assessment_change",
        READ,
        EDITOR,
        "an assessment, read",
    ),
    Rule(
        "admin:stakeholders_assessment_change",
        WRITE,
        ADMINISTRATOR,
        "an assessment, corrected",
    ),
    Rule(
        "admin:stakeholders_assessment_delete",
        BOTH,
        ADMINISTRATOR,
        "an assessment, deleted",
    ),
    # Personal data of a person: export and erasure.
    Rule(
        "admin:stakeholders_person_personal_data",
        BOTH,
        ADMINISTRATOR,
        "export everything held about a person (GET; a POST is refused)",
    ),
    Rule(
        "admin:stakeholders_person_erase",
        BOTH,
        ADMINISTRATOR,
        "erase a person and their history",
    ),
    # Users, groups and the login-throttling records.
    Rule(
        "admin:auth_*",
        BOTH,
        ADMINISTRATOR,
        "users and groups (accounts/admin.py): only a superuser sets superuser "
        "or staff status or a user's own permissions; nobody else gives a "
        "group or permission they do not hold, or changes an account or group "
        "holding one",
    ),
    Rule("admin/auth/*", READ, ADMINISTRATOR, "redirects to users and groups"),
    Rule("admin:axes_*_add", BOTH, NOBODY, "login attempts are only recorded"),
    Rule("admin:axes_*_change", WRITE, NOBODY, "login attempts are only recorded"),
    Rule(
        "admin:axes_accessattempt_delete",
        BOTH,
        ADMINISTRATOR,
        "lifting a lockout",
    ),
    Rule(
        "admin:axes_*_delete",
        BOTH,
        NOBODY,
        "the access logs are kept (refused to superusers too)",
    ),
    Rule("admin:axes_*", BOTH, ADMINISTRATOR, "login attempts and lockouts"),
    Rule("admin/axes/*", READ, ADMINISTRATOR, "redirects to login attempts"),
    Rule(
        "admin:duplicates_*_add",
        BOTH,
        NOBODY,
        "possible duplicates are found by manage.py find_duplicates, never typed in",
    ),
    Rule(
        "admin:duplicates_*_delete",
        BOTH,
        NOBODY,
        "a pair is marked not a duplicate, never deleted",
    ),
    Rule(
        "admin:duplicates_*merge_change",
        WRITE,
        NOBODY,
        "a merge record is kept as it was written, never changed",
    ),
    Rule(
        "admin:duplicates_*merge_*",
        BOTH,
        ADMINISTRATOR,
        "merge records: who merged which record into which, and what moved",
    ),
    Rule(
        "admin:stakeholders_*_merge*",
        BOTH,
        EDITOR,
        "merge two organisations or two people (records one may change)",
    ),
    Rule(
        "admin:duplicates_*",
        BOTH,
        EDITOR,
        "possible duplicates: review, mark not a duplicate",
    ),
    Rule("admin/duplicates/*", READ, EDITOR, "redirects to a pair"),
    Rule(
        "admin:meetings_calendarfeed_add",
        BOTH,
        NOBODY,
        "calendar subscriptions are made by their users on their own page",
    ),
    Rule(
        "admin:meetings_calendarfeed_change",
        WRITE,
        NOBODY,
        "a calendar subscription is read or deleted here, never changed",
    ),
    Rule(
        "admin:meetings_calendarfeed_*",
        BOTH,
        ADMINISTRATOR,
        "users' calendar subscriptions: read, end one",
    ),
    Rule(
        "admin/meetings/calendarfeed/*",
        READ,
        ADMINISTRATOR,
        "redirect to a calendar subscription",
    ),
    Rule(
        "admin:api_apitoken_add",
        BOTH,
        NOBODY,
        "API tokens are made by their users on their own page",
    ),
    Rule(
        "admin:api_apitoken_change",
        WRITE,
        NOBODY,
        "an API token is read or deleted here, never changed",
    ),
    Rule(
        "admin:api_apitoken_*",
        BOTH,
        ADMINISTRATOR,
        "users' API tokens: read, revoke one",
    ),
    Rule("admin/api/apitoken/*", READ, ADMINISTRATOR, "redirect to an API token"),
    # Everything else in the admin is the CRM, for editors.
    Rule("admin:stakeholders_*", BOTH, EDITOR, "organisations, people, positions"),
    Rule("admin:meetings_*", BOTH, EDITOR, "meetings, agenda, attendance"),
    Rule("admin/stakeholders/*", READ, EDITOR, "redirects to a record"),
    Rule("admin/meetings/*", READ, EDITOR, "redirects to a record"),
    Rule("admin:password_change*", BOTH, EDITOR, "one's password, in the admin"),
    Rule("admin:index", BOTH, EDITOR, "admin index (a POST is read as a GET)"),
    Rule("admin:app_list", BOTH, EDITOR, "an app's models (a POST is read as a GET)"),
    Rule("admin:*", READ, EDITOR, "autocomplete, translations, view on site"),
    Rule("admin/(?P<url>.*)$", READ, EDITOR, "the admin's catch-all redirect"),
]


def required_role(name, method):
    """The lowest role that may use route ``name`` with ``method``; None when no
    rule covers it, which the matrix test reports as an unprotected route."""
    for rule in RULES:
        if rule.covers(name, method):
            return rule.role
    return None


def allows(role, required):
    return required is not None and ORDER.index(role) >= ORDER.index(required)


def render_markdown():
    """docs/permissions.md: the rules as a table, and each role's reach."""
    lines = [
        "# Permissions",
        "",
        "Rendered from `accounts/access.py` by `manage.py permissions_doc`; do not "
        "edit by hand. `tests/accounts/test_access.py` requests every URL pattern "
        "as each role with each method and checks the result against these rules.",
        "",
        "Roles, lowest first: anonymous, viewer, editor, administrator; each role may "
        'do everything a lower one may. "nobody" marks what is refused to every '
        "role (superusers pass every rule but where it says otherwise). The first "
        "matching rule decides; a method no rule lists is refused to everyone.",
        "",
        "| URL pattern | methods | lowest role | what |",
        "| --- | --- | --- | --- |",
    ]
    for rule in RULES:
        methods = ", ".join(sorted(rule.methods))
        lines.append(f"| `{rule.pattern}` | {methods} | {rule.role} | {rule.why} |")
    lines.append("")
    return "\n".join(lines)
