"""Cancelling and refunding orders in the sandbox, and sending the plan to OMS like Omnitron."""


def test_cancelling_some_items_sends_a_plan_beside_the_push_url(sandbox, http, push_receiver):
    sandbox.configure_push(push_receiver.url, "oms-token")
    order = sandbox.create_order(item_count=3)
    assert sandbox.push_wait(5)
    first, *_ = (item["pk"] for item in order["orderitem_set"])

    response = http.post(
        f"/_sandbox/orders/{order['pk']}/cancel/", json={"items": [first], "reason": "customer"}
    )

    assert response.status_code == 200, response.json()
    answer = response.json()
    assert [item["status"] for item in answer["orderitem_set"]] == ["100", "400", "400"]
    assert answer["status"] == "400"  # the order keeps its status while only some items are cancelled
    assert sandbox.push_wait(5)
    plan = push_receiver.received[-1]
    assert plan["path"] == "/api/v1/oms/cancellation_plan/"
    assert plan["headers"]["Authorization"] == "Token oms-token"
    assert plan["body"] == {
        "id": answer["plan"]["id"],
        "order": order["pk"],
        "plan_type": "cancel",
        "order_items": [first],
        "reason": "customer",
    }
    assert answer["plan_sent"] is True


def test_cancelling_every_item_cancels_the_order_and_can_push_it_again(sandbox, http, push_receiver):
    sandbox.configure_push(push_receiver.url, "t")
    order = sandbox.create_order(item_count=2)
    assert sandbox.push_wait(5)

    response = http.post(
        f"/_sandbox/orders/{order['pk']}/cancel/", json={"send_plan": False, "push_order": True}
    )

    assert response.json()["status"] == "100"
    assert sandbox.push_wait(5)
    pushed = push_receiver.received[-1]
    assert pushed["path"] == "/api/v1/oms/omnitron/orders/"
    assert pushed["body"]["status"] == "100"
    assert [r["path"] for r in push_receiver.received].count("/api/v1/oms/cancellation_plan/") == 0


def test_refund_sets_600_and_sends_a_refund_plan(sandbox, http, push_receiver):
    sandbox.configure_push(push_receiver.url, "t")
    order = sandbox.create_order(item_count=1, status="550")

    answer = http.post(f"/_sandbox/orders/{order['pk']}/refund/", json={}).json()

    assert answer["status"] == "600" and answer["plan"]["plan_type"] == "refund"
    assert sandbox.push_wait(5)
    assert push_receiver.received[-1]["body"]["plan_type"] == "refund"


def test_bad_input_is_refused(sandbox, http):
    order = sandbox.create_order(item_count=1)

    unknown = http.post(f"/_sandbox/orders/{order['pk']}/cancel/", json={"items": [1]})
    wrong_status = http.post(f"/_sandbox/orders/{order['pk']}/refund/", json={"status": "100"})
    missing = http.post("/_sandbox/orders/999999/cancel/", json={})

    assert unknown.status_code == 400 and "Not items of order" in str(unknown.json())
    assert wrong_status.status_code == 400
    assert missing.status_code == 404
    assert sandbox.order(order["pk"])["orderitem_set"][0]["status"] == "400"


def test_without_push_the_plan_is_given_but_not_sent(sandbox, http):
    order = sandbox.create_order(item_count=1)

    answer = http.post(f"/_sandbox/orders/{order['pk']}/cancel/", json={}).json()

    assert answer["plan_sent"] is False and answer["plan"]["order_items"] == [order["orderitem_set"][0]["pk"]]
