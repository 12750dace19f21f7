from community.extensions import db
from community.models import ApiToken, User

from ..conftest import csrf_token, log_in
from ..factories import PASSWORD, make_user


def test_register_returns_the_user(client):
    response = client.post("/api/v1/users", json={"username": "Zoe_1", "email": "Z@Example.com",
                                                  "password": PASSWORD})
    assert response.status_code == 201
    body = response.get_json()
    assert body["username"] == "Zoe_1" and body["email"] == "z@example.com"
    assert body["role"] == "member" and body["trust_level"] == 0


def test_register_duplicate_is_a_conflict_with_fields(client, member):
    response = client.post("/api/v1/users", json={"username": "MIA", "email": "mia@example.com",
                                                  "password": PASSWORD})
    assert response.status_code == 409
    error = response.get_json()["error"]
    assert error["code"] == "conflict"
    assert set(error["fields"]) == {"username", "email"}


def test_register_validation_errors_name_each_field(client):
    response = client.post("/api/v1/users", json={"username": "a", "email": "nope",
                                                  "password": "password1"})
    assert response.status_code == 400
    error = response.get_json()["error"]
    assert error["code"] == "validation_error"
    assert set(error["fields"]) == {"username", "email", "password"}
    assert db.session.query(User).count() == 0


def test_register_with_wrong_types_is_a_400_not_a_500(client):
    for body in ({"username": 5, "email": [], "password": None}, [], "text", None):
        response = client.post("/api/v1/users", json=body)
        assert response.status_code == 400, body
        assert response.get_json()["error"]["code"] == "validation_error"
    response = client.post("/api/v1/users", data="{not json", content_type="application/json")
    assert response.status_code == 400


def test_token_lifecycle(client, member):
    response = client.post("/api/v1/tokens", json={"login": "mia", "password": PASSWORD})
    assert response.status_code == 201
    secret = response.get_json()["token"]
    stored = db.session.query(ApiToken).one()
    assert secret not in stored.token_hash  # only a hash is kept

    auth = {"Authorization": f"Bearer {secret}"}
    me = client.get("/api/v1/me", headers=auth)
    assert me.status_code == 200 and me.get_json()["username"] == "mia"

    assert client.delete("/api/v1/tokens/current", headers=auth).status_code == 204
    again = client.get("/api/v1/me", headers=auth)
    assert again.status_code == 401
    assert again.get_json()["error"]["code"] == "unauthorized"


def test_token_with_wrong_password_is_refused_generically(client, member):
    wrong = client.post("/api/v1/tokens", json={"login": "mia", "password": "wrong password"})
    unknown = client.post("/api/v1/tokens", json={"login": "nobody", "password": "wrong password"})
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.get_json() == unknown.get_json()


def test_token_issue_is_rate_limited(app_factory):
    app = app_factory(RATELIMIT_ENABLED=True, LOGIN_RATE_LIMIT="2 per minute")
    make_user("mia")
    client = app.test_client()
    statuses = [client.post("/api/v1/tokens", json={"login": "mia", "password": "bad password"}
                            ).status_code for _ in range(3)]
    assert statuses == [401, 401, 429]
    response = client.post("/api/v1/tokens", json={"login": "mia", "password": "bad password"})
    assert response.get_json()["error"]["code"] == "rate_limited"


def test_me_without_credentials_is_401(client):
    response = client.get("/api/v1/me")
    assert response.status_code == 401


def test_cookie_authenticated_json_needs_csrf(app, member, admin):
    client = app.test_client()
    log_in(client, admin)
    refused = client.put("/api/v1/users/mia/role", json={"role": "moderator"})
    assert refused.status_code == 400
    assert refused.get_json()["error"]["code"] == "csrf_failed"
    db.session.refresh(member)
    assert member.role == "member"

    token = csrf_token(client, "/settings")
    accepted = client.put("/api/v1/users/mia/role", json={"role": "moderator"},
                          headers={"X-CSRFToken": token})
    assert accepted.status_code == 200
    db.session.refresh(member)
    assert member.role == "moderator"


def test_role_change_needs_admin(api_as, member, staff, admin):
    assert api_as(staff).put("/api/v1/users/mia/role", json={"role": "admin"}).status_code == 403
    assert api_as(admin).put("/api/v1/users/mia/role", json={"role": "staff"}).status_code == 200


def test_last_admin_cannot_step_down(api_as, admin):
    response = api_as(admin).put("/api/v1/users/ada/role", json={"role": "member"})
    assert response.status_code == 409
    db.session.refresh(admin)
    assert admin.role == "admin"


def test_unknown_role_is_a_validation_error(api_as, member, admin):
    response = api_as(admin).put("/api/v1/users/mia/role", json={"role": "king"})
    assert response.status_code == 400
    assert "role" in response.get_json()["error"]["fields"]


def test_public_profile_hides_email(client, member):
    body = client.get("/api/v1/users/mia").get_json()
    assert body["username"] == "mia" and "email" not in body


def test_unknown_route_and_user_are_json_404(client):
    for path in ("/api/v1/nothing-here", "/api/v1/users/ghost"):
        response = client.get(path)
        assert response.status_code == 404
        assert response.get_json()["error"]["code"] == "not_found"


def test_oversized_body_is_json_413(client, app):
    app.config["MAX_CONTENT_LENGTH"] = 1000
    response = client.post("/api/v1/users", json={"username": "x" * 5000, "email": "a@b.co",
                                                  "password": PASSWORD})
    assert response.status_code == 413
    assert response.get_json()["error"]["code"] == "payload_too_large"


def test_wrong_method_is_json_405(client):
    response = client.delete("/api/v1/me")
    assert response.status_code == 405
    assert response.get_json()["error"]["code"] == "method_not_allowed"
