"""The routes every list area has (organisations, people, meetings), written
once. Not a URLconf: each area's urls.py includes these under its prefix."""

from django.urls import path

from core import converters  # noqa: F401 - registers <id:pk>


def list_routes(list_view, suggest_view, detail_view):
    """The filtered list at the area's prefix, its CSV and XLSX exports (the
    same rows, all pages), the picker's suggestions and a record's page, with
    the short names the area's namespace qualifies (``people:export_csv``)."""
    return [
        path("", list_view.as_view(), name="list"),
        path("export.csv", list_view.as_view(export_format="csv"), name="export_csv"),
        path(
            "export.xlsx", list_view.as_view(export_format="xlsx"), name="export_xlsx"
        ),
        path("suggest/", suggest_view.as_view(), name="suggest"),
        path("<id:pk>/", detail_view.as_view(), name="detail"),
    ]
