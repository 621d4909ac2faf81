"""`sync_orders --since` with an absolute time: a date or a datetime without an offset is UTC."""

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from oms.orders.models import Order


@pytest.mark.parametrize("since", ["2020-01-01", "2020-01-01T09:00:00"])
def test_sync_orders_reads_a_time_without_offset_as_utc(api, omnitron, capsys, since):
    order = omnitron.create_order(channel=42, cargo_company=7, tracking_number="S1", item_count=1)

    call_command("sync_orders", "--since", since)

    assert list(Order.objects.values_list("omnitron_id", flat=True)) == [order["pk"]]
    assert "1 ingested" in capsys.readouterr().out


def test_sync_orders_refuses_a_time_it_cannot_read(api, omnitron):
    with pytest.raises(CommandError, match="--since 'yesterday'"):
        call_command("sync_orders", "--since", "yesterday")

    assert not Order.objects.exists()
