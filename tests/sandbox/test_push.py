"""Pushing newly created orders to OMS's ingestion URL."""


def test_configured_push_posts_each_new_order_with_the_token(sandbox, http, push_receiver):
    response = http.post(
        "/_sandbox/push/", json={"url": push_receiver.url, "token": "oms-token", "enabled": True}
    )
    assert response.status_code == 200

    order = sandbox.create_order(item_count=2)
    assert sandbox.push_wait(5)

    (received,) = push_receiver.received
    assert received["path"] == "/api/v1/oms/omnitron/orders/"
    assert received["headers"]["Authorization"] == "Token oms-token"
    assert received["headers"]["Content-Type"] == "application/json"
    assert received["body"] == order
    status = http.get("/_sandbox/push/").json()
    assert (status["sent"], status["failed"], status["attempts"], status["pending"]) == (1, 0, 1, 0)
    assert status["token"] == "********"
    assert status["url"] == push_receiver.url


def test_orders_created_before_configuring_are_not_pushed(sandbox, push_receiver):
    sandbox.create_order()
    sandbox.configure_push(push_receiver.url, "t")

    assert sandbox.push_wait(5)
    assert push_receiver.received == []


def test_disabled_push_loses_orders_and_counts_them(sandbox, http, push_receiver):
    sandbox.configure_push(push_receiver.url, "t")
    http.post("/_sandbox/push/", json={"enabled": False})

    sandbox.create_order()
    sandbox.create_order()

    assert sandbox.push_wait(5)
    assert push_receiver.received == []
    assert sandbox.push_status()["skipped"] == 2
    assert sandbox.push_status()["enabled"] is False


def test_push_retries_503_honouring_retry_after(sandbox, push_receiver):
    push_receiver.answers.extend([(503, {"Retry-After": "0"}), (429, {"Retry-After": "0"})])
    sandbox.configure_push(push_receiver.url, "t")

    order = sandbox.create_order()

    assert sandbox.push_wait(5)
    assert [entry["answered"] for entry in push_receiver.received] == [503, 429, 201]
    assert all(entry["body"]["pk"] == order["pk"] for entry in push_receiver.received)
    status = sandbox.push_status()
    assert (status["sent"], status["failed"], status["attempts"]) == (1, 0, 3)
    assert status["deliveries"][-1] == {
        "order": order["pk"],
        "url": push_receiver.url,
        "status": 201,
        "attempts": 3,
        "error": "",
    }


def test_push_gives_up_on_a_4xx(sandbox, push_receiver):
    push_receiver.answers.append((400, {}))
    sandbox.configure_push(push_receiver.url, "t")

    sandbox.create_order()

    assert sandbox.push_wait(5)
    assert len(push_receiver.received) == 1
    status = sandbox.push_status()
    assert (status["sent"], status["failed"]) == (0, 1)
    assert "400" in status["last_error"]


def test_push_to_a_closed_port_fails_after_retries(sandbox, push_receiver):
    url = push_receiver.url
    push_receiver.stop()
    sandbox.configure_push(url, "t")

    sandbox.create_order()

    assert sandbox.push_wait(10)
    status = sandbox.push_status()
    assert (status["sent"], status["failed"], status["attempts"]) == (0, 1, 4)


def test_enabling_push_needs_a_url(http):
    assert http.post("/_sandbox/push/", json={"enabled": True}).status_code == 400
    assert http.post("/_sandbox/push/", json={"url": "ftp://x", "enabled": True}).status_code == 400
