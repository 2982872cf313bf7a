from django.urls import path

from core.urls import list_routes

from . import views

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
