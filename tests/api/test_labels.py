"""Shipping labels: the PDF is rendered to an image (poppler) and its barcode read back (zbar)."""

import subprocess
from pathlib import Path

import pytest

from oms.core.statuses import PackageStatus
from oms.orders.models import OrderItem
from oms.shipments.models import Shipment
from tests.api.conftest import API, make_order, make_package

TRACKING = "7330012345678"


def _pages(pdf: bytes, tmp_path: Path) -> list[Path]:
    source = tmp_path / "labels.pdf"
    source.write_bytes(pdf)
    subprocess.run(["pdftoppm", "-r", "200", "-gray", "-png", source, tmp_path / "page"], check=True)
    return sorted(tmp_path.glob("page*.png"))


def _barcode(image: Path) -> str:
    found = subprocess.run(
        ["zbarimg", "--quiet", "--raw", "-Sdisable", "-Scode128.enable", image],
        check=True,
        capture_output=True,
        text=True,
    )
    return found.stdout.strip()


def _text(pdf: bytes, tmp_path: Path) -> str:
    source = tmp_path / "text.pdf"
    source.write_bytes(pdf)
    return subprocess.run(
        ["pdftotext", "-layout", source, "-"], check=True, capture_output=True, text=True
    ).stdout


def _packed(channel, cargo_company, tracking_number: str = TRACKING, items: int = 2):
    order = make_order(channel=channel, cargo_company=cargo_company, items=items)
    package = make_package(order=order, status=PackageStatus.PACKED, shipment=True)
    Shipment.objects.filter(package=package).update(tracking_number=tracking_number)
    return package


def test_a_label_carries_the_tracking_number_as_a_code_128_barcode(
    api, channel_42, cargo_company_1, tmp_path
):
    package = _packed(channel_42, cargo_company_1)

    response = api.get(f"{API}/packages/{package.pk}/label/")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    (page,) = _pages(response.content, tmp_path)
    assert _barcode(page) == TRACKING
    text = _text(response.content, tmp_path)
    for expected in (TRACKING, "Trendyol Express", "Trendyol", package.order.number, package.number):
        assert expected in text
    assert "SKU-" in text and "T-shirt" in text


def test_a_label_is_100_by_150_mm(api, channel_42, cargo_company_1, tmp_path):
    package = _packed(channel_42, cargo_company_1)
    source = tmp_path / "label.pdf"
    source.write_bytes(api.get(f"{API}/packages/{package.pk}/label/").content)

    info = subprocess.run(["pdfinfo", source], check=True, capture_output=True, text=True).stdout

    size = next(line for line in info.splitlines() if line.startswith("Page size"))
    width, height = (float(v) for v in size.split(":")[1].split("pts")[0].split(" x "))
    assert (round(width / 72 * 25.4), round(height / 72 * 25.4)) == (100, 150)


def test_many_items_are_cut_with_a_count_of_the_rest(api, channel_42, cargo_company_1, tmp_path):
    package = _packed(channel_42, cargo_company_1, items=40)
    OrderItem.objects.filter(order=package.order).update(product_name="Cotton shirt " + "long name " * 20)

    pdf = api.get(f"{API}/packages/{package.pk}/label/").content

    text = _text(pdf, tmp_path)
    shown = text.count("Cotton shirt")
    assert 5 < shown < 40
    assert f"+{40 - shown} more" in text
    assert "…" in text


def test_many_labels_in_one_pdf_in_the_order_asked(api, channel_42, cargo_company_1, tmp_path):
    packages = [_packed(channel_42, cargo_company_1, tracking_number=f"73300{n}2345678") for n in range(3)]
    ids = [packages[2].pk, packages[0].pk, packages[1].pk]

    response = api.get(f"{API}/packages/labels/?ids={','.join(map(str, ids))}")

    assert response.status_code == 200
    pages = _pages(response.content, tmp_path)
    assert [_barcode(page) for page in pages] == ["7330022345678", "7330002345678", "7330012345678"]


def test_a_package_not_packed_yet_has_no_label(api, channel_42, cargo_company_1):
    package = make_package(order=make_order(channel=channel_42, cargo_company=cargo_company_1))

    response = api.get(f"{API}/packages/{package.pk}/label/")

    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    message = response.json()["error"]["non_field_errors"][0]
    assert package.number in message and "pack it first" in message


def test_a_label_asked_for_as_pdf_still_refuses_in_json(api, channel_42):
    package = make_package(order=make_order(channel=channel_42))

    response = api.get(f"{API}/packages/{package.pk}/label/", HTTP_ACCEPT="application/pdf")

    assert response.status_code == 400
    assert response.json()["status_code"] == 400


def test_an_unknown_package_has_no_label(api, db):
    response = api.get(f"{API}/packages/999999/label/")

    assert response.status_code == 400
    assert "no package with id 999999" in response.json()["error"]["non_field_errors"][0]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("", "Send the package ids"),
        ("?ids=", "Send the package ids"),
        ("?ids=1,x", "'x' is not a package id"),
        ("?ids=-1", "'-1' is not a package id"),
        ("?ids=" + ",".join(str(n) for n in range(1, 502)), "At most 500 labels"),
        ("?ids=999998,999999", "no package with id 999998, 999999"),
    ],
)
def test_bad_ids_are_refused_under_ids(api, db, query, expected):
    response = api.get(f"{API}/packages/labels/{query}")

    assert response.status_code == 400
    assert expected in response.json()["error"]["ids"][0]


def test_an_unknown_query_parameter_is_refused(api, db):
    response = api.get(f"{API}/packages/labels/?ids=1&id=2")

    assert response.status_code == 400
    assert "This URL takes: format, ids" in response.json()["error"]["id"][0]


def test_a_label_for_an_id_beyond_any_database_is_a_404(api):
    response = api.get("/api/v1/oms/packages/99999999999999999999/label/")

    assert response.status_code == 404
    assert response.json()["status_code"] == 404
