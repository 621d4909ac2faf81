"""Order item status updates: the bulk endpoint (all or nothing) and the single item PATCH."""

BULK = "/api/i1/order_items/bulk_status_update/"


def test_bulk_update_sets_statuses_and_answers_them(sandbox, authed):
    order = sandbox.create_order(item_count=2)
    first, second = (item["pk"] for item in order["orderitem_set"])

    response = authed.patch(
        BULK, json={"orderitem_set": [{"id": first, "status": "450"}, {"id": second, "status": "450"}]}
    )

    assert response.status_code == 200
    assert response.json() == {
        "orderitem_set": [{"id": first, "status": "450"}, {"id": second, "status": "450"}]
    }
    changed = sandbox.order(order["pk"])
    assert [item["status"] for item in changed["orderitem_set"]] == ["450", "450"]
    assert changed["status"] == "450"  # every item is preparing, so the order is too
    assert changed["modified_date"] > order["modified_date"]


def test_bulk_update_of_some_items_leaves_the_order_status(sandbox, authed):
    order = sandbox.create_order(item_count=2)

    authed.patch(BULK, json={"orderitem_set": [{"id": order["orderitem_set"][0]["pk"], "status": "450"}]})

    assert sandbox.order(order["pk"])["status"] == "400"


def test_bulk_update_with_unknown_ids_changes_nothing_and_names_them(sandbox, authed):
    order = sandbox.create_order(item_count=1)
    known = order["orderitem_set"][0]["pk"]

    response = authed.patch(
        BULK,
        json={
            "orderitem_set": [
                {"id": known, "status": "450"},
                {"id": 999998, "status": "450"},
                {"id": 999999, "status": "450"},
            ]
        },
    )

    assert response.status_code == 400
    message = response.json()["orderitem_set"][0]
    assert "999998" in message and "999999" in message
    assert str(known) not in message
    assert sandbox.order(order["pk"]) == order


def test_bulk_update_requires_statuses_as_strings(sandbox, authed):
    order = sandbox.create_order(item_count=1)

    response = authed.patch(
        BULK, json={"orderitem_set": [{"id": order["orderitem_set"][0]["pk"], "status": 450}]}
    )

    assert response.status_code == 400
    assert sandbox.order(order["pk"]) == order


def test_bulk_update_refuses_a_body_without_orderitem_set(authed):
    assert authed.patch(BULK, json={"items": []}).status_code == 400
    assert (
        authed.patch(BULK, content=b"{not json", headers={"Content-Type": "application/json"}).status_code
        == 400
    )


def test_setting_the_same_status_again_changes_nothing(sandbox, authed):
    order = sandbox.create_order(item_count=1)
    item = order["orderitem_set"][0]["pk"]
    authed.patch(BULK, json={"orderitem_set": [{"id": item, "status": "450"}]})
    before = sandbox.order(order["pk"])

    response = authed.patch(BULK, json={"orderitem_set": [{"id": item, "status": "450"}]})

    assert response.status_code == 200
    assert sandbox.order(order["pk"]) == before


def test_single_item_patch_answers_the_item(sandbox, authed):
    order = sandbox.create_order(item_count=1)
    item = order["orderitem_set"][0]

    response = authed.patch(f"/api/v1/order_items/{item['pk']}/", json={"status": "450"})

    assert response.status_code == 200
    assert response.json() == {**item, "status": "450", "order": order["pk"]}
    assert sandbox.order(order["pk"])["orderitem_set"][0]["status"] == "450"


def test_single_item_patch_of_unknown_item_is_404(authed):
    response = authed.patch("/api/v1/order_items/999999/", json={"status": "450"})

    assert response.status_code == 404
