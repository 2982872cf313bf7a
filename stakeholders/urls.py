from django.urls import path

from core import converters  # noqa: F401 - registers <id:pk>

from . import views

# Two namespaces from one app: /organisations/ and /people/ are separate lists
# with short URL names (organisations:list, people:detail, ...).
organisation_patterns = (
    [
        path("", views.OrganisationListView.as_view(), name="list"),
        path(
            "export.csv",
            views.OrganisationListView.as_view(export_format="csv"),
            name="export_csv",
        ),
        path(
            "export.xlsx",
            views.OrganisationListView.as_view(export_format="xlsx"),
            name="export_xlsx",
        ),
        path("suggest/", views.OrganisationSuggestView.as_view(), name="suggest"),
        path("<id:pk>/", views.OrganisationDetailView.as_view(), name="detail"),
    ],
    "organisations",
)

person_patterns = (
    [
        path("", views.PersonListView.as_view(), name="list"),
        path(
            "export.csv",
            views.PersonListView.as_view(export_format="csv"),
            name="export_csv",
        ),
        path(
            "export.xlsx",
            views.PersonListView.as_view(export_format="xlsx"),
            name="export_xlsx",
        ),
        path("suggest/", views.PersonSuggestView.as_view(), name="suggest"),
        path("<id:pk>/", views.PersonDetailView.as_view(), name="detail"),
    ],
    "people",
)
