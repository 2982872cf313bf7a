"""Writes with history: who a command writes as, and bulk updates that
leave one history row per changed row."""

from contextlib import contextmanager
from types import SimpleNamespace

from django.db import transaction
from django.utils import timezone
from simple_history.models import HistoricalRecords
from simple_history.utils import bulk_update_with_history


@contextmanager
def recorded_as(user):
    """Attribute every history row written inside the block to ``user``.

    A web request names its user through simple-history's middleware; a
    management command or a background job has no request, so it says who it
    acts for with this. ``user=None`` leaves the rows without a user.
    """
    context = HistoricalRecords.context
    previous = getattr(context, "request", None)
    if user is not None:
        context.request = SimpleNamespace(user=user)
    try:
        yield
    finally:
        if previous is None:
            if hasattr(context, "request"):
                del context.request
        else:
            context.request = previous


@transaction.atomic
def records_bulk_update(*, queryset, user, reason=None, **values):
    """Set ``values`` on every row of ``queryset`` and leave one history entry per
    changed row, attributed to ``user``.

    ``QuerySet.update()`` would write no history at all; admin actions call this
    instead. Rows that already hold the values are left alone. ``reason`` is
    the history's change reason (``core.history.history_reason``). Costs one
    query to lock and read the rows, one to update them and one to insert
    their history.
    """
    fields = list(values)
    changed = []
    # Lock the rows through a plain query: the changelist's queryset may carry
    # outer joins or GROUP BY, which PostgreSQL refuses to lock.
    rows = queryset.model._base_manager.filter(
        pk__in=queryset.order_by().values("pk")
    ).select_for_update()
    for obj in rows:
        if all(getattr(obj, field) == value for field, value in values.items()):
            continue
        for field, value in values.items():
            setattr(obj, field, value)
        # A form opened before this change must not save over it.
        obj.version += 1
        changed.append(obj)
    if not changed:
        return 0
    model = queryset.model
    fields.append("version")
    if any(f.name == "updated_at" for f in model._meta.concrete_fields):
        now = timezone.now()
        for obj in changed:
            obj.updated_at = now
        fields.append("updated_at")
    bulk_update_with_history(
        changed, model, fields, default_user=user, default_change_reason=reason
    )
    return len(changed)
