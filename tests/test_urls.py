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
    ("jsi18n", "jsi18n/", "django.views.i18n.JavaScriptCatalog", ()),
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
}


def public_urls(patterns, prefix="", namespace=""):
    for entry in patterns:
        route = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            if route == "admin/":
                continue
            inner = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            yield from public_urls(entry.url_patterns, route, inner)
        else:
            # A class-based view, or a function (the language switch).
            view = getattr(entry.callback, "view_class", entry.callback)
            yield (
                namespace + entry.name,
                route,
                f"{view.__module__}.{view.__qualname__}",
                tuple(sorted(getattr(entry.callback, "view_initkwargs", {}).items())),
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
