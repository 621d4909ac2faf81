"""`POST packages/bulk-command/`: each package on its own, one result each, in request order."""

import pytest

from oms.core.statuses import PackageStatus
from oms.omnitron.models import OmnitronReport
from oms.packages.models import Package
from oms.shipments.models import Shipment
from oms.transitions.models import RefusedCommand, StateTransitionLog
from tests.api.conftest import make_order, make_package

URL = "/api/v1/oms/packages/bulk-command/"
PACK = "CHANNEL_BASED_COMPLETE_PACKAGING"


@pytest.fixture
def waiting(marketplace):
    def waiting(n: int, **order_fields) -> list[int]:
        ids = []
        for _ in range(n):
            fields = {"tracking_number": "7330012345678", **order_fields}
            order = make_order(
                channel=marketplace["channel"], cargo_company=marketplace["cargo_company"], **fields
            )
            ids.append(make_package(order=order).pk)
        return ids

    return waiting


def _statuses(ids: list[int]) -> list[int]:
    by_id = dict(Package.objects.filter(pk__in=ids).values_list("pk", "status"))
    return [by_id[pk] for pk in ids]


def test_one_refusal_undoes_nothing_of_the_others(api, waiting, staff_user):
    first, refused, last = waiting(3)
    Package.objects.filter(pk=refused).update(status=PackageStatus.PACKED)

    response = api.post(URL, {"slug": PACK, "packages": [last, refused, first]}, format="json")

    assert response.status_code == 200, response.content
    body = response.json()
    single = api.post(f"/api/v1/oms/packages/{refused}/command/", {"slug": PACK}, format="json")
    assert (body["done"], body["refused"]) == (2, 1)
    assert body["results"] == [
        {"package": last, "status": "done"},
        {"package": refused, "status": "refused", "error": single.json()["error"], "status_code": 400},
        {"package": first, "status": "done"},
    ]
    assert _statuses([first, refused, last]) == [PackageStatus.PACKED] * 3
    assert Shipment.objects.filter(package_id__in=[first, last]).count() == 2
    assert not Shipment.objects.filter(package_id=refused).exists()
    assert OmnitronReport.objects.count() == 2
    logs = StateTransitionLog.objects.filter(package_id__in=[first, last])
    assert {(log.actor, log.source) for log in logs} == {(staff_user, "bulk")}
    assert RefusedCommand.objects.filter(package_id=refused, source="bulk").count() == 1


def test_an_unknown_package_is_refused_like_a_single_command(api, waiting):
    (known,) = waiting(1)
    unknown = known + 1000

    body = api.post(URL, {"slug": PACK, "packages": [unknown, known]}, format="json").json()

    single = api.post(f"/api/v1/oms/packages/{unknown}/command/", {"slug": PACK}, format="json")
    assert single.status_code == 404
    assert body["results"] == [
        {"package": unknown, "status": "refused", "error": single.json()["error"], "status_code": 404},
        {"package": known, "status": "done"},
    ]


def test_an_idempotency_key_covers_the_whole_request(api, waiting):
    ids = waiting(2)
    headers = {"HTTP_IDEMPOTENCY_KEY": "bulk-1"}

    first = api.post(URL, {"slug": PACK, "packages": ids}, format="json", **headers)
    replay = api.post(URL, {"slug": PACK, "packages": ids}, format="json", **headers)
    other = api.post(URL, {"slug": PACK, "packages": ids[:1]}, format="json", **headers)

    assert first.status_code == replay.status_code == 200
    assert replay.json() == first.json() and first.json()["done"] == 2
    assert Shipment.objects.count() == 2 and StateTransitionLog.objects.count() == 2
    assert other.status_code == 409
    assert "Idempotency-Key" in other.json()["error"]


def test_five_hundred_packages_in_one_call(api, waiting):
    ids = waiting(500)

    response = api.post(URL, {"slug": PACK, "packages": ids}, format="json")

    assert response.status_code == 200
    body = response.json()
    assert body["done"] == 500
    assert [row["package"] for row in body["results"]] == ids
    assert set(_statuses(ids)) == {PackageStatus.PACKED}
    assert Shipment.objects.count() == 500


@pytest.mark.parametrize(
    ("packages", "expected"),
    [
        (list(range(1, 502)), "At most 500 packages"),
        ([1, 2, 1], "repeated: 1"),
        ("1,2,3", "list of package ids"),
        ({"id": 1}, "list of package ids"),
        ([], "at least one package"),
        ([0], "greater than or equal to 1"),
        (["x"], "valid integer"),
    ],
)
def test_a_bad_package_list_is_refused_naming_the_field(api, marketplace, packages, expected):
    response = api.post(URL, {"slug": PACK, "packages": packages}, format="json")

    assert response.status_code == 400
    body = response.json()
    assert body["status_code"] == 400
    assert expected in str(body["error"]["packages"])
    assert not StateTransitionLog.objects.exists() and not RefusedCommand.objects.exists()


def test_a_missing_package_list_or_slug_is_refused(api, marketplace):
    assert "packages" in api.post(URL, {"slug": PACK}, format="json").json()["error"]
    assert "slug" in api.post(URL, {"packages": [1]}, format="json").json()["error"]
    assert (
        "input_parameters"
        in api.post(URL, {"slug": PACK, "packages": [1], "input_parameters": []}, format="json").json()[
            "error"
        ]
    )


def test_bad_input_parameters_refuse_each_package_as_a_single_command_would(api, waiting):
    ids = waiting(2)

    body = api.post(
        URL, {"slug": PACK, "packages": ids, "input_parameters": {"colour": "red"}}, format="json"
    ).json()

    assert [row["status_code"] for row in body["results"]] == [400, 400]
    assert "input_parameters" in body["results"][0]["error"]
    assert _statuses(ids) == [PackageStatus.WAITING] * 2


def test_a_plain_user_may_run_bulk_commands_and_anonymous_may_not(clerk_api, anon, waiting):
    ids = waiting(1)

    assert anon.post(URL, {"slug": PACK, "packages": ids}, format="json").status_code == 401
    assert clerk_api.post(URL, {"slug": PACK, "packages": ids}, format="json").json()["done"] == 1
