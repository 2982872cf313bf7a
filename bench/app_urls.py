"""The app's own URLs, plus what the benchmark measures beside its pages:

- an attendance CSV export built with the app's streaming helper: the app has
  no attendance export, and the benchmark measures what one would cost (see
  ``bench.naive.AttendanceStreamedCsv``);
- the duplicate warning of the admin's add forms (``duplicates.warnings``)
  alone, for a name in the query string: the form's POST would add its own
  validation and page to what the warning costs."""

from django.http import Http404, JsonResponse
from django.urls import path

from config import urls as app_urls
from duplicates.warnings import likely_organisations, likely_people

from .naive import AttendanceStreamedCsv


def duplicates_warning(request, kind):
    """What the add form of ``kind`` would list for ``?name=`` (and, for an
    organisation, ``&acronym=``): ids, names and reasons, as JSON."""
    name = request.GET.get("name", "")
    if kind == "organisations":
        found = likely_organisations(name, request.GET.get("acronym", ""))
    elif kind == "people":
        found = likely_people(name)
    else:
        raise Http404(kind)
    return JsonResponse(
        {
            "found": [
                {"id": record.pk, "name": str(record), "reasons": reasons}
                for record, reasons in found
            ]
        }
    )


urlpatterns = [
    path("bench/attendance/export.csv", AttendanceStreamedCsv.as_view()),
    path("bench/duplicates/<str:kind>/", duplicates_warning),
    *app_urls.urlpatterns,
]
