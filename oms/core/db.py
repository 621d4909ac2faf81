from django.db import connection
from django.db.models import QuerySet


def lock_rows(queryset: QuerySet, *, skip_locked: bool = False) -> QuerySet:
    """`SELECT ... FOR UPDATE [SKIP LOCKED]` where the database has it.

    SQLite has no row locks; OMS runs its transactions there with `BEGIN IMMEDIATE`, so a
    writer holds the whole database and the same code is serialised.
    """
    if connection.features.has_select_for_update:
        if skip_locked and connection.features.has_select_for_update_skip_locked:
            return queryset.select_for_update(skip_locked=True)
        return queryset.select_for_update()
    return queryset
