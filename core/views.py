"""The base list view (filtered, paginated, exported), the base view of
the search-as-you-type pickers, and small helpers of the detail pages."""

from urllib.parse import urlsplit

from django.contrib.auth.mixins import PermissionRequiredMixin
from django.http import HttpResponseBadRequest, JsonResponse
from django.views import View
from django.views.generic import ListView

from core.exports import csv_response, xlsx_response
from core.forms import SuggestForm
from core.paginators import CappedCountPaginator, count_limit_for


class FilteredListView(PermissionRequiredMixin, ListView):
    """A list filtered by a FilterSet from the query string, paginated, and
    exported as CSV or XLSX (the same rows across all pages) when the view is
    routed with ``export_format``.

    An invalid parameter answers 400 with the form's errors on the page (or in
    the body of an export), never a 500 and never a silently empty list.
    """

    filterset_class = None
    paginate_by = 50
    # A filtered list is counted up to a limit ("more than 1,000 results"):
    # for a filter matching most of 50,000 meetings the count, not the page,
    # was most of the time.
    paginator_class = CappedCountPaginator
    export_format = None
    export_filename = ""
    export_columns = ()
    # False where an export is small and its query costly to run twice: one
    # query, not its first objects apart (core.exports.Plan.head_first).
    export_head_first = True
    # Fields of the filter that choose how the rows are shown, not which.
    presentation_fields = ("sort",)

    def get(self, request, *args, **kwargs):
        self.filterset = self.filterset_class(
            request.GET or None, queryset=self.get_queryset(), request=request
        )
        valid = not self.filterset.is_bound or self.filterset.is_valid()
        if self.export_format:
            if not valid:
                return HttpResponseBadRequest(
                    self.filterset.form.errors.as_text(),
                    content_type="text/plain; charset=utf-8",
                )
            return self.export(self.filterset.qs)
        self.object_list = (
            self.filterset.qs if valid else self.filterset.queryset.none()
        )
        context = self.get_context_data(filter=self.filterset)
        return self.render_to_response(context, status=200 if valid else 400)

    def paginate_queryset(self, queryset, page_size):
        """Like ListView's, but a page number past the end shows the last page
        and a malformed one the first, instead of a 404."""
        number = self.request.GET.get(self.page_kwarg)
        paginator = self.get_paginator(
            queryset, page_size, count_limit=count_limit_for(number, page_size)
        )
        page = paginator.get_page(number)
        return paginator, page, page.object_list, page.has_other_pages()

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        page = context["page_obj"]
        context["page_range"] = page.paginator.get_elided_page_range(page.number)
        context["active_filters"] = self.active_filters()
        return context

    def active_filters(self):
        """How many of the filter's fields the query string sets (those that
        choose how the rows are shown aside): shown on the button that
        unfolds the filter on a phone."""
        data = self.request.GET
        return sum(
            1
            for name in self.filterset.form.fields
            if name not in self.presentation_fields
            and any(value.strip() for value in data.getlist(name))
        )

    def export(self, queryset):
        columns = self.get_export_columns()
        respond = csv_response if self.export_format == "csv" else xlsx_response
        return respond(
            queryset,
            columns,
            self.export_filename,
            path=self.request.path,
            head_first=self.export_head_first,
        )

    def get_export_columns(self):
        return self.export_columns


class SuggestView(PermissionRequiredMixin, View):
    """JSON for the search-as-you-type pickers: ``?q=`` (two characters or
    more) gives up to ten matches, ``?id=`` the label of one record.
    ``form_class`` may take more parameters, in ``self.options``; ``browse``
    may answer a term too short to search."""

    limit = 10
    min_length = 2
    form_class = SuggestForm

    def get_queryset(self):
        raise NotImplementedError

    def search(self, queryset, term):
        raise NotImplementedError

    def browse(self, queryset):
        """What to suggest before a term is typed: nothing by default."""
        return None

    def label(self, obj):
        return str(obj)

    def result(self, obj):
        """One suggestion: its id and label."""
        return {"id": obj.pk, "label": self.label(obj)}

    def get(self, request):
        form = self.form_class(request.GET)
        if not form.is_valid():
            error = "; ".join(
                f"{name}: {' '.join(errors)}" for name, errors in form.errors.items()
            )
            return JsonResponse({"error": error}, status=400)
        self.options = form.cleaned_data
        queryset = self.get_queryset()
        if "id" in request.GET:
            queryset = queryset.filter(pk=form.cleaned_data["id"])
        else:
            term = form.cleaned_data["q"]
            if len(term) < self.min_length:
                queryset = self.browse(queryset)
                if queryset is None:
                    return JsonResponse({"results": []})
            else:
                queryset = self.search(queryset, term)
        results = [self.result(obj) for obj in queryset[: self.limit]]
        return JsonResponse({"results": results})


def web_link(url):
    """``url`` when it is safe to put in an ``href`` (http or https), else "".

    URLField validates in forms only; a value written another way could carry
    a ``javascript:`` address."""
    try:
        scheme = urlsplit(url).scheme.lower()
    except ValueError:  # e.g. an unclosed "[" of an IPv6 address
        return ""
    return url if scheme in ("http", "https") else ""


def first(queryset, limit):
    """The first ``limit`` rows of ``queryset`` as a list, and whether there
    are more (one query: ``limit + 1`` rows are read)."""
    rows = list(queryset[: limit + 1])
    return rows[:limit], len(rows) > limit
