import pytest

from oms.operations.marketplace import marketplace_setup
from tests.factories import cargo_company, marketplace_channel, omnitron_order_json, seed_condition_body

INGEST_URL = "/api/v1/oms/omnitron/orders/"


@pytest.fixture
def marketplace(api):
    """A configured marketplace: channel 42's orders of cargo company 7 go to OmnitronShipmentClient."""
    channel = marketplace_channel()
    company = cargo_company()
    marketplace_setup()
    response = api.post(
        "/api/v1/oms/cargo-company-conditions/",
        seed_condition_body(cargo_company_id=company.pk, channel_id=channel.pk),
        format="json",
    )
    assert response.status_code == 201, response.json()
    return {"channel": channel, "cargo_company": company}


@pytest.fixture
def ingest(api):
    def ingest(**kwargs) -> dict:
        response = api.post(INGEST_URL, omnitron_order_json(**kwargs), format="json")
        assert response.status_code == 201, response.json()
        return response.json()

    return ingest


@pytest.fixture
def omnitron(omnitron_sandbox_settings):
    """The Omnitron sandbox as a real server, with OMS configured to talk to it."""
    return omnitron_sandbox_settings


# The cancellation tests' fixture (placed orders), kept with their helpers.
from tests.flow.cancel_helpers import placed  # noqa: E402, F401
