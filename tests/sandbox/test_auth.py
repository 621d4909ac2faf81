"""Token auth of the sandbox, as the contract describes Omnitron's."""


def test_login_answers_a_token(sandbox, http):
    response = http.post(
        "/api/v1/auth/login/", json={"username": sandbox.username, "password": sandbox.password}
    )

    assert response.status_code == 200
    assert set(response.json()) == {"key"}
    assert response.json()["key"]


def test_login_twice_answers_the_same_token(sandbox, http, token):
    response = http.post(
        "/api/v1/auth/login/", json={"username": sandbox.username, "password": sandbox.password}
    )

    assert response.json()["key"] == token


def test_login_with_wrong_credentials_is_refused(sandbox, http):
    response = http.post("/api/v1/auth/login/", json={"username": sandbox.username, "password": "wrong"})

    assert response.status_code == 400
    assert response.json() == {"non_field_errors": ["Unable to log in with provided credentials."]}


def test_a_call_without_token_answers_401_with_detail(http):
    response = http.get("/api/v1/orders/")

    assert response.status_code == 401
    assert response.json() == {"detail": "Authentication credentials were not provided."}
    assert response.headers["content-type"] == "application/json"


def test_a_call_with_an_unknown_token_answers_401(http):
    response = http.get("/api/v1/channels/", headers={"Authorization": "Token not-a-token"})

    assert response.status_code == 401
    assert response.json() == {"detail": "Invalid token."}


def test_expired_tokens_answer_401_until_logging_in_again(sandbox, http, authed, token):
    sandbox.expire_tokens()

    assert authed.get("/api/v1/channels/").status_code == 401
    fresh = http.post(
        "/api/v1/auth/login/", json={"username": sandbox.username, "password": sandbox.password}
    )
    assert fresh.json()["key"] != token
    answer = http.get("/api/v1/channels/", headers={"Authorization": f"Token {fresh.json()['key']}"})
    assert answer.status_code == 200


def test_unknown_api_path_answers_404_and_wrong_method_405(authed):
    assert authed.get("/api/v1/nothing/").status_code == 404
    response = authed.post("/api/v1/orders/", json={})
    assert response.status_code == 405
    assert response.json() == {"detail": 'Method "POST" not allowed.'}
