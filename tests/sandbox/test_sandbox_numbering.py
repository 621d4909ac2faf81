"""A sandbox started next to an OMS that holds orders numbers its new orders and items past them."""

from oms.sandbox.store import FIRST_ORDER_PK, Store


def _store() -> Store:
    return Store(users={"oms": "secret"}, on_order_created=lambda order: None)


def test_a_new_sandbox_numbers_from_the_defaults() -> None:
    assert _store().order_create({"channel": 42, "cargo_company": 7})["pk"] == FIRST_ORDER_PK


def test_numbering_start_moves_orders_and_items_past_what_oms_holds_even_after_a_reset() -> None:
    store = _store()
    store.numbering_start(order_pk=2001, item_pk=9001)

    first = store.order_create({"channel": 42, "cargo_company": 7, "item_count": 2})
    store.reset()
    after_reset = store.order_create({"channel": 42, "cargo_company": 7})

    assert first["pk"] == 2001
    assert [item["pk"] for item in first["orderitem_set"]] == [9001, 9002]
    assert first["number"] == "SB-2001"
    assert after_reset["pk"] == 2001  # a reset forgets the sandbox's orders, not where OMS's end
