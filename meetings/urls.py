from django.urls import path

from core import converters  # noqa: F401 - registers <id:pk>

from . import views

app_name = "meetings"

urlpatterns = [
    path("", views.MeetingListView.as_view(), name="list"),
    path(
        "export.csv",
        views.MeetingListView.as_view(export_format="csv"),
        name="export_csv",
    ),
    path(
        "export.xlsx",
        views.MeetingListView.as_view(export_format="xlsx"),
        name="export_xlsx",
    ),
    path("suggest/", views.MeetingSuggestView.as_view(), name="suggest"),
    path("topics/suggest/", views.TopicSuggestView.as_view(), name="topic_suggest"),
    path("<id:pk>/", views.MeetingDetailView.as_view(), name="detail"),
    path("<id:pk>.ics", views.MeetingCalendarView.as_view(), name="ics"),
]
