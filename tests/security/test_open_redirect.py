"""After login the browser goes only to a path of this site, read as the browser reads it."""

import pytest

from ..conftest import csrf_token
from ..factories import PASSWORD

HOSTILE = ["//evil.example", "/%09/evil.example", "/%0D%0A/x", "%0A//evil.example",
           "/\\evil.example", "https://evil.example/", "javascript:alert(1)",
           "%20//evil.example", "///evil.example"]


@pytest.mark.parametrize("target", HOSTILE)
def test_login_never_leaves_the_site(app, client_as, member, target):
    # Signed in already: /login forwards at once.
    signed_in = client_as(member).get(f"/login?next={target}")
    assert signed_in.status_code == 302 and signed_in.headers["Location"] == "/"
    # Posting the login form.
    browser = app.test_client()
    token = csrf_token(browser, "/login")
    done = browser.post(f"/login?next={target}", data={
        "csrf_token": token, "login": member.username, "password": PASSWORD})
    assert done.status_code == 302 and done.headers["Location"] == "/"


def test_a_path_of_the_site_is_kept(client_as, member):
    response = client_as(member).get("/login?next=/t/1?page=2%23reply")
    assert response.headers["Location"] == "/t/1?page=2#reply"


@pytest.mark.parametrize("target", ["/%09/evil.example", "//evil.example", "https://evil.example"])
def test_marking_a_notification_read_stays_on_the_site(client_as, member, target):
    browser = client_as(member)
    response = browser.post("/notifications/read", data={
        "csrf_token": csrf_token(browser, "/notifications"), "all": "1", "next": target.replace("%09", "\t")})
    assert response.status_code == 302
    assert "evil" not in response.headers["Location"]
