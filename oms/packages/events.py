"""The package as outbound events show it: what GET /api/v1/oms/packages/{id}/ answers."""

import json
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder


def package_representation(package_id: int) -> dict[str, Any]:
    return package_representations([package_id])[package_id]


def package_representations(package_ids: list[int]) -> dict[int, dict[str, Any]]:
    """Several packages as the API shows them, by id, in the same few queries as one."""
    from oms.packages.selectors import package_list
    from oms.packages.serializers import PackageSerializer

    packages = package_list().filter(pk__in=package_ids)
    data = json.loads(json.dumps(PackageSerializer(packages, many=True).data, cls=DjangoJSONEncoder))
    return {row["id"]: row for row in data}
