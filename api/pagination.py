"""Cursor pagination in the order records were made: a client that reads a
list page by page never sees a record twice or misses one that was there
when it started, and no page counts the table."""

from rest_framework.pagination import CursorPagination


class IdCursorPagination(CursorPagination):
    ordering = "id"
    page_size_query_param = "page_size"
    max_page_size = 500
