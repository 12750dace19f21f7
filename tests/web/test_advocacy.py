from community.extensions import db
from community.models import Badge, ScoringRule

from ..conftest import csrf_token
from ..factories import make_forum, make_reply, make_thread


def test_leaderboard_page(client, member):
    make_reply(member, make_thread(member, make_forum()))
    html = client.get("/leaderboard").get_data(as_text=True)
    assert "This week" in html and "mia" in html and "First post" in html
    assert "Export CSV" not in html
    assert client.get("/leaderboard?period=custom&from=2026-01-05&to=2026-01-01").status_code == 400
    assert "No points earned" in client.get("/leaderboard/fragment?period=custom&from=2020-01-01&to=2020-01-02").get_data(as_text=True)


def test_staff_exports_the_leaderboard(client_as, member, staff):
    make_thread(member, make_forum())
    html = client_as(staff).get("/leaderboard").get_data(as_text=True)
    assert "Export CSV" in html
    response = client_as(staff).get("/leaderboard.csv?period=all")
    assert response.mimetype == "text/csv" and "mia" in response.get_data(as_text=True)
    assert client_as(member).get("/leaderboard.csv").status_code == 403


def test_profile_shows_points_rank_and_badges(client, member):
    make_thread(member, make_forum())
    html = client.get("/u/mia").get_data(as_text=True)
    assert "Newcomer" in html and "First post" in html and "Started a first thread." in html


def test_admin_creates_grants_and_sets_scoring(client_as, member, admin):
    client = client_as(admin)
    token = csrf_token(client, "/admin/badges")
    client.post("/admin/badges", data={"action": "create", "slug": "mvp", "name": "MVP",
                                       "tier": "gold", "icon": "🏅", "csrf_token": token})
    assert db.session.query(Badge).filter_by(slug="mvp").one().tier == "gold"
    client.post("/admin/badges", data={"action": "grant", "badge": "mvp", "username": "mia",
                                       "reason": "Helped 50 people", "csrf_token": token})
    assert "Helped 50 people" in client.get("/u/mia").get_data(as_text=True)
    bad = client.post("/admin/scoring", data={"reply_posted": "lots", "csrf_token": token})
    assert bad.status_code == 400
    client.post("/admin/scoring", data={action: "3" for action in (
        "thread_started", "reply_posted", "upvote_received", "idea_vote_received",
        "solution_accepted", "first_response", "idea_planned", "idea_shipped", "daily_visit")}
        | {"csrf_token": token})
    assert db.session.get(ScoringRule, "solution_accepted").points == 3


def test_members_cannot_open_admin_pages(client_as, member):
    assert client_as(member).get("/admin/badges").status_code == 403
    assert client_as(member).get("/admin/scoring").status_code == 403
