from community.extensions import db
from community.security import verify_password

from ..conftest import csrf_token
from ..factories import PASSWORD


def test_profile_settings_change_name_and_bio(client_as, member):
    client = client_as(member)
    response = client.post("/settings", data={"display_name": "Mia Wong", "bio": "Climber 🧗",
                                              "csrf_token": csrf_token(client, "/settings")})
    assert response.status_code == 302
    db.session.refresh(member)
    assert (member.display_name, member.bio) == ("Mia Wong", "Climber 🧗")
    page = client.get("/u/mia").get_data(as_text=True)
    assert "Mia Wong" in page and "Climber 🧗" in page


def test_profile_settings_reject_long_name(client_as, member):
    client = client_as(member)
    response = client.post("/settings", data={"display_name": "x" * 61, "bio": "",
                                              "csrf_token": csrf_token(client, "/settings")})
    assert response.status_code == 400
    db.session.refresh(member)
    assert member.display_name == ""


def test_settings_need_login(client):
    response = client.get("/settings")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_password_change_needs_current_password(client_as, member):
    client = client_as(member)
    token = csrf_token(client, "/settings/password")
    bad = client.post("/settings/password", data={"current_password": "wrong one!!",
                                                  "new_password": "a brand new phrase",
                                                  "csrf_token": token})
    assert bad.status_code == 400
    good = client.post("/settings/password", data={"current_password": PASSWORD,
                                                   "new_password": "a brand new phrase",
                                                   "csrf_token": token})
    assert good.status_code == 302
    db.session.refresh(member)
    assert verify_password(member.password_hash, "a brand new phrase")


def test_avatar_is_an_svg_with_initials(client, member):
    response = client.get("/u/mia/avatar.svg")
    assert response.mimetype == "image/svg+xml"
    assert ">M</text>" in response.get_data(as_text=True)


def test_avatar_escapes_the_name(client, member):
    member.display_name = '<script>"x"</script>'
    db.session.commit()
    svg = client.get("/u/mia/avatar.svg").get_data(as_text=True)
    assert "<script>" not in svg


def test_unknown_profile_is_a_404_page(client):
    response = client.get("/u/ghost")
    assert response.status_code == 404
    assert "Page not found" in response.get_data(as_text=True)


def test_tokens_page_creates_and_revokes(client_as, member):
    client = client_as(member)
    token = csrf_token(client, "/settings/tokens")
    page = client.post("/settings/tokens", data={"name": "CRM sync", "csrf_token": token})
    secret = page.get_data(as_text=True).split('class="secret">')[1].split("<")[0]
    assert client.application.test_client().get(
        "/api/v1/me", headers={"Authorization": f"Bearer {secret}"}).status_code == 200

    token_id = member.tokens[0].id
    client.post(f"/settings/tokens/{token_id}/revoke", data={"csrf_token": token})
    assert client.application.test_client().get(
        "/api/v1/me", headers={"Authorization": f"Bearer {secret}"}).status_code == 401
