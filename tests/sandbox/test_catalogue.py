"""Channels and cargo companies: seed data, list, detail and the control endpoints."""


def test_channels_list_has_the_seed_channels(authed):
    page = authed.get("/api/v1/channels/").json()

    assert page["count"] == 4
    assert {"pk": 42, "name": "Trendyol", "channel_type": "sales_channel", "is_active": True} in page[
        "results"
    ]
    assert [channel["pk"] for channel in page["results"]] == [1, 42, 43, 44]


def test_channel_detail_and_404(authed):
    assert authed.get("/api/v1/channels/44/").json()["channel_type"] == "amazon"
    assert authed.get("/api/v1/channels/999/").status_code == 404


def test_cargo_companies_list_and_detail(authed):
    page = authed.get("/api/v1/cargo_companies/").json()

    assert [company["pk"] for company in page["results"]] == [7, 8, 9]
    assert authed.get("/api/v1/cargo_companies/7/").json() == {
        "pk": 7,
        "name": "Yurtici Kargo",
        "erp_code": "yurtici-kargo",
        "shipping_company": "yurtici",
    }
    assert authed.get("/api/v1/cargo_companies/999/").status_code == 404


def test_control_endpoints_create_channels_and_cargo_companies(http, authed):
    channel = http.post("/_sandbox/channels/", json={"pk": 60, "name": "n11", "channel_type": "n11"})
    company = http.post("/_sandbox/cargo_companies/", json={"name": "MNG Kargo"})

    assert channel.status_code == 201
    assert authed.get("/api/v1/channels/60/").json()["name"] == "n11"
    assert company.status_code == 201
    assert company.json()["pk"] == 10
    assert company.json()["erp_code"] == "mng-kargo"
    assert http.post("/_sandbox/channels/", json={"pk": 60, "name": "again"}).status_code == 400
    assert http.post("/_sandbox/orders/", json={"channel": 60}).status_code == 201


def test_reset_restores_the_seed_catalogue(sandbox, authed):
    sandbox.create_channel(pk=61, name="Pazarama", channel_type="pazarama")

    sandbox.reset()

    assert authed.get("/api/v1/channels/61/").status_code == 404
    assert authed.get("/api/v1/channels/42/").status_code == 200
