from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from accounts.languages import language_view
from accounts.session import session_status
from api.tokens import ApiTokensView
from core.jsi18n import CatalogueView
from meetings.dashboard import HomeView
from meetings.feeds import CalendarFeedView, CalendarSettingsView
from meetings.urls import attendance_patterns, follow_up_patterns
from stakeholders.urls import map_patterns, organisation_patterns, person_patterns

# A missing page: JSON under /api/, the site's 404 page elsewhere.
handler404 = "api.views.not_found"

urlpatterns = [
    path("", HomeView.as_view(), name="home"),
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("accounts/language/", language_view, name="language"),
    # Whether the page's session still lives (static/js/session.js).
    path("accounts/session/", session_status, name="session_status"),
    # One's calendar subscription, and the feed calendar programs read.
    path(
        "accounts/calendar/",
        CalendarSettingsView.as_view(),
        name="calendar_settings",
    ),
    path("calendar/<str:token>.ics", CalendarFeedView.as_view(), name="calendar_feed"),
    # One's tokens for the API.
    path("accounts/api-tokens/", ApiTokensView.as_view(), name="api_tokens"),
    # The translations static/js/*.js use (gettext() in the browser), in the
    # request's language: the login page's scripts need them too.
    path("jsi18n/", CatalogueView.as_view(), name="jsi18n"),
    path(
        "accounts/password/",
        auth_views.PasswordChangeView.as_view(),
        name="password_change",
    ),
    path(
        "accounts/password/done/",
        auth_views.PasswordChangeDoneView.as_view(),
        name="password_change_done",
    ),
    path("organisations/", include(organisation_patterns)),
    path("people/", include(person_patterns)),
    path("meetings/", include("meetings.urls")),
    path("follow-ups/", include(follow_up_patterns)),
    path("attendance/", include(attendance_patterns)),
    path("map/", include(map_patterns)),
    path("api/v1/", include("api.urls")),
    path("admin/", admin.site.urls),
]
