from oms.shipments.models import CargoCompany
from tests.api.conftest import API

URL = f"{API}/cargo-companies/"


def test_create_a_cargo_company(api):
    body = {"name": "Yurtici", "erp_code": "YK", "shipping_company": "yurtici", "omnitron_id": 3}

    response = api.post(URL, body, format="json")

    assert response.status_code == 201
    data = response.json()
    assert {k: data[k] for k in body} == body
    assert CargoCompany.objects.get().erp_code == "YK"


def test_list_cargo_companies(api, cargo_company_1):
    response = api.get(URL)

    assert response.status_code == 200
    assert [row["id"] for row in response.json()["results"]] == [1]


def test_get_a_cargo_company(api, cargo_company_1):
    response = api.get(f"{URL}1/")

    assert response.status_code == 200
    assert response.json()["omnitron_id"] == 7


def test_patch_a_cargo_company(api, cargo_company_1):
    response = api.patch(f"{URL}1/", {"erp_code": "TEX"}, format="json")

    assert response.status_code == 200
    cargo_company_1.refresh_from_db()
    assert cargo_company_1.erp_code == "TEX"


def test_a_duplicate_omnitron_id_is_refused_naming_the_existing_cargo_company(api, cargo_company_1):
    response = api.post(URL, {"name": "Copy", "omnitron_id": 7}, format="json")

    assert response.status_code == 400
    assert response.json()["error"] == {
        "omnitron_id": [
            "A cargo company with omnitron_id 7 already exists (id 1). Change it with PATCH "
            "/api/v1/oms/cargo-companies/1/ instead of creating another."
        ]
    }
    assert CargoCompany.objects.count() == 1


def test_an_unknown_field_is_refused(api):
    response = api.post(URL, {"name": "X", "tracking_url": "http://x"}, format="json")

    assert response.status_code == 400
    assert list(response.json()["error"]) == ["tracking_url"]
    assert CargoCompany.objects.count() == 0


def test_a_cargo_company_cannot_be_deleted(api, cargo_company_1):
    response = api.delete(f"{URL}1/")

    assert response.status_code == 405
    assert CargoCompany.objects.filter(pk=1).exists()
