from django.urls import path

from core import converters  # noqa: F401 - registers <id:pk>
from core.urls import list_routes

from . import follow_up_views, matrix, views

app_name = "meetings"

urlpatterns = [
    *list_routes(
        views.MeetingListView, views.MeetingSuggestView, views.MeetingDetailView
    ),
    path("record/", views.MeetingRecordView.as_view(), name="record"),
    path("<id:pk>/edit/", views.MeetingRecordView.as_view(), name="edit"),
    path("topics/suggest/", views.TopicSuggestView.as_view(), name="topic_suggest"),
    path("<id:pk>.ics", views.MeetingCalendarView.as_view(), name="ics"),
]

# /follow-ups/, a namespace of its own (follow_ups:list, follow_ups:status):
# the worklist has no detail page, a follow-up is shown on its meeting's.
follow_up_patterns = (
    [
        path("", follow_up_views.FollowUpListView.as_view(), name="list"),
        path(
            "export.csv",
            follow_up_views.FollowUpListView.as_view(export_format="csv"),
            name="export_csv",
        ),
        path(
            "export.xlsx",
            follow_up_views.FollowUpListView.as_view(export_format="xlsx"),
            name="export_xlsx",
        ),
        path(
            "<id:pk>/status/",
            follow_up_views.FollowUpStatusView.as_view(),
            name="status",
        ),
    ],
    "follow_ups",
)

# /attendance/, a namespace of its own: the list or pivot and its exports.
attendance_patterns = (
    [
        path("", matrix.AttendanceView.as_view(), name="list"),
        path(
            "export.csv",
            matrix.AttendanceView.as_view(export_format="csv"),
            name="export_csv",
        ),
        path(
            "export.xlsx",
            matrix.AttendanceView.as_view(export_format="xlsx"),
            name="export_xlsx",
        ),
    ],
    "attendance",
)
