"""CSV downloads, for pages and the API alike: one writer, one guard against formulas."""

import csv
import io
import numbers
from collections.abc import Iterable, Sequence

from flask import Response

# Spreadsheets run a cell that starts with one of these as a formula (CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def cell(value):
    """A value as a CSV cell: None empty, floats to one decimal, text that a spreadsheet
    would run as a formula quoted with a leading apostrophe; numbers as they are."""
    if value is None:
        return ""
    if isinstance(value, float):
        return round(value, 1)
    if isinstance(value, numbers.Number):
        return value
    text = str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def csv_response(filename: str, columns: Sequence[str], rows: Iterable[Sequence]) -> Response:
    """A CSV attachment named `filename`; every cell goes through `cell`."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(columns)
    for row in rows:
        writer.writerow([cell(v) for v in row])
    return Response(out.getvalue(), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})


def leaderboard_csv(board) -> Response:
    """A leaderboard (queries.advocacy.Board) as CSV: GET /leaderboard.csv and the API's."""
    rows = ([e.rank, e.user.username, e.user.name, e.points, e.title,
             " ".join(b.slug for b in e.badges)] for e in board.entries)
    name = f"leaderboard-{board.period}-{board.start or 'all'}-{board.end or 'time'}.csv"
    return csv_response(name, ["rank", "username", "display_name", "points", "title", "badges"],
                        rows)
