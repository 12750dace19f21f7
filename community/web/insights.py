"""The insights dashboard for staff: charts, the tables behind them, and a CSV of each table."""

from collections.abc import Callable
from dataclasses import dataclass
from numbers import Number
from types import SimpleNamespace

from flask import Blueprint, abort, current_app, render_template, request, url_for
from flask_login import current_user, login_required
from markupsafe import Markup, escape

from .. import permissions
from ..caches import Cache
from ..errors import InputError
from ..exports import csv_response
from ..models import IdeaStatus
from ..queries import analytics as qa
from ..queries import forums as qf

bp = Blueprint("insights", __name__)


# --- the range from the query string ----------------------------------------------------

def request_range() -> qa.Range:
    """The Range that ?from=&to=&tz=&forum= ask for (400 when invalid, 404 for no such forum)."""
    slug = request.args.get("forum") or None
    forum = qf.get_forum(current_user, slug) if slug else None
    return qa.parse_range(request.args.get("from"), request.args.get("to"),
                          request.args.get("tz"), forum=forum)


def range_args(rng: qa.Range) -> dict:
    """Query-string arguments that ask for `rng` again (for links and CSV downloads)."""
    args = {"from": rng.first.isoformat(), "to": rng.last.isoformat()}
    if rng.forum is not None:
        args["forum"] = rng.forum.slug
    if rng.tz_name != "UTC":
        args["tz"] = rng.tz_name
    return args


# --- tables: one definition for the page and for its CSV ----------------------------------

@dataclass
class Link:
    text: str
    href: str

    def __str__(self) -> str:
        return self.text


@dataclass
class Table:
    name: str
    caption: str
    columns: list[str]
    rows: list[list]


def _hours(seconds: float | None) -> float | None:
    return None if seconds is None else seconds / 3600


def _percent(ratio: float | None) -> float | None:
    return None if ratio is None else 100 * ratio


def _when(rng: qa.Range, moment) -> str:
    return rng.local(moment).strftime("%Y-%m-%d %H:%M")


def _thread_link(thread) -> Link:
    return Link(thread.title, url_for("forums.thread", thread_id=thread.id))


def summary_table(d: qa.Dashboard) -> Table:
    p, s, sat, ideas, adv = d.participation, d.support, d.satisfaction, d.ideas, d.advocates
    last = -1
    rows = [
        ["Members at the end of the range", p.members_total],
        ["New members", sum(p.new_members)],
        ["Active members (on any day of the range)", p.active],
        ["Daily active members on the last day", p.dau[last]],
        ["Weekly active members on the last day", p.wau[last]],
        ["Monthly active members on the last day", p.mau[last]],
        ["Threads started", sum(p.threads)],
        ["Posts published", sum(p.posts)],
        ["Votes cast", sum(p.votes)],
        ["Questions asked", s.questions],
        ["Questions solved", s.solved],
        ["Solved rate (%)", _percent(s.solved_rate)],
        ["Median time to first reply (hours)", _hours(s.median_first_reply)],
        ["Median time to first staff reply (hours)", _hours(s.median_first_staff_reply)],
        ["Unanswered questions", s.unanswered_count],
        ["CSAT ratings", sat.csat.responses],
        ["CSAT average (1 to 5)", sat.csat.average],
        ["Satisfied, rating 4 or 5 (%)", _percent(sat.csat.satisfied_rate)],
        ["NPS answers", sat.nps.total.responses],
        ["NPS (−100 to 100)", sat.nps.total.score],
        ["Ideas posted", sum(ideas.by_status.values())],
        ["Ideas shipped", len(ideas.shipped)],
        ["Median days from posted to shipped", ideas.median_days_to_ship],
        ["Badges awarded", adv.badges_awarded],
        ["Community share of answers (%)", _percent(adv.answers.community_share)],
    ]
    return Table("summary", "Summary of the range", ["Figure", "Value"], rows)


def participation_table(d: qa.Dashboard) -> Table:
    p = d.participation
    rows = [[day.isoformat(), *values] for day, *values in zip(
        p.days, p.members, p.new_members, p.dau, p.wau, p.mau, p.threads, p.posts, p.votes)]
    return Table("participation", "Participation per day",
                 ["Date", "Members", "New members", "Daily active", "Weekly active",
                  "Monthly active", "Threads", "Posts", "Votes"], rows)


def support_table(d: qa.Dashboard) -> Table:
    s = d.support
    rows = [[day.isoformat(), asked, solved]
            for day, asked, solved in zip(d.range.days, s.asked, s.solved_per_day)]
    return Table("support", "Questions asked per day, and how many of them are solved now",
                 ["Date", "Questions asked", "Solved"], rows)


def unanswered_table(d: qa.Dashboard) -> Table:
    now = qa.utcnow()
    rows = [[_thread_link(t), t.forum.name, _when(d.range, t.created_at),
             (now - t.created_at).total_seconds() / 86400] for t in d.support.unanswered]
    caption = f"Unanswered questions, oldest first ({d.support.unanswered_count} in all"
    caption += f", the first {qa.UNANSWERED_SHOWN} shown)" if (
        d.support.unanswered_count > qa.UNANSWERED_SHOWN) else ")"
    return Table("unanswered", caption, ["Question", "Forum", "Asked", "Waiting (days)"], rows)


def csat_table(d: qa.Dashboard) -> Table:
    c = d.satisfaction.csat
    rows = [[score, n, _percent(qa.ratio(n, c.responses))] for score, n in c.distribution.items()]
    return Table("csat", "CSAT ratings by score", ["Score", "Ratings", "Share (%)"], rows)


def nps_table(d: qa.Dashboard) -> Table:
    g = d.satisfaction.nps.total
    rows = [[label, scores, n, _percent(qa.ratio(n, g.responses))] for label, scores, n in (
        ("Promoters", "9–10", g.promoters), ("Passives", "7–8", g.passives),
        ("Detractors", "0–6", g.detractors))]
    return Table("nps", "NPS answers by group", ["Group", "Scores", "Answers", "Share (%)"], rows)


def satisfaction_table(d: qa.Dashboard) -> Table:
    sat, rng = d.satisfaction, d.range
    rows = []
    for (first, last), scores, average, groups in zip(rng.periods, sat.csat.per_period,
                                                      sat.csat.period_averages, sat.nps.per_period):
        label = first.isoformat() if first == last else f"{first.isoformat()} to {last.isoformat()}"
        rows.append([label, sum(scores.values()), average, groups.responses, groups.promoters,
                     groups.passives, groups.detractors, groups.score])
    unit = "day" if rng.period_days == 1 else "7 days"
    return Table("satisfaction", f"CSAT and NPS per {unit}",
                 ["Period", "CSAT ratings", "CSAT average", "NPS answers", "Promoters",
                  "Passives", "Detractors", "NPS"], rows)


def comments_table(d: qa.Dashboard) -> Table:
    rows = [[_when(d.range, c.created_at), c.survey.upper(), c.score, c.comment,
             _thread_link(c.thread) if c.thread is not None else ""]
            for c in d.satisfaction.comments]
    return Table("comments", "Latest comments, newest first",
                 ["Given", "Survey", "Score", "Comment", "Question"], rows)


def ideas_table(d: qa.Dashboard) -> Table:
    rows = [[_thread_link(i.thread), IdeaStatus(i.thread.status or "open").label, i.votes,
             i.thread.score] for i in d.ideas.top]
    return Table("ideas", "Top ideas by votes cast in the range",
                 ["Idea", "Status", "Votes in the range", "Votes in all"], rows)


def idea_status_table(d: qa.Dashboard) -> Table:
    rows = [[IdeaStatus(status).label, n] for status, n in d.ideas.by_status.items()]
    return Table("idea-status", "Ideas posted in the range, by their status now",
                 ["Status", "Ideas"], rows)


def shipped_table(d: qa.Dashboard) -> Table:
    rows = [[_thread_link(s.thread), _when(d.range, s.thread.created_at),
             _when(d.range, s.shipped_at), s.days] for s in d.ideas.shipped]
    return Table("shipped", "Ideas shipped in the range", ["Idea", "Posted", "Shipped", "Days"],
                 rows)


def advocates_table(d: qa.Dashboard) -> Table:
    rows = [[Link(a.user.name, url_for("account.profile", username=a.user.username)),
             a.user.username, a.points] for a in d.advocates.top]
    return Table("advocates", "Top advocates by points earned in the range",
                 ["Member", "Username", "Points"], rows)


def badges_table(d: qa.Dashboard) -> Table:
    rows = [[badge.name, n] for badge, n in d.advocates.badges]
    return Table("badges", "Badges awarded in the range", ["Badge", "Awarded"], rows)


def answers_table(d: qa.Dashboard) -> Table:
    a = d.advocates.answers
    rows = [["Community (members and moderators)", a.community_replies, _percent(a.community_share),
             a.community_solutions, _percent(a.community_solution_share)],
            ["Staff (official answers)", a.staff_replies,
             _percent(None if a.community_share is None else 1 - a.community_share),
             a.staff_solutions,
             _percent(None if a.community_solution_share is None
                      else 1 - a.community_solution_share)]]
    return Table("answers", "Who answers support questions",
                 ["Written by", "Replies", "Share of replies (%)", "Accepted solutions",
                  "Share of solutions (%)"], rows)


TABLES: dict[str, Callable[[qa.Dashboard], Table]] = {
    "summary": summary_table, "participation": participation_table, "support": support_table,
    "unanswered": unanswered_table, "csat": csat_table, "nps": nps_table,
    "satisfaction": satisfaction_table, "comments": comments_table, "ideas": ideas_table,
    "idea-status": idea_status_table, "shipped": shipped_table, "advocates": advocates_table,
    "badges": badges_table, "answers": answers_table,
}


# Per-day tables of long ranges are shown per period on the page (rng.periods, 7 days past
# DAILY_UP_TO days, as the satisfaction table is); their CSVs keep every day. Columns that
# count add up over the period; the others (members, active members) are the last day's.
FOLDED = {"participation": {"New members", "Threads", "Posts", "Votes"},
          "support": {"Questions asked", "Solved"}}


def fold_per_period(table: Table, rng: qa.Range) -> Table:
    """A per-day table folded into the range's periods, for the page."""
    adding = FOLDED[table.name]
    if rng.period_days == 1 or len(table.rows) != rng.day_count:
        return table
    rows, start = [], 0
    for first, last in rng.periods:
        chunk = table.rows[start:start + (last - first).days + 1]
        start += len(chunk)
        label = first.isoformat() if first == last else f"{first.isoformat()} to {last.isoformat()}"
        rows.append([label, *(sum(r[i] for r in chunk) if column in adding else chunk[-1][i]
                              for i, column in enumerate(table.columns) if i)])
    columns = ["Period", *(c if c in adding else f"{c} (last day)" for c in table.columns[1:])]
    caption = table.caption.replace("per day", f"per {rng.period_days} days", 1)
    return Table(table.name, f"{caption} (the CSV has every day)", columns, rows)


def rows_html(table: Table) -> Markup:
    """The table's body rows (one Python loop: a macro call per cell took most of the time
    of a one-year page)."""
    out = []
    for row in table.rows:
        cells = []
        for i, value in enumerate(row):
            if isinstance(value, Link):
                text = f'<a href="{escape(value.href)}">{escape(value.text)}</a>'
            else:
                text = escape(cell_text(value))
            if i == 0:
                cells.append(f'<th scope="row">{text}</th>')
            elif value is None or isinstance(value, Number):
                cells.append(f'<td class="num">{text}</td>')
            else:
                cells.append(f"<td>{text}</td>")
        out.append(f"<tr>{''.join(cells)}</tr>")
    return Markup("\n      ".join(out))


def cell_text(value) -> str:
    """How a table cell reads on the page and in the CSV: no value is an em dash."""
    if value is None:
        return "—"
    if isinstance(value, float):
        return f"{value:.1f}"
    return str(value)


def duration_text(seconds: float | None) -> str:
    """'45 s', '12 min', '3 h 20 min', '2 d 4 h', or an em dash for no value."""
    if seconds is None:
        return "—"
    seconds = int(round(seconds))
    if seconds < 60:
        return f"{seconds} s"
    minutes = seconds // 60
    if minutes < 60:
        return f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    if hours < 24:
        return f"{hours} h {minutes} min" if minutes else f"{hours} h"
    days, hours = divmod(hours, 24)
    return f"{days} d {hours} h" if hours else f"{days} d"


def _percent_text(ratio: float | None) -> str:
    return "—" if ratio is None else f"{100 * ratio:.1f}%"


def kpis(d: qa.Dashboard) -> list[tuple[str, str]]:
    """The headline figures, as the cards at the top of the page show them."""
    p, s, sat = d.participation, d.support, d.satisfaction
    return [
        ("Members", f"{p.members_total:,}"),
        ("Active members", f"{p.active:,}"),
        ("Threads", f"{sum(p.threads):,}"),
        ("Posts", f"{sum(p.posts):,}"),
        ("Votes", f"{sum(p.votes):,}"),
        ("Solved rate", _percent_text(s.solved_rate)),
        ("Median first reply", duration_text(s.median_first_reply)),
        ("CSAT average", "—" if sat.csat.average is None else f"{sat.csat.average:.1f} / 5"),
        ("NPS", "—" if sat.nps.total.score is None else f"{sat.nps.total.score:+.1f}"),
    ]


def support_kpis(d: qa.Dashboard) -> list[tuple[str, str]]:
    s = d.support
    return [
        ("Questions asked", f"{s.questions:,}"),
        ("Solved rate", _percent_text(s.solved_rate)),
        ("Median first reply", duration_text(s.median_first_reply)),
        ("Median first staff reply", duration_text(s.median_first_staff_reply)),
        ("Unanswered", f"{s.unanswered_count:,}"),
    ]


# --- charts: the same numbers, for static/js/insights.js ------------------------------------

def charts(d: qa.Dashboard) -> dict:
    p, rng = d.participation, d.range
    days = [day.isoformat() for day in rng.days]
    periods = [first.isoformat() for first, _ in rng.periods]
    sat = d.satisfaction

    def line(labels, **series):
        return {"type": "line", "labels": labels,
                "series": [{"label": label, "data": data} for label, data in series.items()]}

    return {
        "activity": line(days, **{"Threads": p.threads, "Posts": p.posts, "Votes": p.votes,
                                  "New members": p.new_members}),
        "active": line(days, **{"Daily active": p.dau, "Weekly active": p.wau,
                                "Monthly active": p.mau}),
        "members": line(days, Members=p.members),
        "support": {**line(days, **{"Questions asked": d.support.asked,
                                    "Solved": d.support.solved_per_day}), "type": "bar"},
        "csat": {"type": "bar", "labels": [str(s) for s in sat.csat.distribution],
                 "series": [{"label": "Ratings", "data": list(sat.csat.distribution.values())}]},
        "nps": {"type": "bar", "stacked": True, "labels": periods, "series": [
            {"label": "Promoters", "tone": "good",
             "data": [g.promoters for g in sat.nps.per_period]},
            {"label": "Passives", "tone": "neutral",
             "data": [g.passives for g in sat.nps.per_period]},
            {"label": "Detractors", "tone": "bad",
             "data": [g.detractors for g in sat.nps.per_period]},
            {"label": "NPS", "type": "line", "axis": "score",
             "data": [_round(g.score) for g in sat.nps.per_period]}]},
        "funnel": {"type": "bar", "horizontal": True,
                   "labels": [IdeaStatus(s).label for s in d.ideas.by_status],
                   "series": [{"label": "Ideas", "data": list(d.ideas.by_status.values())}]},
        "advocates": {"type": "bar", "horizontal": True,
                      "labels": [a.user.name for a in d.advocates.top],
                      "series": [{"label": "Points", "data": [a.points for a in d.advocates.top]}]},
        "answers": {"type": "doughnut", "labels": ["Community", "Staff"],
                    "series": [{"label": "Replies",
                                "data": [d.advocates.answers.community_replies,
                                         d.advocates.answers.staff_replies]}]},
    }


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


# --- pages -------------------------------------------------------------------------------

@bp.route("/insights")
@login_required
def dashboard():
    permissions.require(current_user, "view_insights")
    forums = qa.filter_forums()
    try:
        rng = request_range()
    except InputError as exc:
        return render_template("insights/dashboard.html", d=None, forums=forums, errors=exc.fields,
                               message=exc.message, form=request.args), exc.status
    figures = _figures(rng)
    return render_template("insights/dashboard.html", d=SimpleNamespace(range=rng), forums=forums,
                           errors={}, message=None, form=range_args(rng), args=range_args(rng),
                           **figures, cell_text=cell_text, rows_html=rows_html)


# The dashboard's figures (plain values, no HTML, nothing of the viewer: every staff member
# sees the same) are kept per app for 30 seconds by range, time zone and forum, so
# a staff member changing tabs or reloading does not run the ~40 statements again. Figures
# may be that many seconds old; each process keeps its own.
_kept_figures = Cache(16, ttl=30.0)


def _figures(rng: qa.Range) -> dict:
    key = (id(current_app._get_current_object()), rng.first, rng.last, rng.tz_name,
           rng.forum.id if rng.forum is not None else None)
    figures = _kept_figures.get(key)
    if figures is None:
        d = qa.Dashboard(rng)
        tables = {name: build(d) for name, build in TABLES.items()}
        tables |= {name: fold_per_period(tables[name], rng) for name in FOLDED}
        figures = {"tables": tables, "charts": charts(d), "kpis": kpis(d),
                   "support_kpis": support_kpis(d),
                   "median_days_to_ship": d.ideas.median_days_to_ship}
        _kept_figures.put(key, figures)
    return figures


@bp.route("/insights/<name>.csv")
@login_required
def table_csv(name: str):
    permissions.require(current_user, "view_insights")
    if name not in TABLES:
        abort(404)
    rng = request_range()
    table = TABLES[name](qa.Dashboard(rng))
    filename = f"insights-{name}-{rng.first.isoformat()}-{rng.last.isoformat()}.csv"
    return csv_response(filename, table.columns, table.rows)
