from django.urls import path
from drf_spectacular.views import (
    SpectacularAPIView,
    SpectacularRedocView,
    SpectacularSwaggerSplitView,
)
from rest_framework.routers import DefaultRouter

from . import views

app_name = "api"

# Paths as the rest of the project writes them (``<id:pk>``), no format
# suffixes: JSON is the only format.
router = DefaultRouter(use_regex_path=False)
router.include_format_suffixes = False
router.register("organisation-types", views.OrganisationTypeViewSet)
router.register("organisations", views.OrganisationViewSet)
router.register("people", views.PersonViewSet)
router.register("positions", views.PositionViewSet)
router.register("assessments", views.AssessmentViewSet)
router.register("topics", views.TopicViewSet)
router.register("meetings", views.MeetingViewSet)
router.register("agenda-items", views.AgendaItemViewSet)
router.register("attendance", views.AttendanceViewSet)
router.register("follow-ups", views.FollowUpViewSet)

urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path(
        "docs/",
        SpectacularSwaggerSplitView.as_view(url_name="api:schema"),
        name="docs",
    ),
    path("redoc/", SpectacularRedocView.as_view(url_name="api:schema"), name="redoc"),
    *router.urls,
]
