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
