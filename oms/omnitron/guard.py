"""No Omnitron call inside a database transaction.

An HTTP call made while a transaction is open holds that transaction's locks for as long as Omnitron
takes to answer; on SQLite (`transaction_mode` IMMEDIATE) that is the database's one write lock, so
every other writer waits. When the Django setting OMNITRON_REFUSE_CALLS_IN_TRANSACTION is true (the
test settings, and DEBUG), the client refuses such a call with `OmnitronCallInTransaction` before
sending it, so a regression fails loudly in tests instead of slowing production down.

The client's transport needs no Django (the sandbox and benchmarks use it without settings): the
check does nothing when Django is not set up.
"""

import sys


class OmnitronCallInTransaction(RuntimeError):
    """A programming error: an Omnitron call was about to be made inside a database transaction."""


def _open_transaction_aliases() -> list[str]:
    from django.db import connections

    aliases = []
    for connection in connections.all(initialized_only=True):
        # The atomic blocks a test case wraps each test in are not the code's own transactions.
        if any(not getattr(block, "_from_testcase", False) for block in connection.atomic_blocks):
            aliases.append(connection.alias)
    return aliases


def transaction_guard(call: str) -> None:
    """Raise `OmnitronCallInTransaction` when `call` would run inside a transaction (if enabled)."""
    if "django.conf" not in sys.modules:
        return
    from django.conf import settings

    if not settings.configured or not getattr(settings, "OMNITRON_REFUSE_CALLS_IN_TRANSACTION", False):
        return
    aliases = _open_transaction_aliases()
    if aliases:
        raise OmnitronCallInTransaction(
            f"Omnitron {call} was called inside a database transaction (database {', '.join(aliases)}). "
            "Read from Omnitron before the transaction opens, or after it commits "
            "(transaction.on_commit), so a slow Omnitron never holds a database lock."
        )
