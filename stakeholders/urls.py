from django.urls import path

from core.urls import list_routes

from . import views
from .map import MapView

# Two namespaces from one app: /organisations/ and /people/ are separate lists
# with short URL names (organisations:list, people:detail, ...).
# Beside each record's page, its timeline (stakeholders/timeline.py).
organisation_patterns = (
    [
        *list_routes(
            views.OrganisationListView,
            views.OrganisationSuggestView,
            views.OrganisationDetailView,
        ),
        path(
            "<id:pk>/timeline/",
            views.OrganisationTimelineView.as_view(),
            name="timeline",
        ),
        path("<id:pk>/assess/", views.OrganisationAssessView.as_view(), name="assess"),
    ],
    "organisations",
)

person_patterns = (
    [
        *list_routes(
            views.PersonListView, views.PersonSuggestView, views.PersonDetailView
        ),
        path("<id:pk>/timeline/", views.PersonTimelineView.as_view(), name="timeline"),
    ],
    "people",
)

# /map/, the stakeholder map: the map with its table, the table's exports and
# the drawing as an SVG file.
map_patterns = (
    [
        path("", MapView.as_view(), name="map"),
        path("export.csv", MapView.as_view(export_format="csv"), name="export_csv"),
        path("export.xlsx", MapView.as_view(export_format="xlsx"), name="export_xlsx"),
        path("map.svg", MapView.as_view(svg_download=True), name="svg"),
    ],
    "map",
)
