"""Lone surrogates are refused with a 400 wherever text is accepted, never a 500."""

import pytest
from sqlalchemy import func, select

from community.extensions import db
from community.models import Post, Thread

from ..conftest import csrf_token
from ..factories import make_forum, make_thread

LONE = '"\\ud800"'  # the JSON escape of an unpaired high surrogate
RAW = b'"\xed\xa0\x80"'  # the same code point as raw (invalid UTF-8) bytes


def _counts():
    return (db.session.scalar(select(func.count()).select_from(Post)),
            db.session.scalar(select(func.count()).select_from(Thread)))


def _refused(response):
    assert response.status_code == 400
    error = response.get_json()["error"]
    assert error["code"] == "validation_error" and "Unicode" in error["message"]


@pytest.mark.parametrize("text", [LONE.encode(), RAW])
def test_api_bodies_with_lone_surrogates_are_refused(app, api_as, member, text):
    thread = make_thread(member, make_forum())
    api, before = api_as(member), _counts()
    for path, template in [(f"/api/v1/threads/{thread.id}/posts", b'{"body": %s}'),
                           ("/api/v1/forums/general/threads", b'{"title": %s, "body": "Hello there"}')]:
        _refused(api.post(path, data=template % text, content_type="application/json"))
    assert _counts() == before


@pytest.mark.parametrize("text", [LONE.encode(), RAW])
def test_asking_for_a_token_with_a_lone_surrogate_is_refused(client, text):
    # No login needed to reach this one.
    response = client.post("/api/v1/tokens", content_type="application/json",
                           data=b'{"login": %s, "password": "whatever it is"}' % text)
    _refused(response)


@pytest.mark.parametrize("content_type", ["application/x-www-form-urlencoded",
                                          "multipart/form-data; boundary=b"])
def test_web_forms_never_store_one(client_as, member, content_type):
    # Form parsing never yields a lone surrogate (Werkzeug leaves bytes that are not UTF-8
    # as they were written); whatever arrives is stored as valid text or refused, never a 500.
    forum = make_forum()
    browser = client_as(member)
    token = csrf_token(browser, f"/f/{forum.slug}/new")
    fields = {"csrf_token": token.encode(), "title": b"Broken \xed\xa0\x80 title",
              "body": b"A body \xed\xa0\x80 and %ED%A0%80"}
    if content_type.startswith("multipart"):
        body = b"".join(b'--b\r\nContent-Disposition: form-data; name="%s"\r\n\r\n%s\r\n'
                        % (k.encode(), v) for k, v in fields.items()) + b"--b--\r\n"
    else:
        body = b"&".join(k.encode() + b"=" + v.replace(b" ", b"+") for k, v in fields.items())
    response = browser.post(f"/f/{forum.slug}/new", data=body, content_type=content_type)
    assert response.status_code in (302, 400)
    for text in db.session.scalars(select(Post.body)).all() + \
            db.session.scalars(select(Thread.title)).all():
        text.encode("utf-8")  # raises on a surrogate
