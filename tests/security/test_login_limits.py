"""One budget of password guesses per account, whichever door they knock on."""

from ..conftest import csrf_token
from ..factories import make_user


def test_the_login_page_and_the_token_endpoint_share_the_account_limit(app_factory):
    app = app_factory(RATELIMIT_ENABLED=True, LOGIN_RATE_LIMIT="3 per minute")
    make_user("mia"), make_user("otto")
    page = app.test_client()
    page.environ_base["REMOTE_ADDR"] = "192.0.2.1"
    token = csrf_token(page)
    for _ in range(2):
        wrong = page.post("/login", data={"login": "MIA", "password": "wrong password!",
                                          "csrf_token": token})
        assert wrong.status_code == 401
    api = app.test_client()
    api.environ_base["REMOTE_ADDR"] = "198.51.100.7"  # another address: only the account is shared
    third = api.post("/api/v1/tokens", json={"login": "mia", "password": "wrong again!"})
    assert third.status_code == 401
    fourth = api.post("/api/v1/tokens", json={"login": "mia", "password": "and again!!"})
    assert fourth.status_code == 429 and fourth.get_json()["error"]["code"] == "rate_limited"
    # Back on the page: that account is locked for the minute there too…
    assert page.post("/login", data={"login": "mia", "password": "wrong password!",
                                     "csrf_token": token}).status_code == 429
    # …while another account from the API's address is not.
    assert api.post("/api/v1/tokens", json={"login": "otto", "password": "wrong password"}
                    ).status_code == 401


def test_the_address_limit_is_shared_too(app_factory):
    app = app_factory(RATELIMIT_ENABLED=True, LOGIN_RATE_LIMIT="2 per minute")
    api, page = app.test_client(), app.test_client()  # the same address
    assert api.post("/api/v1/tokens", json={"login": "a1", "password": "x" * 12}
                    ).status_code == 401
    assert page.post("/login", data={"login": "b2", "password": "x" * 12,
                                     "csrf_token": csrf_token(page)}).status_code == 401
    assert api.post("/api/v1/tokens", json={"login": "c3", "password": "x" * 12}
                    ).status_code == 429
