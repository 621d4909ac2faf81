"""The request log of API requests."""


def test_api_requests_are_recorded_with_query_body_and_status(sandbox, authed):
    order = sandbox.create_order(item_count=1)
    item = order["orderitem_set"][0]["pk"]

    authed.get("/api/v1/orders/", params={"status": "400", "limit": 5})
    authed.patch(
        "/api/i1/order_items/bulk_status_update/", json={"orderitem_set": [{"id": item, "status": "450"}]}
    )

    login, listing, bulk = sandbox.requests()
    assert (login["method"], login["path"], login["status"]) == ("POST", "/api/v1/auth/login/", 200)
    assert (listing["method"], listing["path"], listing["query"]) == (
        "GET",
        "/api/v1/orders/",
        "status=400&limit=5",
    )
    assert listing["params"] == {"status": "400", "limit": "5"}
    assert listing["user"] == sandbox.username
    assert bulk["body"] == {"orderitem_set": [{"id": item, "status": "450"}]}
    assert bulk["status"] == 200
    assert listing["time"].endswith("Z")


def test_the_login_password_is_masked(sandbox, token):
    (login,) = sandbox.requests()

    assert login["body"] == {"username": sandbox.username, "password": "********"}


def test_control_requests_are_not_recorded(sandbox, http):
    http.get("/_sandbox/health/")
    http.post("/_sandbox/orders/", json={"channel": 42})

    assert sandbox.requests() == []


def test_request_log_over_http_filters_by_path_and_clears(sandbox, http, authed):
    authed.get("/api/v1/channels/")
    authed.get("/api/v1/cargo_companies/")

    filtered = http.get("/_sandbox/requests/", params={"path": "/api/v1/channels/"}).json()
    assert [entry["path"] for entry in filtered] == ["/api/v1/channels/"]
    assert http.delete("/_sandbox/requests/").status_code == 204
    assert http.get("/_sandbox/requests/").json() == []


def test_faulted_requests_are_recorded_with_their_fault(sandbox, authed):
    sandbox.set_faults(rate_limit_next=1)

    authed.get("/api/v1/channels/")

    assert [(entry["status"], entry["fault"]) for entry in sandbox.requests()] == [
        (200, None),
        (429, "rate_limit"),
    ]
