from oms.channels.models import Channel
from oms.core.statuses import PackageStatus
from oms.transitions.models import StateTransition
from tests.api.conftest import API, CLIENT_KLASS, make_order, make_package

URL = f"{API}/packages/"


def _ids(response) -> list[int]:
    assert response.status_code == 200, response.content
    return [row["id"] for row in response.json()["results"]]


def _transition(slug: str, command: str, source: int, destination: int) -> StateTransition:
    return StateTransition.objects.create(
        model="package", command=command, slug=slug, source_state=source, destination_state=destination
    )


def test_a_package_shows_its_order_items_status_and_no_shipment(api, channel_42):
    order = make_order(channel=channel_42, items=2)
    package = make_package(order=order)

    response = api.get(f"{URL}{package.pk}/")

    assert response.status_code == 200
    body = response.json()
    assert (body["number"], body["status"], body["status_code"]) == (package.number, "waiting", 100)
    assert body["order"] == {
        "id": order.pk,
        "number": order.number,
        "omnitron_id": order.omnitron_id,
        "channel": 42,
    }
    assert [(i["order_item_omnitron_id"], i["status"], i["status_code"]) for i in body["items"]] == [
        (item.omnitron_id, "waiting", 100) for item in order.items.order_by("id")
    ]
    assert body["shipment"] is None
    assert body["commands"] == []


def test_a_package_shows_its_shipment(api, channel_42, cargo_company_1):
    order = make_order(channel=channel_42, cargo_company=cargo_company_1)
    package = make_package(order=order, status=PackageStatus.PACKED, shipment=True)

    response = api.get(f"{URL}{package.pk}/")

    shipment = response.json()["shipment"]
    assert {
        k: shipment[k]
        for k in ("package", "tracking_number", "cargo_company", "status", "status_code", "client")
    } == {
        "package": package.pk,
        "tracking_number": f"TRK-{package.pk}",
        "cargo_company": 1,
        "status": "created",
        "status_code": 500,
        "client": CLIENT_KLASS,
    }


def test_commands_are_the_slugs_runnable_from_the_packages_status(api, channel_42):
    _transition("CHANNEL_BASED_COMPLETE_PACKAGING", "CHANNEL_BASED_COMPLETE_PACKAGING", 100, 500)
    _transition("PREPARE_PACKAGE", "PREPARE_PACKAGE", 100, 200)
    _transition("READY_TO_PACK", "READY_TO_PACK", 200, 400)
    waiting = make_package(order=make_order(channel=channel_42))
    preparing = make_package(order=make_order(channel=channel_42), status=PackageStatus.PREPARING)
    packed = make_package(order=make_order(channel=channel_42), status=PackageStatus.PACKED)

    response = api.get(URL)

    commands = {row["id"]: row["commands"] for row in response.json()["results"]}
    assert commands == {
        waiting.pk: ["CHANNEL_BASED_COMPLETE_PACKAGING", "PREPARE_PACKAGE"],
        preparing.pk: ["READY_TO_PACK"],
        packed.pk: [],
    }


def test_filter_packages_by_order_number(api, channel_42):
    wanted = make_package(order=make_order(channel=channel_42))
    make_package(order=make_order(channel=channel_42))

    assert _ids(api.get(URL, {"order_number": wanted.order.number})) == [wanted.pk]


def test_filter_packages_by_order_omnitron_id(api, channel_42):
    wanted = make_package(order=make_order(channel=channel_42))
    make_package(order=make_order(channel=channel_42))

    assert _ids(api.get(URL, {"order_omnitron_id": wanted.order.omnitron_id})) == [wanted.pk]


def test_filter_packages_by_status_name(api, channel_42):
    wanted = make_package(order=make_order(channel=channel_42), status=PackageStatus.PACKED)
    make_package(order=make_order(channel=channel_42))

    assert _ids(api.get(URL, {"status": "packed"})) == [wanted.pk]


def test_filter_packages_by_status_code(api, channel_42):
    wanted = make_package(order=make_order(channel=channel_42), status=PackageStatus.PACKED)
    make_package(order=make_order(channel=channel_42))

    assert _ids(api.get(URL, {"status": 500})) == [wanted.pk]


def test_an_unknown_status_filter_answers_400_not_500(api, db):
    response = api.get(URL, {"status": "boxed"})

    assert response.status_code == 400
    assert response.json() == {
        "error": {
            "status": [
                "Unknown status 'boxed'. Use one of: waiting, preparing, ready_to_pack, packed, shipped, "
                "attempted_delivery, delivered, out_of_stock, cancelled, packed_for_refund (or their "
                "numeric codes)."
            ]
        },
        "status_code": 400,
    }


def test_filter_packages_by_channel(api, channel_42):
    other = Channel.objects.create(name="Other", channel_type="web")
    wanted = make_package(order=make_order(channel=channel_42))
    make_package(order=make_order(channel=other))

    assert _ids(api.get(URL, {"channel": 42})) == [wanted.pk]


def test_an_unknown_package_answers_404(api, db):
    response = api.get(f"{URL}999/")

    assert response.status_code == 404
    assert response.json()["status_code"] == 404


def test_a_clerk_can_read_packages(clerk_api, channel_42):
    package = make_package(order=make_order(channel=channel_42))

    assert _ids(clerk_api.get(URL)) == [package.pk]


def test_packages_are_read_only(api, channel_42):
    package = make_package(order=make_order(channel=channel_42))

    response = api.patch(f"{URL}{package.pk}/", {"status": "packed"}, format="json")

    assert response.status_code == 405
    package.refresh_from_db()
    assert package.status == PackageStatus.WAITING
