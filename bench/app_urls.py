"""The app's own URLs, plus an attendance CSV export built with the app's
streaming helper: the app has no attendance export, and the benchmark measures
what one would cost (see ``bench.naive.AttendanceStreamedCsv``)."""

from django.urls import path

from config import urls as app_urls

from .naive import AttendanceStreamedCsv

urlpatterns = [
    path("bench/attendance/export.csv", AttendanceStreamedCsv.as_view()),
    *app_urls.urlpatterns,
]
