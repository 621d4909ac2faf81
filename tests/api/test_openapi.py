def test_the_openapi_schema_is_served(api):
    response = api.get("/api/schema/")

    assert response.status_code == 200
    body = response.content.decode()
    assert body.startswith("openapi: 3")
    assert "/api/v1/oms/cargo-company-conditions/" in body


def test_the_interactive_docs_are_served(api):
    response = api.get("/api/docs/")

    assert response.status_code == 200
    assert b"swagger" in response.content.lower()


def test_the_schema_documents_bulk_commands_labels_and_list_filters(api):
    schema = api.get("/api/schema/?format=json").json()
    paths = schema["paths"]

    bulk = paths["/api/v1/oms/packages/bulk-command/"]["post"]
    request = bulk["requestBody"]["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[-1]
    assert {"slug", "packages", "input_parameters"} <= set(
        schema["components"]["schemas"][request]["properties"]
    )
    assert "Idempotency-Key" in [p["name"] for p in bulk["parameters"]]
    assert "200" in bulk["responses"]
    for path in ("/api/v1/oms/packages/{id}/label/", "/api/v1/oms/packages/labels/"):
        assert "application/pdf" in paths[path]["get"]["responses"]["200"]["content"]
    package_filters = {p["name"] for p in paths["/api/v1/oms/packages/"]["get"]["parameters"]}
    assert {
        "tracking_number",
        "barcode",
        "sku",
        "created_after",
        "packed_before",
        "search",
    } <= package_filters
