"""The insights dashboard page and its CSV exports."""

import csv
import io
import json
import re
from html.parser import HTMLParser

import pytest

from community.extensions import db
from community.models import NpsResponse
from community.web.insights import TABLES

from ..queries.test_analytics import at, known_community

MARCH = "from=2026-03-01&to=2026-03-07"


def _rows(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(response.get_data(as_text=True))))


class Outline(HTMLParser):
    """Tables with their captions and header scopes, scripts, and links, as a page has them."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: list[dict] = []
        self.scripts: list[dict] = []
        self.links: list[str] = []
        self._in_caption = False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "table":
            self.tables.append({"id": attrs.get("id"), "caption": "", "th_scopes": []})
        elif tag == "caption":
            self._in_caption = True
        elif tag == "th" and self.tables:
            self.tables[-1]["th_scopes"].append(attrs.get("scope"))
        elif tag == "script":
            self.scripts.append(attrs)
        elif tag == "a" and "href" in attrs:
            self.links.append(attrs["href"])

    def handle_endtag(self, tag):
        if tag == "caption":
            self._in_caption = False

    def handle_data(self, data):
        if self._in_caption:
            self.tables[-1]["caption"] += data


def outline(html: str) -> Outline:
    parser = Outline()
    parser.feed(html)
    return parser


def _charts(html: str) -> dict:
    block = re.search(r'<script type="application/json" id="insights-data">(.*?)</script>', html,
                      re.S)
    return json.loads(block.group(1))["charts"]


# --- who may look ------------------------------------------------------------------------

@pytest.mark.parametrize("path", ["/insights", "/insights/summary.csv"])
def test_visitors_are_sent_to_log_in(client, path):
    response = client.get(path)
    assert response.status_code == 302 and "/login" in response.headers["Location"]


@pytest.mark.parametrize("path", ["/insights", "/insights/participation.csv"])
def test_members_and_moderators_are_refused(client_as, member, moderator, path):
    assert client_as(member).get(path).status_code == 403
    assert client_as(moderator).get(path).status_code == 403


def test_staff_and_admins_see_the_dashboard(client_as, staff, admin):
    for user in (staff, admin):
        response = client_as(user).get("/insights")
        assert response.status_code == 200
        assert "<h1>Insights</h1>" in response.get_data(as_text=True)


def test_the_main_navigation_links_insights_for_staff_only(client_as, member, staff):
    assert 'href="/insights"' not in client_as(member).get("/").get_data(as_text=True)
    assert 'href="/insights"' in client_as(staff).get("/").get_data(as_text=True)


# --- what it shows -----------------------------------------------------------------------

def test_the_dashboard_shows_the_known_figures(client_as, staff):
    c = known_community()
    html = client_as(staff).get(f"/insights?{MARCH}").get_data(as_text=True)
    assert "2026-03-01 to 2026-03-07: 7 days" in html
    for figure in ("50.0%",           # solved rate: 2 of 4 questions
                   "4 h",             # median first reply (30 min, 4 h, 6 h)
                   "3 h",             # median first staff reply (2 h, 4 h)
                   "4.0 / 5",         # CSAT average of 5 and 3
                   "+14.3"):          # NPS: (3 promoters - 2 detractors) / 7 answers
        assert f"<dd>{figure}</dd>" in html
    assert c.questions[2].title in html  # the unanswered question
    charts = _charts(html)
    activity = {s["label"]: s["data"] for s in charts["activity"]["series"]}
    assert activity["Posts"] == [1, 4, 4, 2, 2, 0, 0]
    assert activity["Votes"] == [0, 2, 1, 2, 1, 1, 0]
    assert charts["csat"]["series"][0]["data"] == [0, 0, 1, 0, 1]
    nps = {s["label"]: s["data"] for s in charts["nps"]["series"]}
    assert nps["NPS"] == [100, 100, 100, 0, 0, -100, -100]


def test_every_table_has_a_caption_header_scopes_and_a_csv(client_as, staff):
    known_community()
    html = client_as(staff).get(f"/insights?{MARCH}").get_data(as_text=True)
    page = outline(html)
    assert {t["id"] for t in page.tables} == {f"table-{name}" for name in TABLES}
    for table in page.tables:
        assert table["caption"].strip()
        assert table["th_scopes"] and all(s in ("col", "row") for s in table["th_scopes"])
    csv_links = {href.split("?")[0] for href in page.links if ".csv" in href}
    assert csv_links == {f"/insights/{name}.csv" for name in TABLES}
    # Every chart has a table; charts are drawn from data, never from inline script.
    assert all("src" in s or s.get("type") == "application/json" for s in page.scripts)
    assert "chart.umd.min.js" in html and "js/insights.js" in html
    assert not re.search(r"<[^>]+\son\w+=", html)  # no inline event handlers either


def test_the_filter_keeps_time_zone_and_forum_in_the_csv_links(client_as, staff):
    known_community()
    html = client_as(staff).get(f"/insights?{MARCH}&tz=Europe/Paris&forum=help").get_data(
        as_text=True)
    assert "tz=Europe/Paris" in html and "forum=help" in html
    assert '<option value="help" selected>' in html
    assert 'value="Europe/Paris"' in html


def test_an_empty_range_shows_zeros(client_as, staff):
    known_community()
    response = client_as(staff).get("/insights?from=2025-06-01&to=2025-06-30")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "<dd>0</dd>" in html and "<dd>—</dd>" in html
    assert "Nothing in this range." in html
    assert _charts(html)["activity"]["series"][1]["data"] == [0] * 30


@pytest.mark.parametrize("query, field", [
    ("from=2026-03-08&to=2026-03-07", "from"),
    ("from=tomorrow&to=2026-03-07", "from"),
    ("from=2024-01-01&to=2026-01-01", "to"),
    ("from=2026-03-01&to=2026-03-07&tz=Nowhere/Land", "tz"),
])
def test_bad_ranges_are_a_400_with_the_form_to_correct_them(client_as, staff, query, field):
    client = client_as(staff)
    response = client.get(f"/insights?{query}")
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert f'id="{field}-error"' in html and 'aria-invalid="true"' in html
    assert 'id="insights-data"' not in html
    assert client.get(f"/insights/summary.csv?{query}").status_code == 400


def test_an_unknown_forum_or_table_is_404(client_as, staff):
    client = client_as(staff)
    assert client.get("/insights?forum=nowhere").status_code == 404
    assert client.get("/insights/secrets.csv").status_code == 404


# --- CSV ---------------------------------------------------------------------------------

def test_csv_exports_match_the_tables(client_as, staff):
    known_community()
    client = client_as(staff)
    response = client.get(f"/insights/participation.csv?{MARCH}")
    assert response.mimetype == "text/csv"
    assert ('attachment; filename="insights-participation-2026-03-01-2026-03-07.csv"'
            == response.headers["Content-Disposition"])
    rows = _rows(response)
    assert rows[0] == ["Date", "Members", "New members", "Daily active", "Weekly active",
                       "Monthly active", "Threads", "Posts", "Votes"]
    assert rows[2] == ["2026-03-02", "4", "1", "2", "3", "3", "1", "4", "2"]
    assert len(rows) == 8

    summary = dict(_rows(client.get(f"/insights/summary.csv?{MARCH}"))[1:])
    assert summary["Questions asked"] == "4"
    assert summary["Solved rate (%)"] == "50.0"
    assert summary["Median time to first reply (hours)"] == "4.0"
    assert summary["Median time to first staff reply (hours)"] == "3.0"
    assert summary["NPS (−100 to 100)"] == "14.3"
    assert summary["Community share of answers (%)"] == "50.0"
    assert summary["Median days from posted to shipped"] == "13.2"  # 13.25, rounded half to even

    advocates = _rows(client.get(f"/insights/advocates.csv?{MARCH}"))
    assert [r[1:] for r in advocates[1:]] == [["alice", "15"], ["dave", "15"], ["bob", "8"],
                                              ["sam", "7"]]
    for name in TABLES:
        response = client.get(f"/insights/{name}.csv?{MARCH}")
        assert response.status_code == 200 and len(_rows(response)[0]) >= 2


def test_csv_cells_that_a_spreadsheet_would_run_are_defused(client_as, staff):
    c = known_community()
    db.session.add(NpsResponse(user_id=c.carol.id, score=0, comment='=HYPERLINK("http://x")',
                               created_at=at("2026-03-07T12:00")))
    db.session.commit()
    client = client_as(staff)
    comments = _rows(client.get(f"/insights/comments.csv?{MARCH}"))
    assert "'=HYPERLINK(\"http://x\")" in [r[3] for r in comments]
    # Numbers stay numbers, negative ones too.
    periods = _rows(client.get(f"/insights/satisfaction.csv?{MARCH}"))
    assert periods[6][-1] == "-100.0"
