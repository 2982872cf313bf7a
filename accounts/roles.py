"""Hamkor's roles, as groups of Django permissions.

- viewer: every list, detail page and export;
- editor: also the admin for the CRM models, and imports; stakeholder
  assessments they add and read, not change: each is a dated judgement, kept
  as history (a new assessment is a new row);
- administrator: also users, groups and organisation types, and the personal
  data of a person (export, erasure).

The groups are created by migrations (accounts/migrations); ``ROLE_PERMISSIONS``
is what they hold, and a test checks that the database agrees with it.
"""

from django.utils.translation import gettext_lazy as _

VIEWER = "viewer"
EDITOR = "editor"
ADMINISTRATOR = "administrator"
ROLES = [VIEWER, EDITOR, ADMINISTRATOR]
ROLE_LABELS = {
    VIEWER: _("Viewer"),
    EDITOR: _("Editor"),
    ADMINISTRATOR: _("Administrator"),
}

CRM_MODELS = {
    "stakeholders": [
        "organisation",
        "organisationname",
        "organisationidentifier",
        "person",
        "position",
    ],
    "meetings": ["meeting", "topic", "agendaitem", "attendance", "followup"],
}
REFERENCE_MODELS = {"stakeholders": ["organisationtype"]}
# Dated history: editors add assessments; administrators alone correct or
# delete one (a mistyped score, the wrong organisation), and the change is
# recorded in its history.
HISTORY_MODELS = {"stakeholders": ["assessment"]}
# The pairs manage.py find_duplicates found: editors review them and mark a
# pair "not a duplicate" (a change); nobody adds or deletes one.
DUPLICATE_MODELS = {"duplicates": ["organisationpair", "personpair"]}
_REVIEW = ["change", "view"]
# Merge records (who merged which record into which, and what moved):
# administrators read them; nobody writes one by hand.
MERGE_MODELS = {"duplicates": ["organisationmerge", "personmerge"]}
ACCOUNT_MODELS = {"auth": ["user", "group"]}
# Custom permissions on Person: administrators alone handle personal data.
PERSONAL_DATA = [
    ("stakeholders", "export_personal_data"),
    ("stakeholders", "erase_person"),
]
# Users' calendar subscriptions: administrators see them and end one by
# deleting it (each user manages their own on their page).
CALENDAR_FEEDS = [
    ("meetings", "view_calendarfeed"),
    ("meetings", "delete_calendarfeed"),
]
# Users' API tokens: administrators see them and revoke one by deleting it
# (each user makes and revokes their own on their page).
API_TOKENS = [
    ("api", "view_apitoken"),
    ("api", "delete_apitoken"),
]
# Login throttling records: administrators see them and unlock users by
# deleting an attempt.
LOCKOUTS = [
    ("axes", "view_accessattempt"),
    ("axes", "delete_accessattempt"),
    ("axes", "view_accesslog"),
    ("axes", "view_accessfailurelog"),
]


def _codenames(models, actions):
    return [
        (app_label, f"{action}_{model}")
        for app_label, names in models.items()
        for model in names
        for action in actions
    ]


_VIEW = ["view"]
_EDIT = ["add", "change", "delete", "view"]
_ADD = ["add", "view"]

ROLE_PERMISSIONS = {
    VIEWER: sorted(
        _codenames(CRM_MODELS, _VIEW)
        + _codenames(REFERENCE_MODELS, _VIEW)
        + _codenames(HISTORY_MODELS, _VIEW)
    ),
    EDITOR: sorted(
        _codenames(CRM_MODELS, _EDIT)
        + _codenames(REFERENCE_MODELS, _VIEW)
        + _codenames(HISTORY_MODELS, _ADD)
        + _codenames(DUPLICATE_MODELS, _REVIEW)
    ),
    ADMINISTRATOR: sorted(
        _codenames(CRM_MODELS, _EDIT)
        + _codenames(HISTORY_MODELS, _EDIT)
        + _codenames(REFERENCE_MODELS, _EDIT)
        + _codenames(DUPLICATE_MODELS, _REVIEW)
        + _codenames(MERGE_MODELS, _VIEW)
        + _codenames(ACCOUNT_MODELS, _EDIT)
        + PERSONAL_DATA
        + CALENDAR_FEEDS
        + API_TOKENS
        + LOCKOUTS
    ),
}

# What a role needs to enter the admin at all: viewers never do.
ADMIN_ACCESS_PERMISSION = "stakeholders.change_organisation"


def role_of(user):
    """The highest role ``user`` holds, by group, or None. Superusers are
    administrators."""
    if not user.is_authenticated:
        return None
    if user.is_superuser:
        return ADMINISTRATOR
    names = {group.name for group in user.groups.all()}
    for role in reversed(ROLES):
        if role in names:
            return role
    return None


def roles_sync(apps, schema_editor=None):
    """Give each role's group exactly the permissions of ``ROLE_PERMISSIONS``.

    Called by migrations with the historical ``apps``: the role migration, and
    any later migration that adds a model a role must see. Permissions are
    created first (Django would otherwise create them only after the last
    migration); one for a model that does not exist yet is left for the
    migration that adds it.
    """
    from django.contrib.auth.management import create_permissions

    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None

    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for role, wanted in ROLE_PERMISSIONS.items():
        group, _created = Group.objects.get_or_create(name=role)
        permissions = [
            permission
            for app_label, codename in wanted
            for permission in Permission.objects.filter(
                content_type__app_label=app_label, codename=codename
            )
        ]
        group.permissions.set(permissions)
