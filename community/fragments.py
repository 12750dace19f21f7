"""Posts rendered fast: a cached viewer-independent fragment and a per-viewer footer.

A post on a page is two parts (templates/_partials/post.html calls `render_post`):

- the article's head and body (author, badges, time, the sanitised HTML, or the "removed"
  line), the same for everyone who sees the post the same way. It is rendered from
  `_partials/post_fragment.html` and kept in an in-process cache (community/caches.py) under a SELF-VALIDATING key:
  every value the fragment shows is in the key (post id, number, state, whether this viewer
  may see it, official, solution, revision, edited_at, a hash of the HTML, the author's
  username and name, and the "5 minutes ago" text itself). A changed post simply has another
  key, so no process needs telling when something changes (the app runs as several
  processes); stale entries fall out of the LRU. Nothing viewer-specific is in a fragment:
  no CSRF token, no vote state, no action.
- the actions footer (vote button, quote, solution, edit/delete, flag, moderate), built here
  in Python for the viewer on every request: permission checks per post, URLs from patterns
  made once per request instead of url_for per post, the viewer's CSRF token.
"""

from flask import current_app, g, request, url_for
from flask_login import current_user
from flask_wtf.csrf import generate_csrf
from markupsafe import Markup, escape

from .caches import Cache
from .permissions import can

FRAGMENT_TEMPLATE = "_partials/post_fragment.html"
MAX_FRAGMENTS = 4096
_SLOT = 987654321  # a number no route value meets, replaced in URL patterns
# Footer actions whose rules read only the post's thread, author and state (see may_post).
POST_ACTIONS = frozenset({"vote_post", "edit_post", "flag_post", "moderate_post"})


fragments = Cache(MAX_FRAGMENTS)


def fragment_key(post, visible: bool) -> tuple:
    """Everything post_fragment.html shows, so that equal keys mean equal HTML."""
    author, ago = post.author, current_app.jinja_env.filters["ago"]
    return (post.id, post.thread_id, post.number, post.state, visible, bool(post.official),
            bool(post.is_solution), post.revision, post.edited_at, post.created_at,
            ago(post.created_at), hash(post.html), len(post.html or ""), author.username,
            author.name, current_app.name, request.script_root)


def post_fragment(post, visible: bool) -> str:
    key = fragment_key(post, visible)
    html = fragments.get(key)
    if html is None:
        template = current_app.jinja_env.get_template(FRAGMENT_TEMPLATE)
        html = template.render(post=post, visible=visible)
        fragments.put(key, html)
    return html


# --- the viewer's part ---------------------------------------------------------------------

class _Viewer:
    """What one request needs to build footers: URL patterns, the CSRF token, and the
    thread-level permissions (asked once per thread, not once per post)."""

    def __init__(self) -> None:
        self.user = current_user._get_current_object()
        self.signed_in = self.user.is_authenticated
        self._csrf = None
        self._thread_rights: dict[tuple[int, str], bool] = {}
        self._post_rights: dict[tuple, bool] = {}
        slot = str(_SLOT)
        self.urls = {name: url_for(endpoint, **{arg: _SLOT}).replace(slot, "{}")
                     for name, endpoint, arg in (
                         ("vote", "feedback.vote_post", "post_id"),
                         ("thread", "forums.thread", "thread_id"),
                         ("edit", "forums.edit_post", "post_id"),
                         ("delete", "forums.delete_post", "post_id"),
                         ("flag", "moderation.flag_post", "post_id"),
                         ("hide", "moderation.hide_post", "post_id"),
                         ("restore", "moderation.restore_post", "post_id"),
                         ("merge", "moderation.merge", "thread_id"),
                         ("accept", "support.accept_solution", "thread_id"),
                         ("unaccept", "support.unaccept_solution", "thread_id"))}
        self.split = url_for("moderation.split", thread_id=_SLOT, **{"from": _SLOT + 1})

    def csrf(self) -> str:
        if self._csrf is None:
            self._csrf = generate_csrf()
        return self._csrf

    def may(self, action: str, thread) -> bool:
        key = (thread.id, action)
        if key not in self._thread_rights:
            self._thread_rights[key] = can(self.user, action, thread)
        return self._thread_rights[key]

    def may_post(self, action: str, post) -> bool:
        """can(viewer, action, post) for the footer's actions, asked once per kind of post.

        The rules of POST_ACTIONS read only the post's thread (its forum, state and lock),
        author, and state, so within one request posts alike in those get the same answer.
        A rule that comes to read more of the post must be added to the key here (or taken
        out of POST_ACTIONS); tests/web/test_post_fragments.py compares with can()."""
        if action not in POST_ACTIONS:
            return can(self.user, action, post)
        key = (action, post.thread_id, post.author_id, post.state)
        if key not in self._post_rights:
            self._post_rights[key] = can(self.user, action, post)
        return self._post_rights[key]

    def url(self, name: str, value: int) -> str:
        return self.urls[name].format(value)

    def csrf_input(self) -> str:
        return f'<input type="hidden" name="csrf_token" value="{escape(self.csrf())}">'

    def post_form(self, action: str, label: str, extra: str = "") -> str:
        return (f'<form method="post" action="{action}" class="inline">\n          '
                f'{self.csrf_input()}{extra}\n          '
                f'<button type="submit" class="link-button">{label}</button>\n        </form>')


def _viewer() -> _Viewer:
    viewer = g.get("_post_viewer")
    if viewer is None or viewer.user is not current_user._get_current_object():
        viewer = g._post_viewer = _Viewer()
    return viewer


def _vote(viewer: _Viewer, post, voted: bool) -> str:
    """The post's vote control, as _partials/vote.html's vote_button draws it."""
    score = f'<span class="score" data-score-for="post-{post.id}">{post.score}</span>'
    if viewer.signed_in and viewer.may_post("vote_post", post):
        pressed = "true" if voted else "false"
        return ('<div class="vote vote-post">\n'
                f'  <form method="post" action="{viewer.url("vote", post.id)}" '
                f'class="vote-form" data-api="/api/v1/posts/{post.id}/vote">\n'
                f"    {viewer.csrf_input()}\n"
                f'    <input type="hidden" name="value" value="{0 if voted else 1}">\n'
                f'    <button type="submit" class="vote-button" aria-pressed="{pressed}" '
                'aria-label="Helpful" title="Helpful">\n'
                f'      <span aria-hidden="true">▲</span> {score}\n'
                "    </button>\n  </form>\n</div>")
    return ('<div class="vote vote-post">\n'
            f'  <span class="vote-static" title="{post.score} votes">'
            f'<span aria-hidden="true">▲</span> {score}'
            '<span class="visually-hidden"> votes</span></span>\n</div>')


def post_actions(post, voted: bool) -> str:
    """The footer of a visible post, for the current viewer."""
    viewer = _viewer()
    parts = ['<footer class="post-actions">']
    if post.number > 1:
        parts.append(_vote(viewer, post, voted))
    if viewer.signed_in:
        thread, thread_id = post.thread, post.thread_id
        published = post.state == "published"
        if published and viewer.may("reply", thread):
            quote = f'{viewer.url("thread", thread_id)}?quote={post.id}#reply'
            parts.append(f'<a href="{quote}">Quote</a>')
        if post.number > 1 and published and viewer.may("accept_solution", thread):
            if post.is_solution:
                parts.append(viewer.post_form(viewer.url("unaccept", thread_id),
                                              "Unmark solution"))
            else:
                parts.append(viewer.post_form(
                    viewer.url("accept", thread_id), "Mark as solution",
                    f'\n          <input type="hidden" name="post_id" value="{post.id}">'))
        if viewer.may_post("edit_post", post):
            parts.append(f'<a href="{viewer.url("edit", post.id)}">Edit</a>')
            parts.append(viewer.post_form(viewer.url("delete", post.id), "Delete"))
        if viewer.may_post("flag_post", post):
            parts.append(f'<a href="{viewer.url("flag", post.id)}">'
                         'Flag<span class="visually-hidden"> this post</span></a>')
        if post.state in ("published", "hidden") and viewer.may_post("moderate_post", post):
            parts.append(viewer.post_form(viewer.url("hide" if published else "restore", post.id),
                                          "Hide" if published else "Restore"))
            if post.number > 1 and viewer.may("split_thread", thread):
                parts.append(f'<a href="{_split_url(viewer, post)}">Split from here</a>')
            if post.number == 1 and viewer.may("merge_threads", thread):
                parts.append(f'<a href="{viewer.url("merge", thread_id)}">Merge thread…</a>')
    parts.append("</footer>")
    return "\n      ".join(parts)


def _split_url(viewer: _Viewer, post) -> str:
    return (viewer.split.replace(str(_SLOT + 1), str(post.id))
            .replace(str(_SLOT), str(post.thread_id)))


def render_post(post, voted_posts=()) -> Markup:
    """One post as pages show it: the cached fragment, the viewer's footer, the end tag."""
    visible = post.state != "deleted" and can(current_user, "view_post", post)
    html = post_fragment(post, visible)
    if visible:
        html += "\n    " + post_actions(post, post.id in (voted_posts or ()))
    return Markup(html + "\n</article>")
