import pytest

from tests.security.rows import Rows, every_row
from tests.tokens import token_for


@pytest.fixture
def rows(db, staff_user, plain_user) -> Rows:
    """One real row of every resource (and the staff and clerk users with their tokens)."""
    token_for(staff_user)
    token_for(plain_user)
    return every_row()
