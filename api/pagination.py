"""Cursor pagination in the order records were made: a client that reads a
list page by page never sees a record twice or misses one that was there
when it started, and no page counts the table."""

from django.utils.translation import gettext_lazy as _
from rest_framework.exceptions import ValidationError
from rest_framework.pagination import CursorPagination


class IdCursorPagination(CursorPagination):
    ordering = "id"
    page_size_query_param = "page_size"
    # rest_framework's serializers spend about 0.4 ms of CPU a record
    # (organisations, meetings): 500 a page took 205-216 ms at XL on
    # PostgreSQL, over the lists' 150 ms (bench/results/postgresql-XL-issue14.json);
    # 200 keep within it.
    max_page_size = 200

    def get_page_size(self, request):
        """``page_size``: 1 or more (at most ``max_page_size`` are given);
        anything else is a 400 naming it, where rest_framework would quietly
        give the default."""
        value = request.query_params.get(self.page_size_query_param)
        if not value:  # absent or empty, as the lists read an empty filter
            return self.page_size
        try:
            size = int(value)
        except ValueError:
            size = 0
        if size < 1:
            raise ValidationError(
                {self.page_size_query_param: [_("Enter a whole number, 1 or more.")]}
            )
        return min(size, self.max_page_size)

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.page_size_query_param:
                parameter["schema"].update(minimum=1)
                parameter["description"] = str(
                    _("Records a page: 50 unless given, at most 200.")
                )
        return parameters
