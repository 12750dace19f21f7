from community.extensions import db
from community.models import Notification, ThreadVote
from community.services import feedback

from ..conftest import csrf_token
from ..factories import make_forum, make_reply, make_thread, make_user


def test_vote_button_works_without_javascript(client_as, member):
    idea = make_thread(make_user("author"), make_forum("ideas", kind="ideas"))
    client = client_as(member)
    page = client.get(f"/t/{idea.id}").get_data(as_text=True)
    assert 'aria-pressed="false"' in page
    token = csrf_token(client, f"/t/{idea.id}")
    response = client.post(f"/t/{idea.id}/vote", data={"value": "1", "csrf_token": token})
    assert response.status_code == 302
    assert db.session.query(ThreadVote).count() == 1
    assert 'aria-pressed="true"' in client.get(f"/t/{idea.id}").get_data(as_text=True)
    client.post(f"/t/{idea.id}/vote", data={"value": "0", "csrf_token": token})
    assert db.session.query(ThreadVote).count() == 0
    assert client.post(f"/t/{idea.id}/vote", data={"value": "7", "csrf_token": token}).status_code == 400


def test_helpful_vote_on_a_reply(client_as, member, moderator):
    thread = make_thread(member, make_forum())
    reply = make_reply(moderator, thread)
    client = client_as(member)
    token = csrf_token(client, f"/t/{thread.id}")
    client.post(f"/p/{reply.id}/vote", data={"value": "1", "csrf_token": token})
    db.session.refresh(reply)
    assert reply.score == 1


def test_staff_sets_status_from_the_thread_page(client_as, member, staff):
    idea = make_thread(member, make_forum("ideas", kind="ideas"))
    feedback.vote_thread(make_user("voter"), idea, 1)
    client = client_as(staff)
    page = client.get(f"/t/{idea.id}").get_data(as_text=True)
    assert "Staff: status and merging" in page
    client.post(f"/t/{idea.id}/status", data={"status": "planned", "note": "Spring 2027",
                                              "csrf_token": csrf_token(client, f"/t/{idea.id}")})
    page = client.get(f"/t/{idea.id}").get_data(as_text=True)
    assert "Status history (1)" in page and "Spring 2027" in page and "Official response" in page
    assert db.session.query(Notification).filter_by(kind="idea_status").count() == 2
    assert "Staff: status" not in client_as(member).get(f"/t/{idea.id}").get_data(as_text=True)


def test_roadmap_columns_and_status_filter(client, member, staff):
    ideas = make_forum("ideas", kind="ideas")
    planned = make_thread(member, ideas, title="Planned thing")
    shipped = make_thread(member, ideas, title="Shipped thing")
    make_thread(member, ideas, title="Open thing")
    feedback.set_idea_status(staff, planned, "planned")
    feedback.set_idea_status(staff, shipped, "shipped")
    html = client.get("/roadmap").get_data(as_text=True)
    assert "Planned thing" in html and "Shipped thing" in html and "Open thing" not in html
    filtered = client.get("/f/ideas?status=planned").get_data(as_text=True)
    assert "Planned thing" in filtered and "Open thing" not in filtered
    assert client.get("/f/ideas?status=nonsense").status_code == 400


def test_merge_form(client_as, member, staff):
    ideas = make_forum("ideas", kind="ideas")
    a = make_thread(member, ideas, title="Keep me")
    b = make_thread(member, ideas, title="Duplicate of keep me")
    client = client_as(staff)
    token = csrf_token(client, f"/t/{b.id}")
    response = client.post(f"/t/{b.id}/merge", data={"into": f"http://localhost/t/{a.id}",
                                                      "csrf_token": token})
    assert response.status_code == 302
    db.session.refresh(b)
    assert b.merged_into_id == a.id
    for hostile in ("nope", "²", "9" * 20):
        assert client.post(f"/t/{a.id}/merge",
                           data={"into": hostile, "csrf_token": token}).status_code == 400


def test_follow_form(client_as, member):
    thread = make_thread(make_user("author"), make_forum())
    client = client_as(member)
    token = csrf_token(client, f"/t/{thread.id}")
    client.post(f"/t/{thread.id}/follow", data={"level": "tracking", "csrf_token": token})
    assert '<option value="tracking" selected>' in client.get(f"/t/{thread.id}").get_data(as_text=True)
    client.post(f"/t/{thread.id}/follow", data={"level": "none", "csrf_token": token})
    assert '<option value="none" selected>' in client.get(f"/t/{thread.id}").get_data(as_text=True)
