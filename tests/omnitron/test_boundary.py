"""`omnitron_ask`: the one place Omnitron's errors become OMS errors, against the sandbox."""

import pytest

from oms.core.errors import DomainError, ServiceUnavailable
from oms.omnitron.boundary import omnitron_ask
from oms.omnitron.client import OmnitronClient

WORDING = {
    "field": "pk",
    "not_found": "No such order.",
    "unavailable": lambda error: f"Omnitron is away ({error.method} {error.path}).",
    "failed": lambda error: f"Omnitron said no ({error.status_code}).",
}


@pytest.fixture
def opened(make_client):
    """A client factory that remembers the clients it made, to check they were closed."""
    made: list[OmnitronClient] = []

    def factory() -> OmnitronClient:
        client = make_client(max_attempts=1)
        made.append(client)
        return client

    factory.made = made
    return factory


def _is_closed(client: OmnitronClient) -> bool:
    return client._http.is_closed


def test_the_answer_is_returned_and_the_client_closed(sandbox, opened):
    order = sandbox.create_order(channel=42, cargo_company=7, tracking_number="TRK-1", item_count=1)

    read = omnitron_ask(lambda omnitron: omnitron.order_get(order["pk"]), client_factory=opened, **WORDING)

    assert read.tracking_number == "TRK-1"
    assert [_is_closed(client) for client in opened.made] == [True]


def test_not_found_is_a_400_on_the_callers_field(sandbox, opened):
    with pytest.raises(DomainError) as raised:
        omnitron_ask(lambda omnitron: omnitron.order_get(987_654), client_factory=opened, **WORDING)

    assert (raised.value.status_code, raised.value.errors) == (400, {"pk": ["No such order."]})
    assert _is_closed(opened.made[0])


def test_not_found_is_none_when_the_caller_takes_it_as_an_answer(sandbox, opened):
    wording = {**WORDING, "not_found": None}

    assert (
        omnitron_ask(lambda omnitron: omnitron.order_get(987_654), client_factory=opened, **wording) is None
    )


def test_an_outage_is_a_503_with_omnitrons_retry_after(sandbox, opened):
    sandbox.set_faults(rate_limit_next=1, retry_after=7)

    with pytest.raises(ServiceUnavailable) as raised:
        omnitron_ask(lambda omnitron: omnitron.channels_list(), client_factory=opened, **WORDING)

    assert raised.value.status_code == 503
    assert raised.value.retry_after == 7
    assert raised.value.errors == {"non_field_errors": ["Omnitron is away (GET /api/v1/channels/)."]}


def test_an_outage_without_retry_after_says_thirty_seconds(sandbox, opened):
    sandbox.set_faults(fail_next=1)

    with pytest.raises(ServiceUnavailable) as raised:
        omnitron_ask(lambda omnitron: omnitron.channels_list(), client_factory=opened, **WORDING)

    assert raised.value.retry_after == 30


def test_a_refusal_is_a_400_worded_by_the_caller(sandbox, opened):
    with pytest.raises(DomainError) as raised:
        omnitron_ask(
            lambda omnitron: omnitron.order_items_status_update({987_654: 450}),
            client_factory=opened,
            **WORDING,
        )

    assert raised.value.status_code == 400
    assert raised.value.errors == {"pk": ["Omnitron said no (400)."]}


def test_an_unconfigured_omnitron_is_a_400_worded_by_the_caller(settings, db):
    from oms.omnitron.client import omnitron_client_get

    settings.OMNITRON_URL = ""

    wording = {**WORDING, "failed": lambda error: f"Cannot ask Omnitron: {error}"}

    with pytest.raises(DomainError) as raised:
        omnitron_ask(lambda omnitron: omnitron.channels_list(), client_factory=omnitron_client_get, **wording)

    assert raised.value.status_code == 400
    assert raised.value.errors["pk"][0].startswith("Cannot ask Omnitron: Omnitron is not configured: url")
