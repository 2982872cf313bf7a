from csp.constants import UNSAFE_INLINE
from csp.decorators import csp_update
from django.contrib.auth.decorators import login_required
from django.urls import path
from drf_spectacular.views import (
    SpectacularAPIView,
    SpectacularRedocView,
    SpectacularSwaggerSplitView,
)
from rest_framework.routers import APIRootView, DefaultRouter

from . import views
from .permissions import MayRead


class RootView(APIRootView):
    """The list of the API's resources, for those who may read them."""

    permission_classes = [MayRead]


app_name = "api"

# Paths as the rest of the project writes them (``<id:pk>``), no format
# suffixes: JSON is the only format.
router = DefaultRouter(use_regex_path=False)
router.include_format_suffixes = False
router.APIRootView = RootView
router.register("organisation-types", views.OrganisationTypeViewSet)
router.register("organisations", views.OrganisationViewSet)
router.register("other-names", views.OrganisationNameViewSet)
router.register("identifiers", views.OrganisationIdentifierViewSet)
router.register("people", views.PersonViewSet)
router.register("positions", views.PositionViewSet)
router.register("assessments", views.AssessmentViewSet)
router.register("topics", views.TopicViewSet)
router.register("meetings", views.MeetingViewSet)
router.register("agenda-items", views.AgendaItemViewSet)
router.register("attendance", views.AttendanceViewSet)
router.register("follow-ups", views.FollowUpViewSet)

# Redoc styles its page from its script and searches in a worker it makes
# from a blob: the one page whose policy allows both (Swagger UI needs
# neither: its script is a file, SpectacularSwaggerSplitView).
redoc_policy = csp_update({"style-src": [UNSAFE_INLINE], "worker-src": ["blob:"]})

urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    # The schema's pages for people: a visitor is sent to log in first.
    path(
        "docs/",
        login_required(SpectacularSwaggerSplitView.as_view(url_name="api:schema")),
        name="docs",
    ),
    path(
        "redoc/",
        login_required(
            redoc_policy(SpectacularRedocView.as_view(url_name="api:schema"))
        ),
        name="redoc",
    ),
    *router.urls,
]
