"""Transactions that belong to a test, not to the code under test."""

from django.db import transaction
from django.db.transaction import Atomic


def example_atomic() -> Atomic:
    """An atomic block a test opens around one generated example (and usually rolls back).

    It is marked as the test's own, as Django marks the atomic blocks of its test cases, so the
    Omnitron client's transaction guard still checks the transactions the code under test opens.
    """
    block = transaction.atomic()
    block._from_testcase = True
    return block
