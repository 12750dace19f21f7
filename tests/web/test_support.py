from datetime import timedelta

import pytest
from flask import render_template
from flask_login import login_user
from sqlalchemy import select

from community.extensions import db
from community.models import CsatRating, NpsResponse, Post, Thread, utcnow
from community.realtime import publisher
from community.services import support

from ..conftest import csrf_token
from ..factories import make_forum, make_reply, make_thread, make_user


@pytest.fixture
def question(member):
    thread = make_thread(member, make_forum("help", kind="support"), title="Tent leaks",
                         body="The seams leak.")
    helper = make_user("hal")
    return (thread, make_reply(helper, thread, "Use **seam sealer**."),
            make_reply(helper, thread, "Or tape."))


def _solutions(thread) -> list[int]:
    db.session.expire_all()
    return list(db.session.scalars(
        select(Post.id).where(Post.thread_id == thread.id, Post.is_solution.is_(True))))


# --- solutions -------------------------------------------------------------------------------

def test_mark_and_unmark_in_the_browser(client_as, member, question):
    thread, first, second = question
    client = client_as(member)
    page = client.get(f"/t/{thread.id}").get_data(as_text=True)
    assert page.count("Mark as solution") == 2  # the two replies, not the question
    assert 'id="solution-banner"' in page and "Solved" not in page

    token = csrf_token(client, f"/t/{thread.id}")
    with publisher.capture() as sent:
        response = client.post(f"/t/{thread.id}/solution",
                               data={"post_id": first.id, "csrf_token": token})
    assert response.status_code == 302 and response.headers["Location"] == f"/p/{first.id}"
    assert {e.name for e in sent} - {"badge.awarded", "notification"} == \
        {"post.updated", "thread.updated"}
    assert _solutions(thread) == [first.id]

    page = client.get(f"/t/{thread.id}").get_data(as_text=True)
    assert "Marked as the solution." in page
    banner = page[page.index('id="solution-banner"'):page.index('id="posts"')]
    assert "Solved" in banner and "<strong>seam sealer</strong>" in banner
    assert f'href="/p/{first.id}"' in banner
    assert "Accepted solution" in page and "Unmark solution" in page
    assert page.count("Mark as solution") == 1

    response = client.post(f"/t/{thread.id}/solution/remove", data={"csrf_token": token})
    assert response.status_code == 302
    assert _solutions(thread) == [] and not db.session.get(Thread, thread.id).solved


def test_banner_is_shown_to_visitors_with_a_jump_link(client, member, question):
    thread, first, _ = question
    support.accept_solution(member, thread, first)
    page = client.get(f"/t/{thread.id}").get_data(as_text=True)
    assert "Solved" in page and "Jump to the solution" in page
    assert f'href="/p/{first.id}"' in page
    assert "Mark as solution" not in page and "Unmark solution" not in page
    fragment = client.get(f"/t/{thread.id}/solution/fragment").get_data(as_text=True)
    assert "Jump to the solution" in fragment


def test_no_solution_controls_outside_support_or_for_others(client_as, member, staff, question):
    thread, first, _ = question
    other = client_as(make_user("olga"))
    assert "Mark as solution" not in other.get(f"/t/{thread.id}").get_data(as_text=True)
    as_staff = client_as(staff).get(f"/t/{thread.id}").get_data(as_text=True)
    assert as_staff.count("Mark as solution") == 2
    chat = make_thread(member, make_forum("chat"))
    make_reply(staff, chat)
    page = client_as(member).get(f"/t/{chat.id}").get_data(as_text=True)
    assert "Mark as solution" not in page and 'id="solution-banner"' not in page


def test_refusals_in_the_browser_change_nothing(client_as, member, question):
    thread, first, _ = question
    other = client_as(make_user("olga"))
    token = csrf_token(other, f"/t/{thread.id}")
    response = other.post(f"/t/{thread.id}/solution",
                          data={"post_id": first.id, "csrf_token": token})
    assert response.status_code == 403 and "Not allowed" in response.get_data(as_text=True)

    asker = client_as(member)
    token = csrf_token(asker, f"/t/{thread.id}")
    opening = db.session.scalar(select(Post).where(Post.thread_id == thread.id, Post.number == 1))
    url = f"/t/{thread.id}/solution"
    response = asker.post(url, data={"post_id": opening.id, "csrf_token": token})
    assert response.status_code == 302
    after = asker.get(response.headers["Location"]).get_data(as_text=True)
    assert "cannot be its own solution" in after
    assert asker.post(url, data={"post_id": "x", "csrf_token": token}).status_code == 302
    assert asker.post(url, data={"post_id": 999999, "csrf_token": token}).status_code == 404
    assert asker.post(url, data={"post_id": first.id}).status_code == 400  # no CSRF token
    assert _solutions(thread) == []


# --- CSAT --------------------------------------------------------------------------------------

@pytest.fixture
def solved(member, question):
    thread, first, _ = question
    support.accept_solution(member, thread, first)
    return thread


def test_asker_is_asked_and_rates_then_changes(client_as, member, solved):
    client = client_as(member)
    page = client.get(f"/t/{solved.id}").get_data(as_text=True)
    assert "How satisfied are you with the help you got?" in page
    token = csrf_token(client, f"/t/{solved.id}")
    response = client.post(f"/t/{solved.id}/csat",
                           data={"score": "4", "comment": "Fast!", "csrf_token": token})
    assert response.status_code == 302 and response.headers["Location"].endswith("#csat")
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Thank you for rating the help." in page and "4 out of 5" in page
    assert "Change your rating" in page

    client.post(f"/t/{solved.id}/csat", data={"score": "5", "csrf_token": token})
    page = client.get(f"/t/{solved.id}").get_data(as_text=True)
    assert "Your rating is updated." in page and "5 out of 5" in page
    assert db.session.query(CsatRating).count() == 1

    rating = db.session.scalar(select(CsatRating))
    rating.created_at = utcnow() - timedelta(days=8)
    db.session.commit()
    page = client.get(f"/t/{solved.id}").get_data(as_text=True)
    assert "5 out of 5" in page and "Change your rating" not in page
    client.post(f"/t/{solved.id}/csat", data={"score": "1", "csrf_token": token})
    assert "no longer be changed" in client.get(f"/t/{solved.id}").get_data(as_text=True)
    db.session.expire_all()
    assert db.session.scalar(select(CsatRating.score)) == 5


def test_csat_prompt_only_for_the_asker_of_a_solved_thread(client_as, client, staff, member,
                                                            solved):
    assert "How satisfied" not in client_as(staff).get(f"/t/{solved.id}").get_data(as_text=True)
    assert "How satisfied" not in client.get(f"/t/{solved.id}").get_data(as_text=True)
    open_thread = make_thread(member, solved.forum, title="Still open question")
    open_page = client_as(member).get(f"/t/{open_thread.id}").get_data(as_text=True)
    assert "How satisfied" not in open_page
    other = client_as(staff)
    token = csrf_token(other, f"/t/{solved.id}")
    refused = other.post(f"/t/{solved.id}/csat", data={"score": "5", "csrf_token": token})
    assert refused.status_code == 403
    assert db.session.query(CsatRating).count() == 0


@pytest.mark.parametrize("score", ["0", "6", "abc", ""])
def test_bad_csat_scores_are_flashed(client_as, member, solved, score):
    client = client_as(member)
    token = csrf_token(client, f"/t/{solved.id}")
    response = client.post(f"/t/{solved.id}/csat", data={"score": score, "csrf_token": token})
    assert response.status_code == 302
    assert "A whole number from 1 to 5." in client.get(f"/t/{solved.id}").get_data(as_text=True)
    assert db.session.query(CsatRating).count() == 0


# --- NPS ---------------------------------------------------------------------------------------

def _nps_prompt(app, user) -> str:
    # A context of its own, as each request has, so nothing is remembered between renders.
    with app.app_context(), app.test_request_context("/"):
        login_user(user)
        return render_template("_partials/nps_prompt.html").strip()


def test_nps_page_and_prompt(client_as, app, member):
    client = client_as(member)
    db.session.commit()
    assert "How likely are you to recommend Community? <a href=\"/feedback/nps\">Tell us</a>" \
        in _nps_prompt(app, member)
    page = client.get("/feedback/nps").get_data(as_text=True)
    assert "How likely are you to recommend Community?" in page
    assert page.count('name="score"') == 11

    token = csrf_token(client, "/feedback/nps")
    response = client.post("/feedback/nps", data={"score": "8", "comment": "Helpful",
                                                   "csrf_token": token})
    assert response.status_code == 302
    assert "Thank you for your answer." in client.get("/").get_data(as_text=True)
    db.session.expire_all()
    stored = db.session.scalars(select(NpsResponse)).all()
    assert [(r.score, r.comment) for r in stored] == [(8, "Helpful")]
    assert _nps_prompt(app, member) == ""

    page = client.get("/feedback/nps").get_data(as_text=True)
    assert "We will ask again from" in page and 'name="score"' not in page
    again = client.post("/feedback/nps", data={"score": "9", "csrf_token": token})
    assert again.status_code == 409
    assert db.session.query(NpsResponse).count() == 1

    response = db.session.scalar(select(NpsResponse))
    response.created_at = utcnow() - timedelta(days=91)
    db.session.commit()
    assert "Tell us" in _nps_prompt(app, member)


@pytest.mark.parametrize("score", ["-1", "11", "x", ""])
def test_nps_page_rejects_bad_scores(client_as, member, score):
    client = client_as(member)
    token = csrf_token(client, "/feedback/nps")
    response = client.post("/feedback/nps", data={"score": score, "comment": "Keep me",
                                                  "csrf_token": token})
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "A whole number from 0 to 10." in html and "Keep me" in html
    assert db.session.query(NpsResponse).count() == 0


def test_nps_page_needs_login(client):
    response = client.get("/feedback/nps")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
