"""Moderators act on the content of lower roles only, as for suspensions."""

import pytest
from sqlalchemy import select

from community.extensions import db
from community.models import Post, PostState, Role
from community.services import moderation, support

from ..conftest import csrf_token
from ..factories import make_forum, make_reply, make_thread, make_user


@pytest.fixture
def staff_answer(member, staff):
    thread = make_thread(member, make_forum("help", kind="support"), title="Printer will not print")
    answer = make_reply(staff, thread, "Official fix: update the driver.")
    support.accept_solution(member, thread, answer)
    return thread, answer


def test_a_moderator_cannot_rewrite_or_hide_an_official_answer(api_as, moderator, staff_answer):
    thread, answer = staff_answer
    api = api_as(moderator)
    assert api.patch(f"/api/v1/posts/{answer.id}", json={"body": "Rewritten"}).status_code == 403
    assert api.post(f"/api/v1/posts/{answer.id}/hide", json={}).status_code == 403
    assert api.delete(f"/api/v1/posts/{answer.id}").status_code == 403
    db.session.refresh(answer)
    assert answer.body == "Official fix: update the driver." and answer.state == PostState.PUBLISHED
    assert answer.official and answer.is_solution


def test_the_pages_apply_the_same_rule(client_as, moderator, staff_answer):
    _, answer = staff_answer
    browser = client_as(moderator)
    token = csrf_token(browser, "/")
    assert browser.post(f"/p/{answer.id}/edit", data={"csrf_token": token, "body": "Rewritten"}
                        ).status_code == 403
    assert browser.post(f"/p/{answer.id}/hide", data={"csrf_token": token}).status_code == 403
    db.session.refresh(answer)
    assert answer.body == "Official fix: update the driver." and answer.state == PostState.PUBLISHED


def test_a_flagged_staff_post_cannot_be_rejected_from_the_queue_by_a_moderator(
        api_as, member, moderator, staff_answer):
    _, answer = staff_answer
    flagger = make_user("fay")
    assert api_as(flagger).post(f"/api/v1/posts/{answer.id}/flags",
                                json={"reason": "spam"}).status_code == 201
    item_id = api_as(moderator).get("/api/v1/moderation/queue").get_json()["items"][0]["id"]
    response = api_as(moderator).post(f"/api/v1/moderation/queue/{item_id}", json={"action": "reject"})
    assert response.status_code == 403
    assert db.session.scalar(select(Post.state).where(Post.id == answer.id)) == PostState.PUBLISHED


def test_higher_roles_and_authors_keep_their_powers(api_as, member, moderator, staff, admin):
    thread = make_thread(member, make_forum())
    members_post = make_reply(member, thread, "A member's words")
    moderators_post = make_reply(moderator, thread, "A moderator's words")
    staff_post = make_reply(staff, thread, "Staff words")
    assert api_as(moderator).patch(f"/api/v1/posts/{members_post.id}",
                                   json={"body": "Tidied by a moderator"}).status_code == 200
    assert api_as(moderator).patch(f"/api/v1/posts/{moderators_post.id}",
                                   json={"body": "Their own, edited"}).status_code == 200
    assert api_as(staff).post(f"/api/v1/posts/{moderators_post.id}/hide", json={}).status_code == 200
    assert api_as(admin).patch(f"/api/v1/posts/{staff_post.id}",
                               json={"body": "Fixed by an admin"}).status_code == 200
    # Equal rank is not enough, as for suspensions.
    other_mod = make_user("mo2", role=Role.MODERATOR)
    mod_post = make_reply(other_mod, thread, "Another moderator's words")
    assert api_as(moderator).patch(f"/api/v1/posts/{mod_post.id}",
                                   json={"body": "Overruled"}).status_code == 403


def test_the_service_says_why(moderator, staff_answer):
    from community.errors import Forbidden

    _, answer = staff_answer
    with pytest.raises(Forbidden):
        moderation.hide_post(moderator, answer)
