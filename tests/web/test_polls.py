import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from community.extensions import db
from community.models import Poll, PollBallot, PollOption, utcnow
from community.services import forums, polls

from ..conftest import csrf_token
from ..factories import make_forum, make_thread, make_user


@pytest.fixture
def thread(member):
    return make_thread(member, make_forum())


def make_poll(author, thread, options=("Red", "Green", "Blue"), **kw):
    return polls.create_poll(author, thread, "Which colour?", list(options), **kw)


def poll_count() -> int:
    return db.session.scalar(select(func.count()).select_from(Poll))


def ballots() -> set[tuple[int, int]]:
    return set(db.session.execute(select(PollBallot.user_id, PollBallot.option_id)).all())


def section(html: str, poll_id: int) -> str:
    match = re.search(rf'<section id="poll-{poll_id}".*?</section>', html, re.S)
    assert match, "poll section missing"
    return match.group(0)


# --- adding a poll -----------------------------------------------------------------------

def test_add_a_poll_link_only_for_the_author_and_moderators(client, client_as, member,
                                                             moderator, thread):
    path = f"/t/{thread.id}"
    new = f"/t/{thread.id}/poll/new"
    assert new in client_as(member).get(path).get_data(as_text=True)
    assert new in client_as(moderator).get(path).get_data(as_text=True)
    assert new not in client_as(make_user("other")).get(path).get_data(as_text=True)
    assert new not in client.get(path).get_data(as_text=True)
    assert client_as(make_user("nosy")).get(new).status_code == 403
    assert client.get(new).status_code == 302  # to the login page


def test_create_a_poll_in_the_browser(client_as, member, thread):
    browser = client_as(member)
    page = browser.get(f"/t/{thread.id}/poll/new").get_data(as_text=True)
    assert 'type="datetime-local"' in page and "UTC" in page
    response = browser.post(f"/t/{thread.id}/poll/new", data={
        "csrf_token": csrf_token(browser, f"/t/{thread.id}/poll/new"),
        "question": "Best trail snack?", "options": "Nuts\r\n\r\n  Chocolate \r\nFruit\r\n",
        "multiple": "1", "closes_at": "2099-05-01T18:30", "results": "after_close"})
    assert response.status_code == 302
    poll = db.session.scalars(select(Poll)).one()
    assert response.headers["Location"].endswith(f"/t/{thread.id}#poll-{poll.id}")
    assert [o.label for o in poll.options] == ["Nuts", "Chocolate", "Fruit"]
    assert poll.multiple and poll.results == "after_close"
    assert poll.closes_at == datetime(2099, 5, 1, 18, 30, tzinfo=UTC)
    # A thread takes one poll: the form now leads back to it.
    again = browser.get(f"/t/{thread.id}/poll/new")
    assert again.status_code == 302 and again.headers["Location"].endswith(f"#poll-{poll.id}")


@pytest.mark.parametrize("changes, field_error", [
    ({"question": ""}, "1–200 characters."),
    ({"options": "Only one"}, "Give 2–10 options."),
    ({"options": "Yes\nyes"}, "repeats an earlier one"),
    ({"closes_at": "next tuesday"}, "A date and time"),
    ({"closes_at": "2001-01-01T00:00"}, "Must be in the future."),
    ({"results": "never"}, "One of always"),
])
def test_bad_poll_form_is_a_400_and_creates_nothing(client_as, member, thread, changes,
                                                    field_error):
    browser = client_as(member)
    data = {"csrf_token": csrf_token(browser, f"/t/{thread.id}/poll/new"),
            "question": "Best snack?", "options": "Nuts\nFruit", "results": "always"} | changes
    response = browser.post(f"/t/{thread.id}/poll/new", data=data)
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert field_error in page and 'aria-invalid="true"' in page
    assert poll_count() == 0


def test_forms_without_a_csrf_token_change_nothing(client_as, member, thread):
    browser = client_as(member)
    response = browser.post(f"/t/{thread.id}/poll/new",
                            data={"question": "Snack?", "options": "A\nB"})
    assert response.status_code == 400 and poll_count() == 0
    poll = make_poll(member, thread)
    response = browser.post(f"/polls/{poll.id}/ballot", data={"option_id": poll.options[0].id})
    assert response.status_code == 400 and ballots() == set()


# --- voting without JavaScript -----------------------------------------------------------

def test_single_choice_poll_renders_radio_buttons_in_a_form(client_as, member, thread):
    poll = make_poll(member, thread)
    html = section(client_as(make_user("val")).get(f"/t/{thread.id}").get_data(as_text=True),
                   poll.id)
    assert f'data-poll-url="/polls/{poll.id}/fragment"' in html
    assert f'action="/polls/{poll.id}/ballot"' in html and 'name="csrf_token"' in html
    assert html.count('type="radio"') == 3 and 'type="checkbox"' not in html
    assert "Results are shown once you vote." in html and "<meter" not in html


def test_multiple_choice_poll_renders_checkboxes(client_as, member, thread):
    poll = make_poll(member, thread, multiple=True)
    html = section(client_as(make_user("val")).get(f"/t/{thread.id}").get_data(as_text=True),
                   poll.id)
    assert html.count('type="checkbox"') == 3 and 'type="radio"' not in html


def test_vote_change_and_withdraw_by_form_post(client_as, member, thread):
    poll = make_poll(member, thread)
    red, green, _ = (o.id for o in poll.options)
    voter = make_user("val")
    browser = client_as(voter)
    token = csrf_token(browser, f"/t/{thread.id}")
    response = browser.post(f"/polls/{poll.id}/ballot",
                            data={"csrf_token": token, "option_id": red})
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/t/{thread.id}#poll-{poll.id}")
    assert ballots() == {(voter.id, red)}
    html = section(browser.get(f"/t/{thread.id}").get_data(as_text=True), poll.id)
    assert "100% · 1 vote" in html and '<meter min="0" max="100" value="100"' in html
    assert "Your choice" in html and "Change my vote" in html and "Withdraw my vote" in html
    assert re.search(rf'value="{red}" id="[^"]+" checked', html)

    browser.post(f"/polls/{poll.id}/ballot", data={"csrf_token": token, "option_id": green})
    assert ballots() == {(voter.id, green)}
    response = browser.post(f"/polls/{poll.id}/withdraw", data={"csrf_token": token})
    assert response.status_code == 302 and ballots() == set()
    db.session.expire_all()
    assert [o.vote_count for o in db.session.get(Poll, poll.id).options] == [0, 0, 0]


@pytest.mark.parametrize("option_ids, message", [
    ([], "Choose one option."),
    (["abc"], "Choose from the poll&#39;s options."),
    ("both", "Choose one option."),
    ("foreign", "Choose from this poll&#39;s options."),
])
def test_bad_ballots_show_the_thread_with_a_400(client_as, member, thread, option_ids, message):
    poll = make_poll(member, thread)
    other = make_poll(member, make_thread(member, thread.forum, title="Other thread"))
    if option_ids == "both":
        option_ids = [poll.options[0].id, poll.options[1].id]
    elif option_ids == "foreign":
        option_ids = [other.options[0].id]
    browser = client_as(make_user("val"))
    response = browser.post(f"/polls/{poll.id}/ballot", data={
        "csrf_token": csrf_token(browser, f"/t/{thread.id}"), "option_id": option_ids})
    assert response.status_code == 400
    html = section(response.get_data(as_text=True), poll.id)
    assert f'role="alert">{message}' in html
    assert ballots() == set()


def test_closing_in_the_browser(client_as, member, thread):
    poll = make_poll(member, thread)
    voter = make_user("val")
    browser, author = client_as(voter), client_as(member)
    token = csrf_token(browser, f"/t/{thread.id}")
    assert "Close poll" not in browser.get(f"/t/{thread.id}").get_data(as_text=True)
    assert browser.post(f"/polls/{poll.id}/close", data={"csrf_token": token}).status_code == 403
    assert "Close poll" in author.get(f"/t/{thread.id}").get_data(as_text=True)
    closed = author.post(f"/polls/{poll.id}/close",
                         data={"csrf_token": csrf_token(author, f"/t/{thread.id}")})
    assert closed.status_code == 302
    late = browser.post(f"/polls/{poll.id}/ballot",
                        data={"csrf_token": token, "option_id": poll.options[0].id})
    assert late.status_code == 409 and "This poll is closed." in late.get_data(as_text=True)
    html = section(browser.get(f"/t/{thread.id}").get_data(as_text=True), poll.id)
    assert "Closed" in html and "<form" not in html and "0% · 0 votes" in html
    assert ballots() == set()


def test_visitors_are_asked_to_log_in(client, member, thread):
    poll = make_poll(member, thread, results="always")
    html = section(client.get(f"/t/{thread.id}").get_data(as_text=True), poll.id)
    assert "Log in</a> to vote" in html and "<form" not in html and "<meter" in html
    assert client.post(f"/polls/{poll.id}/ballot", data={}).status_code in (302, 400)
    assert ballots() == set()


def test_locked_thread_shows_the_poll_without_a_form(client_as, member, moderator, thread):
    poll = make_poll(member, thread)
    forums.update_thread(moderator, thread, locked=True)
    html = section(client_as(make_user("val")).get(f"/t/{thread.id}").get_data(as_text=True),
                   poll.id)
    assert "its poll takes no votes" in html and 'type="radio"' not in html


# --- the fragment the live client fetches ----------------------------------------------

def test_fragment_is_the_partial_for_this_viewer(client, client_as, member, thread):
    poll = make_poll(member, thread)
    voter = make_user("val")
    polls.cast_ballot(voter, poll, [poll.options[1].id])
    response = client_as(make_user("new")).get(f"/polls/{poll.id}/fragment")
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    html = response.get_data(as_text=True)
    assert html.strip().startswith(f'<section id="poll-{poll.id}"')
    assert "<html" not in html and "poll.js" not in html
    assert "1 voter" in html and "%" not in html  # after_vote: no results before voting
    mine = client_as(voter).get(f"/polls/{poll.id}/fragment").get_data(as_text=True)
    assert "100% · 1 vote" in mine and "0% · 0 votes" in mine
    assert client.get("/polls/999999/fragment").status_code == 404


def test_poll_script_is_included_once_with_the_partial(client, member, thread):
    html = client.get(f"/t/{thread.id}").get_data(as_text=True)
    assert html.count("/static/js/poll.js") == 1
    make_poll(member, thread)
    assert client.get(f"/t/{thread.id}").get_data(as_text=True).count("/static/js/poll.js") == 1


def test_thread_fragment_shows_the_slot_then_the_poll(client, member, thread):
    empty = client.get(f"/t/{thread.id}/poll/fragment").get_data(as_text=True)
    assert "data-poll-slot" in empty and f'data-thread-id="{thread.id}"' in empty
    poll = make_poll(member, thread)
    html = client.get(f"/t/{thread.id}/poll/fragment").get_data(as_text=True)
    assert f'id="poll-{poll.id}"' in html


def test_polls_in_private_forums_are_404_for_members(client_as, member, moderator):
    thread = make_thread(moderator, make_forum("staff", private=True))
    poll = make_poll(moderator, thread)
    browser = client_as(member)
    assert browser.get(f"/polls/{poll.id}/fragment").status_code == 404
    assert browser.get(f"/t/{thread.id}/poll/fragment").status_code == 404
    token = csrf_token(browser, "/")
    refused = browser.post(f"/polls/{poll.id}/ballot",
                           data={"csrf_token": token, "option_id": poll.options[0].id})
    assert refused.status_code == 404
    assert ballots() == set()
    assert client_as(moderator).get(f"/polls/{poll.id}/fragment").status_code == 200


def test_closing_time_shows_in_utc(client, member, thread):
    closes = (utcnow() + timedelta(days=3)).replace(second=0, microsecond=0)
    poll = make_poll(member, thread, closes_at=closes)
    html = section(client.get(f"/t/{thread.id}").get_data(as_text=True), poll.id)
    assert f'data-closes-at="{closes.isoformat()}"' in html
    assert closes.strftime("%H:%M") + " UTC" in html
    assert db.session.scalar(select(func.count()).select_from(PollOption)) == 3
