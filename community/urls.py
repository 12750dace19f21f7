"""Where things live on the site: the one way to put a URL into JSON, an email or a webhook.

Paths come from the app's routes (url_for in a request; the same URL map outside one, for
jobs and webhooks), so renaming a route moves every link. `absolute` turns a path into a
link for places read off the site (emails, webhooks), starting at BASE_URL.
"""

from urllib.parse import quote

from flask import current_app, has_request_context, url_for

DEFAULT_BASE_URL = "http://localhost:5000"


def path(endpoint: str, *, anchor: str | None = None, **values) -> str:
    """The path of `endpoint` with `values` (None values left out), and `#anchor`."""
    if has_request_context():
        return url_for(endpoint, _anchor=anchor, **values)
    values = {k: v for k, v in values.items() if v is not None}
    built = current_app.url_map.bind("localhost").build(endpoint, values)
    return f"{built}#{quote(anchor, safe='')}" if anchor else built


def absolute(site_path: str) -> str:
    """An absolute link to `site_path`: BASE_URL (set by `community serve`) and the path."""
    return (current_app.config.get("BASE_URL") or DEFAULT_BASE_URL).rstrip("/") + site_path


def forum_url(slug: str) -> str:
    return path("forums.forum", slug=slug)


def thread_url(thread_id: int, *, page: int | None = None, post_id: int | None = None) -> str:
    """A thread, at `page` (the first page has no number) and at a post when given."""
    return path("forums.thread", thread_id=thread_id, page=page if page and page > 1 else None,
                anchor=f"post-{post_id}" if post_id is not None else None)


def post_url(post_id: int) -> str:
    """A post's permalink (it redirects to the post's page of its thread)."""
    return path("forums.post", post_id=post_id)


def profile_url(username: str) -> str:
    return path("account.profile", username=username)


def avatar_url(username: str) -> str:
    return path("account.avatar", username=username)


def review_item_url(item_id: int) -> str:
    return path("moderation.queue", anchor=f"item-{item_id}")


def badges_url() -> str:
    return path("advocacy.badges")


def leaderboard_url() -> str:
    return path("advocacy.leaderboard")


def notifications_url() -> str:
    return path("notifications.index")
