"""The package as outbound events show it: what GET /api/v1/oms/packages/{id}/ answers."""

import json
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder


def package_representation(package_id: int) -> dict[str, Any]:
    from oms.packages.selectors import package_list
    from oms.packages.serializers import PackageSerializer

    package = package_list().get(pk=package_id)
    return json.loads(json.dumps(PackageSerializer(package).data, cls=DjangoJSONEncoder))
