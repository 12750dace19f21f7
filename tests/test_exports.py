"""Every CSV export goes through one writer that defuses spreadsheet formulas."""

import csv
import io
from types import SimpleNamespace

import pytest

from community.exports import cell, csv_response, leaderboard_csv


@pytest.mark.parametrize("value, shown", [
    ("=HYPERLINK(\"http://evil\")", "'=HYPERLINK(\"http://evil\")"),
    ("+1", "'+1"), ("-2", "'-2"), ("@SUM(A1)", "'@SUM(A1)"), ("\tx", "'\tx"), ("\rx", "'\rx"),
    ("Mia", "Mia"), ("", ""), (None, ""), (-3, -3), (2.345, 2.3), (True, True),
])
def test_a_cell_that_a_spreadsheet_would_run_is_quoted(value, shown):
    assert cell(value) == shown


def test_every_cell_of_a_response_is_guarded(app):
    response = csv_response("x.csv", ["name", "points"], [["=1+1", 5], ["ok", -1]])
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    assert rows == [["name", "points"], ["'=1+1", "5"], ["ok", "-1"]]
    assert response.headers["Content-Disposition"] == 'attachment; filename="x.csv"'


def test_the_leaderboard_export_quotes_a_formula_in_a_display_name(app):
    mallory = SimpleNamespace(username="mallory", name="=cmd|' /C calc'!A0")
    entry = SimpleNamespace(rank=1, user=mallory, points=-5, title="Newcomer",
                            badges=[SimpleNamespace(slug="first-post")])
    board = SimpleNamespace(period="all", start=None, end=None, entries=[entry])
    rows = list(csv.reader(io.StringIO(leaderboard_csv(board).get_data(as_text=True))))
    assert rows[1] == ["1", "mallory", "'=cmd|' /C calc'!A0", "-5", "Newcomer", "first-post"]
