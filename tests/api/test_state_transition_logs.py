from datetime import timedelta

import pytest
from django.utils import timezone

from oms.transitions.models import StateTransitionLog
from tests.flow.conftest import ingest, marketplace  # noqa: F401

URL = "/api/v1/oms/state-transition-logs/"
SEED_BODY = {"slug": "CHANNEL_BASED_COMPLETE_PACKAGING", "input_parameters": {}}


@pytest.fixture
def two_packed(api, marketplace, ingest):  # noqa: F811
    first = ingest(pk=4001)
    second = ingest(pk=4002)
    ids = [first["packages"][0]["id"], second["packages"][0]["id"]]
    api.post(f"/api/v1/oms/packages/{ids[0]}/command/", {"slug": "PREPARE_PACKAGE"}, format="json")
    for package_id in ids:
        api.post(f"/api/v1/oms/packages/{package_id}/command/", SEED_BODY, format="json")
    return {"packages": ids, "orders": [first["id"], second["id"]]}


def test_any_user_reads_the_log_in_akinons_shape(clerk_api, two_packed, staff_user):
    response = clerk_api.get(URL, {"package": two_packed["packages"][0]})

    assert response.status_code == 200
    rows = response.json()["results"]
    assert [(r["from_state"], r["to_state"]) for r in rows] == [
        ("preparing", "packed"),
        ("waiting", "preparing"),
    ]
    newest = rows[0]
    assert newest["user"] == {"id": staff_user.pk, "username": "staff", "email": ""}
    assert newest["slug"] == "CHANNEL_BASED_COMPLETE_PACKAGING"
    assert newest["command"] == "CHANNEL_BASED_COMPLETE_PACKAGING"
    assert newest["transition"] == StateTransitionLog.objects.get(pk=newest["id"]).transition_id
    assert (newest["from_state_code"], newest["to_state_code"]) == (200, 500)


@pytest.mark.parametrize(
    ("params", "count"),
    [
        ({"command": "PREPARE_PACKAGE"}, 1),
        ({"slug": "CHANNEL_BASED_COMPLETE_PACKAGING"}, 2),
        ({"order": "ORDER0"}, 2),
        ({"user": "STAFF"}, 3),
        ({"created_at__gte": "PAST"}, 3),
        ({"created_at__lt": "PAST"}, 0),
    ],
)
def test_filters(api, two_packed, staff_user, params, count):
    past = (timezone.now() - timedelta(hours=1)).isoformat()
    values = {"ORDER0": two_packed["orders"][0], "STAFF": staff_user.pk, "PAST": past}
    params = {key: values.get(value, value) for key, value in params.items()}

    response = api.get(URL, params)

    assert response.status_code == 200 and response.json()["count"] == count


@pytest.mark.parametrize("params", [{"package": "x"}, {"user": "-1"}, {"created_at__gte": "yesterday"}])
def test_bad_filters_answer_400(api, params):
    response = api.get(URL, params)

    assert response.status_code == 400 and list(response.json()["error"]) == list(params)


def test_the_log_is_read_only(api, anon):
    assert api.post(URL, {}, format="json").status_code == 405
    assert anon.get(URL).status_code == 401
