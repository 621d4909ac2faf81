"""Unknown Omnitron status codes are refused at ingestion; a bad Host is one warning line."""

import logging

import pytest

from oms.orders.models import Order
from tests.factories import cargo_company, marketplace_channel, omnitron_order_json

URL = "/api/v1/oms/omnitron/orders/"
HUGE = "99999999999999999999"


@pytest.fixture
def channel(db):
    cargo_company()
    return marketplace_channel()


@pytest.mark.parametrize("status", [HUGE, "401", "0", "999"])
def test_an_order_status_outside_omnitron_s_codes_is_refused(api, channel, status):
    body = omnitron_order_json(pk=9101, channel=42, status=status)

    response = api.post(URL, body, format="json")

    assert response.status_code == 400, response.content[:300]
    assert list(response.json()["error"]) == ["status"]
    assert "not one of Omnitron's status codes" in response.json()["error"]["status"][0]
    assert not Order.objects.exists()


def test_an_item_status_outside_omnitron_s_codes_is_refused(api, channel):
    body = omnitron_order_json(pk=9102, channel=42)
    body["orderitem_set"][0]["status"] = HUGE

    response = api.post(URL, body, format="json")

    assert response.status_code == 400, response.content[:300]
    assert list(response.json()["error"]) == ["orderitem_set[0].status"]
    assert not Order.objects.exists()


def test_an_order_with_known_codes_is_still_ingested(api, channel):
    response = api.post(URL, omnitron_order_json(pk=9103, channel=42, status="400"), format="json")

    assert response.status_code == 201, response.content[:300]


def test_a_bad_host_is_a_400_logged_as_one_warning_line(client, db, caplog):
    with caplog.at_level(logging.INFO, logger="django.security"):
        response = client.get("/api/v1/oms/orders/", HTTP_HOST="evil.example")

    assert response.status_code == 400
    records = [r for r in caplog.records if r.name == "django.security.DisallowedHost"]
    assert len(records) == 1
    record = records[0]
    assert (record.levelname, record.exc_info, record.exc_text) == ("WARNING", None, None)
    assert "evil.example" in record.getMessage()
