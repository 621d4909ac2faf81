from django.db import connection
from django.db.models import QuerySet


def lock_rows(queryset: QuerySet, *, skip_locked: bool = False) -> QuerySet:
    """`SELECT ... FOR UPDATE OF <the queryset's own table> [SKIP LOCKED]` where the database has it.

    Only the queryset's own rows are locked, not the rows `select_related` joins (locking an
    order's channel would serialise all work on that channel).

    SQLite has no row locks; OMS runs its transactions there with `BEGIN IMMEDIATE`, so a
    writer holds the whole database and the same code is serialised.
    """
    features = connection.features
    if not features.has_select_for_update:
        return queryset
    options = {}
    if features.has_select_for_update_of:
        options["of"] = ("self",)
    if skip_locked and features.has_select_for_update_skip_locked:
        options["skip_locked"] = True
    return queryset.select_for_update(**options)
