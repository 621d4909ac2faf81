import re
from collections.abc import Mapping
from typing import Any

from django.db import connection
from django.db.models import QuerySet

# The largest value a bigint column holds (every id and Omnitron pk OMS keeps); a larger one cannot
# even be looked up.
BIGINT_MAX = 2**63 - 1
# Characters no database column holds: NUL (PostgreSQL text and jsonb refuse it) and lone surrogates
# (from a JSON "\ud800" escape; not UTF-8).
_UNSTORABLE_CHARACTER = re.compile("[\x00\ud800-\udfff]")


def unstorable_character(value: Any, path: str) -> tuple[str, str] | None:
    """The first character no database can store (see above) in a string, or in a key or string
    anywhere in a JSON value: (that character, where it is, starting from `path`); or None."""
    pending = [(value, path)]
    while pending:
        value, path = pending.pop()
        texts: list[tuple[str, str]] = []
        if isinstance(value, str):
            texts = [(value, path)]
        elif isinstance(value, Mapping):
            texts = [(str(key), f"the key {key!r} of {path}") for key in value]
            pending.extend((item, f"{path}.{key}") for key, item in value.items())
        elif isinstance(value, list):
            pending.extend((item, f"{path}[{index}]") for index, item in enumerate(value))
        for text, where in texts:
            found = _UNSTORABLE_CHARACTER.search(text)
            if found is not None:
                return found.group(), where
    return None


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
    return queryset.select_for_update(
        of=("self",) if features.has_select_for_update_of else (),
        skip_locked=skip_locked and features.has_select_for_update_skip_locked,
    )
