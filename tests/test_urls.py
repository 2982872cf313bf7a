"""The public URLs: every name, route and view of the site outside the admin,
as users, bookmarks and templates know them. A change of how the URLconfs are
written must leave this list as it is."""

from django.urls import URLResolver, get_resolver, reverse

# (name, route, view, the view's as_view() arguments), in no particular order:
# no two of these routes match the same path.
PUBLIC_URLS = {
    ("home", "", "meetings.dashboard.HomeView", ()),
    ("login", "accounts/login/", "django.contrib.auth.views.LoginView", ()),
    ("logout", "accounts/logout/", "django.contrib.auth.views.LogoutView", ()),
    ("language", "accounts/language/", "accounts.languages.language_view", ()),
    ("session_status", "accounts/session/", "accounts.session.session_status", ()),
    ("jsi18n", "jsi18n/", "core.jsi18n.CatalogueView", ()),
    (
        "password_change",
        "accounts/password/",
        "django.contrib.auth.views.PasswordChangeView",
        (),
    ),
    (
        "password_change_done",
        "accounts/password/done/",
        "django.contrib.auth.views.PasswordChangeDoneView",
        (),
    ),
    (
        "organisations:list",
        "organisations/",
        "stakeholders.views.OrganisationListView",
        (),
    ),
    (
        "organisations:export_csv",
        "organisations/export.csv",
        "stakeholders.views.OrganisationListView",
        (("export_format", "csv"),),
    ),
    (
        "organisations:export_xlsx",
        "organisations/export.xlsx",
        "stakeholders.views.OrganisationListView",
        (("export_format", "xlsx"),),
    ),
    (
        "organisations:suggest",
        "organisations/suggest/",
        "stakeholders.views.OrganisationSuggestView",
        (),
    ),
    (
        "organisations:detail",
        "organisations/<id:pk>/",
        "stakeholders.views.OrganisationDetailView",
        (),
    ),
    (
        "organisations:timeline",
        "organisations/<id:pk>/timeline/",
        "stakeholders.views.OrganisationTimelineView",
        (),
    ),
    (
        "people:timeline",
        "people/<id:pk>/timeline/",
        "stakeholders.views.PersonTimelineView",
        (),
    ),
    ("people:list", "people/", "stakeholders.views.PersonListView", ()),
    (
        "people:export_csv",
        "people/export.csv",
        "stakeholders.views.PersonListView",
        (("export_format", "csv"),),
    ),
    (
        "people:export_xlsx",
        "people/export.xlsx",
        "stakeholders.views.PersonListView",
        (("export_format", "xlsx"),),
    ),
    ("people:suggest", "people/suggest/", "stakeholders.views.PersonSuggestView", ()),
    ("people:detail", "people/<id:pk>/", "stakeholders.views.PersonDetailView", ()),
    (
        "follow_ups:list",
        "follow-ups/",
        "meetings.follow_up_views.FollowUpListView",
        (),
    ),
    (
        "follow_ups:export_csv",
        "follow-ups/export.csv",
        "meetings.follow_up_views.FollowUpListView",
        (("export_format", "csv"),),
    ),
    (
        "follow_ups:export_xlsx",
        "follow-ups/export.xlsx",
        "meetings.follow_up_views.FollowUpListView",
        (("export_format", "xlsx"),),
    ),
    (
        "follow_ups:status",
        "follow-ups/<id:pk>/status/",
        "meetings.follow_up_views.FollowUpStatusView",
        (),
    ),
    ("meetings:list", "meetings/", "meetings.views.MeetingListView", ()),
    (
        "meetings:export_csv",
        "meetings/export.csv",
        "meetings.views.MeetingListView",
        (("export_format", "csv"),),
    ),
    (
        "meetings:export_xlsx",
        "meetings/export.xlsx",
        "meetings.views.MeetingListView",
        (("export_format", "xlsx"),),
    ),
    (
        "meetings:suggest",
        "meetings/suggest/",
        "meetings.views.MeetingSuggestView",
        (),
    ),
    (
        "meetings:topic_suggest",
        "meetings/topics/suggest/",
        "meetings.views.TopicSuggestView",
        (),
    ),
    ("meetings:detail", "meetings/<id:pk>/", "meetings.views.MeetingDetailView", ()),
    ("meetings:record", "meetings/record/", "meetings.views.MeetingRecordView", ()),
    ("meetings:edit", "meetings/<id:pk>/edit/", "meetings.views.MeetingRecordView", ()),
    ("meetings:ics", "meetings/<id:pk>.ics", "meetings.views.MeetingCalendarView", ()),
    ("attendance:list", "attendance/", "meetings.matrix.AttendanceView", ()),
    (
        "attendance:export_csv",
        "attendance/export.csv",
        "meetings.matrix.AttendanceView",
        (("export_format", "csv"),),
    ),
    (
        "attendance:export_xlsx",
        "attendance/export.xlsx",
        "meetings.matrix.AttendanceView",
        (("export_format", "xlsx"),),
    ),
    (
        "organisations:assess",
        "organisations/<id:pk>/assess/",
        "stakeholders.views.OrganisationAssessView",
        (),
    ),
    ("map:map", "map/", "stakeholders.map.MapView", ()),
    (
        "map:export_csv",
        "map/export.csv",
        "stakeholders.map.MapView",
        (("export_format", "csv"),),
    ),
    (
        "map:export_xlsx",
        "map/export.xlsx",
        "stakeholders.map.MapView",
        (("export_format", "xlsx"),),
    ),
    ("map:svg", "map/map.svg", "stakeholders.map.MapView", (("svg_download", True),)),
    (
        "calendar_settings",
        "accounts/calendar/",
        "meetings.feeds.CalendarSettingsView",
        (),
    ),
    ("api_tokens", "accounts/api-tokens/", "api.tokens.ApiTokensView", ()),
    (
        "calendar_feed",
        "calendar/<str:token>.ics",
        "meetings.feeds.CalendarFeedView",
        (),
    ),
    ("api:schema", "api/v1/schema/", "drf_spectacular.views.SpectacularAPIView", ()),
    (
        "api:docs",
        "api/v1/docs/",
        "drf_spectacular.views.SpectacularSwaggerSplitView",
        (("url_name", "api:schema"),),
    ),
    (
        "api:redoc",
        "api/v1/redoc/",
        "drf_spectacular.views.SpectacularRedocView",
        (("url_name", "api:schema"),),
    ),
}

# The REST API's resources: (route name, path, viewset); each has a list
# and a record.
API_RESOURCES = [
    ("organisationtype", "organisation-types", "OrganisationTypeViewSet"),
    ("organisation", "organisations", "OrganisationViewSet"),
    ("organisationname", "other-names", "OrganisationNameViewSet"),
    ("organisationidentifier", "identifiers", "OrganisationIdentifierViewSet"),
    ("person", "people", "PersonViewSet"),
    ("position", "positions", "PositionViewSet"),
    ("assessment", "assessments", "AssessmentViewSet"),
    ("topic", "topics", "TopicViewSet"),
    ("meeting", "meetings", "MeetingViewSet"),
    ("agendaitem", "agenda-items", "AgendaItemViewSet"),
    ("attendance", "attendance", "AttendanceViewSet"),
    ("followup", "follow-ups", "FollowUpViewSet"),
]
PUBLIC_URLS.add(
    (
        "api:api-root",
        "api/v1/",
        "api.urls.RootView",
        (
            (
                "api_root_dict",
                tuple(
                    sorted((path, f"{name}-list") for name, path, _ in API_RESOURCES)
                ),
            ),
        ),
    )
)
PUBLIC_URLS.add(
    (
        "api:meeting-attendance-sheet",
        "api/v1/meetings/<id:pk>/attendance-sheet/",
        "api.views.MeetingViewSet",
        (("actions", (("post", "attendance_sheet"),)),),
    )
)
for name, path, viewset in API_RESOURCES:
    PUBLIC_URLS.add(
        (
            f"api:{name}-list",
            f"api/v1/{path}/",
            f"api.views.{viewset}",
            (("actions", (("get", "list"), ("post", "create"))),),
        )
    )
    PUBLIC_URLS.add(
        (
            f"api:{name}-detail",
            f"api/v1/{path}/<id:pk>/",
            f"api.views.{viewset}",
            (
                (
                    "actions",
                    (
                        ("delete", "destroy"),
                        ("get", "retrieve"),
                        ("patch", "partial_update"),
                        ("put", "update"),
                    ),
                ),
            ),
        )
    )


def public_urls(patterns, prefix="", namespace=""):
    for entry in patterns:
        route = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            if route == "admin/":
                continue
            inner = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            yield from public_urls(entry.url_patterns, route, inner)
        else:
            # A class-based view, a REST framework viewset (its class and
            # its methods' actions), or a function (the language switch).
            callback = entry.callback
            while hasattr(callback, "__wrapped__") and not (
                hasattr(callback, "view_class") or hasattr(callback, "cls")
            ):
                callback = callback.__wrapped__  # login_required, csp_update
            view = getattr(callback, "view_class", getattr(callback, "cls", callback))
            arguments = getattr(callback, "view_initkwargs", {})
            if getattr(callback, "actions", None):
                # rest_framework adds "head" to a viewset's actions once it
                # has served a GET.
                actions = callback.actions.items()
                arguments = {
                    "actions": tuple(sorted(a for a in actions if a[0] != "head"))
                }
            arguments = {
                key: tuple(sorted(value.items())) if isinstance(value, dict) else value
                for key, value in arguments.items()
            }
            yield (
                namespace + entry.name,
                route,
                f"{view.__module__}.{view.__qualname__}",
                tuple(sorted(arguments.items())),
            )


def test_every_public_url_keeps_its_name_route_and_view():
    found = list(public_urls(get_resolver().url_patterns))

    assert len(found) == len(set(found))
    assert set(found) == PUBLIC_URLS


def test_every_public_name_reverses_to_its_route():
    for name, route, _view, _arguments in PUBLIC_URLS:
        kwargs = {"pk": 7} if "<id:pk>" in route else {}
        if "<str:token>" in route:
            kwargs = {"token": "abc"}
        expected = route.replace("<id:pk>", "7").replace("<str:token>", "abc")

        assert reverse(name, kwargs=kwargs) == "/" + expected
