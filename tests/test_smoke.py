def test_login_returns_a_token_that_opens_the_api(staff_user, anon):
    response = anon.post(
        "/api/v1/oms/auth/login/",
        {"username": "staff", "password": "staff-password-123"},
        format="json",
    )
    assert response.status_code == 200
    key = response.json()["key"]

    anon.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert anon.get("/api/v1/oms/channels/").status_code == 200


def test_the_api_refuses_a_request_without_token(anon, db):
    response = anon.get("/api/v1/oms/channels/")
    assert response.status_code == 401
    assert response.json()["status_code"] == 401
    assert "Token" in response.json()["error"]["non_field_errors"][0]
