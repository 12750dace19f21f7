from community.extensions import db
from community.models import User

from ..conftest import csrf_token
from ..factories import PASSWORD, make_user


def register(client, **fields):
    data = {"username": "newbie", "email": "newbie@example.com", "password": PASSWORD} | fields
    return client.post("/register", data=data | {"csrf_token": csrf_token(client, "/register")})


def test_register_logs_the_new_member_in(client):
    response = register(client)
    assert response.status_code == 302
    page = client.get("/").get_data(as_text=True)
    assert "Welcome back, newbie" in page
    assert db.session.query(User).filter_by(username="newbie").one().role == "member"


def test_register_shows_field_errors_and_writes_nothing(client):
    make_user("taken")
    response = register(client, username="Taken", email="taken@example.com")
    html = response.get_data(as_text=True)
    assert response.status_code == 409
    assert "This username is taken." in html and "An account with this email exists." in html
    assert db.session.query(User).count() == 1


def test_register_refuses_weak_password(client):
    response = register(client, password="short")
    assert response.status_code == 400
    assert "at least 10 characters" in response.get_data(as_text=True)
    assert db.session.query(User).count() == 0


def test_login_and_logout(client, member):
    token = csrf_token(client)
    response = client.post("/login?next=/u/mia", data={"login": "MIA", "password": PASSWORD,
                                                       "csrf_token": token})
    assert response.status_code == 302 and response.headers["Location"] == "/u/mia"
    assert "Log out" in client.get("/").get_data(as_text=True)

    response = client.post("/logout", data={"csrf_token": csrf_token(client, "/")})
    assert response.status_code == 302
    assert "Log in" in client.get("/").get_data(as_text=True)


def test_login_by_email(client, member):
    response = client.post("/login", data={"login": "mia@example.com", "password": PASSWORD,
                                           "csrf_token": csrf_token(client)})
    assert response.status_code == 302


def test_login_refuses_offsite_next(client, member):
    response = client.post("/login?next=//evil.example/", data={
        "login": "mia", "password": PASSWORD, "csrf_token": csrf_token(client)})
    assert response.headers["Location"] == "/"


def test_login_failure_is_the_same_for_unknown_user_and_wrong_password(client, member):
    wrong = client.post("/login", data={"login": "mia", "password": "not the password",
                                        "csrf_token": csrf_token(client)})
    unknown = client.post("/login", data={"login": "nobody", "password": "not the password",
                                          "csrf_token": csrf_token(client)})
    assert wrong.status_code == unknown.status_code == 401
    message = "Wrong username/email or password."
    assert message in wrong.get_data(as_text=True) and message in unknown.get_data(as_text=True)


def test_login_failures_are_rate_limited(app_factory):
    app = app_factory(RATELIMIT_ENABLED=True, LOGIN_RATE_LIMIT="3 per minute")
    make_user("mia")
    client = app.test_client()
    token = csrf_token(client)
    statuses = [client.post("/login", data={"login": "mia", "password": "wrong password!",
                                            "csrf_token": token}).status_code for _ in range(4)]
    assert statuses == [401, 401, 401, 429]
    page = client.post("/login", data={"login": "mia", "password": PASSWORD, "csrf_token": token})
    assert page.status_code == 429
    assert "Slow down" in page.get_data(as_text=True)


def test_form_without_csrf_token_is_refused(client, member):
    response = client.post("/login", data={"login": "mia", "password": PASSWORD})
    assert response.status_code == 400
    assert "Reload the page" in response.get_data(as_text=True)


def test_suspended_member_cannot_log_in(client, member):
    from datetime import timedelta

    from community.models import utcnow

    member.suspended_until = utcnow() + timedelta(days=1)
    db.session.commit()
    response = client.post("/login", data={"login": "mia", "password": PASSWORD,
                                           "csrf_token": csrf_token(client)})
    assert response.status_code == 403
