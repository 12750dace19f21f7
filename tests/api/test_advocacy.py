import csv
import io

from community.services import feedback

from ..factories import make_forum, make_reply, make_thread, make_user


def test_leaderboard_endpoint(client, member):
    make_thread(member, make_forum())
    body = client.get("/api/v1/leaderboard?period=week").get_json()
    assert body["period"] == "week" and body["start"] and body["forum"] is None
    assert body["entries"][0]["username"] == "mia" and body["entries"][0]["rank"] == 1
    assert body["entries"][0]["points"] == 2 and body["entries"][0]["badges"] == ["first-post"]
    assert client.get("/api/v1/leaderboard?period=all&forum=general").get_json()["forum"] == "general"
    for query in ("period=year", "period=custom&from=2026-01-02&to=2026-01-01", "limit=-1",
                  "limit=0", "limit=abc", "forum=nope"):
        response = client.get(f"/api/v1/leaderboard?{query}")
        assert response.status_code in (400, 404), query
        assert "error" in response.get_json()


def test_user_profile_shows_points_rank_and_badges(client, member):
    make_reply(member, make_thread(member, make_forum()))
    body = client.get("/api/v1/users/mia").get_json()
    assert (body["points"], body["rank"], body["badges"]) == (3, "Newcomer", ["first-post"])


def test_badges_api(client, api_as, member, staff, admin):
    assert api_as(staff).post("/api/v1/badges", json={"slug": "mvp", "name": "MVP"}).status_code == 403
    created = api_as(admin).post("/api/v1/badges", json={"slug": "mvp", "name": "MVP", "tier": "gold"})
    assert created.status_code == 201
    assert api_as(admin).post("/api/v1/badges", json={"slug": "x y", "name": ""}).status_code == 400
    assert "mvp" in [b["slug"] for b in client.get("/api/v1/badges").get_json()["badges"]]

    award = {"username": "mia", "reason": "Great answers"}
    assert api_as(member).post("/api/v1/badges/mvp/awards", json=award).status_code == 403
    assert api_as(staff).post("/api/v1/badges/mvp/awards", json=award).status_code == 201
    assert api_as(staff).post("/api/v1/badges/mvp/awards", json=award).status_code == 409
    assert api_as(staff).post("/api/v1/badges/nope/awards", json=award).status_code == 404
    assert api_as(staff).post("/api/v1/badges/mvp/awards",
                              json={"username": "ghost", "reason": "x"}).status_code == 404
    assert api_as(staff).delete("/api/v1/badges/mvp/awards/mia").status_code == 403
    assert api_as(admin).delete("/api/v1/badges/mvp/awards/mia").status_code == 204
    assert api_as(admin).delete("/api/v1/badges/mvp/awards/mia").status_code == 404


def test_leaderboard_csv_is_for_staff(api_as, client, member, staff):
    idea = make_thread(member, make_forum("ideas", kind="ideas"))
    feedback.vote_thread(make_user("voter"), idea, 1)
    assert api_as(member).get("/api/v1/analytics/leaderboard.csv").status_code == 403
    response = api_as(staff).get("/api/v1/analytics/leaderboard.csv?period=all")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    assert rows[0] == ["rank", "username", "display_name", "points", "title", "badges"]
    assert rows[1][:4] == ["1", "mia", "mia", "3"]


def test_scoring_api(api_as, client, member, admin):
    assert client.get("/api/v1/scoring").get_json()["scoring"]["solution_accepted"] == 15
    assert api_as(member).put("/api/v1/scoring", json={"scoring": {"reply_posted": 9}}).status_code == 403
    assert api_as(admin).put("/api/v1/scoring", json={"scoring": {"reply_posted": "9"}}).status_code == 400
    changed = api_as(admin).put("/api/v1/scoring", json={"scoring": {"reply_posted": 9}})
    assert changed.get_json()["scoring"]["reply_posted"] == 9
