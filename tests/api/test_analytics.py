"""GET /api/v1/analytics/summary: the dashboard's figures over JSON, for staff."""

import pytest

from ..queries.test_analytics import known_community

URL = "/api/v1/analytics/summary"
MARCH = "from=2026-03-01&to=2026-03-07"


def test_visitors_get_401(client):
    response = client.get(URL)
    assert response.status_code == 401
    assert response.get_json()["error"]["code"] == "unauthorized"


def test_members_and_moderators_get_403(api_as, member, moderator):
    for user in (member, moderator):
        response = api_as(user).get(URL)
        assert response.status_code == 403
        assert response.get_json()["error"]["code"] == "forbidden"


def test_a_staff_token_needs_its_moderate_scope(api_as, staff):
    assert api_as(staff, scopes="read").get(URL).status_code == 403
    assert api_as(staff, scopes="read moderate").get(URL).status_code == 200


def test_the_summary_of_the_known_community(api_as, staff):
    c = known_community()
    body = api_as(staff).get(f"{URL}?{MARCH}").get_json()
    assert body["range"] == {"from": "2026-03-01", "to": "2026-03-07", "tz": "UTC", "forum": None,
                             "start": "2026-03-01T00:00:00+00:00",
                             "end": "2026-03-08T00:00:00+00:00", "days": 7}
    assert (body["members"], body["new_members"], body["active_members"]) == (5, 2, 3)
    assert body["active_on_last_day"] == {"daily": 0, "weekly": 3, "monthly": 4}
    assert (body["threads"], body["posts"], body["votes"]) == (7, 13, 7)
    assert body["support"] == {"questions": 4, "solved": 2, "solved_rate": 0.5,
                               "median_first_response_seconds": 14400.0,
                               "median_first_staff_response_seconds": 10800.0,
                               "unanswered": 1}
    assert body["csat"] == {"ratings": 2, "average": 4.0, "satisfied_rate": 0.5,
                            "distribution": {"1": 0, "2": 0, "3": 1, "4": 0, "5": 1}}
    assert body["nps"]["score"] == pytest.approx(100 / 7)
    nps = body["nps"]
    assert (nps["promoters"], nps["passives"], nps["detractors"], nps["answers"]) == (3, 2, 2, 7)
    assert [(i["id"], i["votes"], i["total_votes"], i["status"]) for i in body["top_ideas"]] == [
        (c.idea_threads[1].id, 3, 3, "under_review"), (c.idea_threads[0].id, 2, 3, "shipped"),
        (c.idea_threads[2].id, 1, 1, "shipped")]
    assert body["ideas"]["shipped"] == 2 and body["ideas"]["median_days_to_ship"] == 13.25
    assert [(a["username"], a["points"]) for a in body["top_advocates"]] == [
        ("alice", 15), ("dave", 15), ("bob", 8), ("sam", 7)]
    assert body["badges_awarded"] == 3
    assert body["answers"]["community_share"] == 0.5
    assert [d["posts"] for d in body["daily"]] == [1, 4, 4, 2, 2, 0, 0]
    assert [d["monthly_active"] for d in body["daily"]] == [2, 3, 4, 4, 4, 4, 4]


def test_days_are_counted_in_the_time_zone_asked(api_as, staff):
    known_community()
    body = api_as(staff).get(f"{URL}?{MARCH}&tz=America/New_York").get_json()
    assert body["range"]["start"] == "2026-03-01T05:00:00+00:00"
    # In New York (UTC-5) the 00:30Z trip reply falls on 1 Mar and Q4 (05 Mar 00:00Z) on 4 Mar.
    assert [d["posts"] for d in body["daily"]] == [2, 3, 4, 3, 1, 0, 0]
    assert body["posts"] == 13


def test_one_forum(api_as, staff):
    known_community()
    body = api_as(staff).get(f"{URL}?{MARCH}&forum=help").get_json()
    assert body["range"]["forum"] == "help"
    assert (body["threads"], body["posts"], body["votes"]) == (4, 9, 1)
    assert body["top_ideas"] == [] and body["support"]["questions"] == 4
    assert [a["username"] for a in body["top_advocates"]] == ["alice", "bob", "sam"]
    assert api_as(staff).get(f"{URL}?forum=nowhere").status_code == 404


def test_an_empty_range_is_zeros(api_as, staff):
    known_community()
    body = api_as(staff).get(f"{URL}?from=2025-06-01&to=2025-06-30").get_json()
    assert (body["members"], body["threads"], body["posts"], body["votes"]) == (0, 0, 0, 0)
    assert body["support"]["questions"] == 0 and body["support"]["solved_rate"] is None
    assert body["nps"]["answers"] == 0 and body["nps"]["score"] is None
    assert body["top_ideas"] == [] and body["top_advocates"] == []
    assert len(body["daily"]) == 30 and all(d["posts"] == 0 for d in body["daily"])


def test_without_dates_it_is_the_last_30_days(api_as, staff):
    body = api_as(staff).get(URL).get_json()
    assert body["range"]["days"] == 30 and len(body["daily"]) == 30


@pytest.mark.parametrize("query, field", [
    ("from=2026-03-08&to=2026-03-07", "from"),
    ("from=2026-03-01&to=soon", "to"),
    ("from=2026-02-29&to=2026-03-07", "from"),
    ("from=2024-01-01&to=2025-12-31", "to"),
    ("tz=Atlantis/Capital", "tz"),
])
def test_bad_ranges_are_400(api_as, staff, query, field):
    response = api_as(staff).get(f"{URL}?{query}")
    assert response.status_code == 400
    error = response.get_json()["error"]
    assert error["code"] == "validation_error" and field in error["fields"]


def test_it_is_in_the_openapi_document(client):
    doc = client.get("/api/v1/openapi.json").get_json()
    operation = doc["paths"]["/api/v1/analytics/summary"]["get"]
    assert {p["name"] for p in operation["parameters"]} == {"from", "to", "tz", "forum"}
    schema = operation["responses"]["200"]["content"]["application/json"]["schema"]
    assert schema == {"$ref": "#/components/schemas/AnalyticsSummaryOut"}
