from oms.core.statuses import PackageStatus, ShipmentStatus
from oms.shipments.models import Shipment
from tests.api.conftest import API, CLIENT_KLASS, make_order, make_package

URL = f"{API}/shipments/"


def test_a_shipment_shows_package_tracking_carrier_status_and_client(api, channel_42, cargo_company_1):
    package = make_package(
        order=make_order(channel=channel_42, cargo_company=cargo_company_1),
        status=PackageStatus.PACKED,
        shipment=True,
    )
    shipment = Shipment.objects.get()

    response = api.get(f"{URL}{shipment.pk}/")

    assert response.status_code == 200
    body = response.json()
    assert {
        k: body[k]
        for k in ("id", "package", "tracking_number", "cargo_company", "status", "status_code", "client")
    } == {
        "id": shipment.pk,
        "package": package.pk,
        "tracking_number": shipment.tracking_number,
        "cargo_company": 1,
        "status": "created",
        "status_code": 500,
        "client": CLIENT_KLASS,
    }


def test_filter_shipments_by_status(api, channel_42):
    make_package(order=make_order(channel=channel_42), status=PackageStatus.PACKED, shipment=True)
    shipped = make_package(order=make_order(channel=channel_42), status=PackageStatus.SHIPPED, shipment=True)
    Shipment.objects.filter(package=shipped).update(status=ShipmentStatus.SHIPPED)

    response = api.get(URL, {"status": "shipped"})

    assert [row["package"] for row in response.json()["results"]] == [shipped.pk]


def test_an_unknown_shipment_status_filter_answers_400(api, db):
    response = api.get(URL, {"status": "lost"})

    assert response.status_code == 400
    assert list(response.json()["error"]) == ["status"]


def test_shipments_are_read_only(api, db):
    response = api.post(URL, {}, format="json")

    assert response.status_code == 405
