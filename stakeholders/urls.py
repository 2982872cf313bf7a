from core.urls import list_routes

from . import views

# Two namespaces from one app: /organisations/ and /people/ are separate lists
# with short URL names (organisations:list, people:detail, ...).
organisation_patterns = (
    list_routes(
        views.OrganisationListView,
        views.OrganisationSuggestView,
        views.OrganisationDetailView,
    ),
    "organisations",
)

person_patterns = (
    list_routes(views.PersonListView, views.PersonSuggestView, views.PersonDetailView),
    "people",
)
