"""Whole pages for anonymous visitors, kept for a few seconds, and conditional GET.

Every anonymous visitor has the same rights, so a page rendered for one anonymous request
is the page for all of them, but for two things: the session's CSRF token (base.html's
meta tag) and flashed messages. The token is cut out when a page is stored and the
visitor's own put back when it is served; a session with flashes never uses the cache.
Signed-in members, API tokens and anything but GET never touch it.

Used by the thread page, a forum's page and the home page. Correct across processes
without telling anyone: the key holds a VERSION the view computes on every request from the
database (the thread page: the thread's row and an aggregate of the page's posts' ids,
states, scores, revisions, edit times, solution and official flags; a forum page and the
home page: every value their rows show, read by the page's own queries, so only the
rendering is saved), so a reply, edit, vote, hide, move or lock makes another key at once,
in every process. What the
version does not hold (a poll's counts, a renamed author, a tag, the site's settings, "5
minutes ago") may be up to TTL seconds old. The view still checks access (get_thread) before
it looks here, so a thread moved to a private forum is refused at once.

The response carries an ETag (the version, the page and the session's CSRF secret, so a
browser never revalidates another session's copy) and `Cache-Control: private, no-cache`
(no shared cache keeps it; a browser asks again each time and gets 304 Not Modified while
nothing changed).
"""

import hashlib
from collections.abc import Callable

from flask import current_app, g, make_response, request, session
from flask_login import current_user
from flask_wtf.csrf import generate_csrf

from .caches import Cache

TTL = 10.0          # seconds: staleness bound for what a page's version does not cover
MAX_PAGES = 512
_TOKEN_SLOT = "\x00csrf-token\x00"

pages = Cache(MAX_PAGES, ttl=TTL)


def cacheable() -> bool:
    """Whether this request may be served a shared anonymous page."""
    return (request.method == "GET" and not current_user.is_authenticated
            and g.get("api_token") is None and "_flashes" not in session)


def clear() -> None:
    pages.clear()


def _etag(digest: str) -> str:
    secret = str(session.get("csrf_token", ""))
    return hashlib.sha1(f"{digest}|{secret}".encode()).hexdigest()[:32]


def anonymous_page(version: Callable[[], tuple], render: Callable[[], str]):
    """The response for this GET: for anonymous visitors, from the cache while `version()`
    still matches, else `render()` stored; for anyone else `render()`, and `version` is
    never computed."""
    if not cacheable():
        return render()
    key = (id(current_app._get_current_object()), request.script_root, request.path,
           request.query_string, version())
    entry = pages.get(key)
    if entry is None:
        html = render()
        token = generate_csrf()
        digest = hashlib.sha1(repr(key).encode()).hexdigest()
        entry = (html.replace(token, _TOKEN_SLOT), digest)
        pages.put(key, entry)
    token = generate_csrf()  # this session's own (made now if it had none)
    etag = _etag(entry[1])
    if etag in request.if_none_match:
        response = make_response("", 304)
    else:
        response = make_response(entry[0].replace(_TOKEN_SLOT, token))
    response.set_etag(etag)
    response.headers["Cache-Control"] = "private, no-cache"  # it holds the session's token
    response.vary.add("Cookie")
    return response
