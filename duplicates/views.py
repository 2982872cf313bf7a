"""The pages of a merged record lead to the survivor's."""

from django.http import Http404
from django.shortcuts import redirect

from .merge import merged_into


class FollowMerges:
    """For a detail view of organisations or people (``model``, ``pk`` in
    the URL): where the record is missing because it was merged, a
    permanent redirect to the same page of the survivor, with the same query
    string. One query, on a missing record only."""

    def get(self, request, *args, **kwargs):
        try:
            return super().get(request, *args, **kwargs)
        except Http404:
            survivor = merged_into(self.model, kwargs["pk"])
            if survivor is None:
                raise
        match = request.resolver_match
        url = redirect(f"{match.namespace}:{match.url_name}", pk=survivor.pk).url
        query = request.META.get("QUERY_STRING")
        return redirect(f"{url}?{query}" if query else url, permanent=True)
