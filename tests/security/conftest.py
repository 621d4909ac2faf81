import pytest

from tests.security.rows import Rows, every_row


@pytest.fixture
def rows(db, staff_user, plain_user) -> Rows:
    """One real row of every resource (and the staff and clerk users with their tokens)."""
    from rest_framework.authtoken.models import Token

    Token.objects.get_or_create(user=staff_user)
    Token.objects.get_or_create(user=plain_user)
    return every_row()
