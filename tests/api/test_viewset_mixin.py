"""`IntegrityErrorAs400Mixin` on a delete that a PROTECT foreign key refuses."""

import pytest
from django.db.models import ProtectedError

from oms.core.errors import DomainError
from oms.core.viewsets import IntegrityErrorAs400Mixin
from oms.shipments.models import CargoCompany


class _RefusingDestroy:
    def perform_destroy(self, instance):
        raise ProtectedError("protected", {instance})


class _ViewSet(IntegrityErrorAs400Mixin, _RefusingDestroy):
    pass


def test_a_protected_delete_is_a_400_saying_what_blocks_it(cargo_company_1):
    with pytest.raises(DomainError) as caught:
        _ViewSet().perform_destroy(cargo_company_1)

    assert caught.value.status_code == 400
    assert caught.value.errors == {
        "non_field_errors": [
            "Cargo company 1 is still used by cargo companies, so it cannot be deleted. "
            "Remove those first, or keep it."
        ]
    }
    assert CargoCompany.objects.filter(pk=1).exists()
