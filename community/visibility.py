"""Who may see what: the one answer, as Python checks and as SQL filters alike.

Titles and bodies of threads and posts, and the names of forums, belong to whoever may
read them: a private forum's to moderators and up, a post held for review to its author
and moderators, a hidden one to moderators. Whatever copies such text somewhere else —
badge reasons, notifications, live events, webhooks, emails, search, exports — asks here
first, and rather stores a reference (a thread id) it renders when read, or a neutral
sentence, than the text itself:

- `may_read(viewer, subject)`: may this viewer (a User, the Anonymous visitor or a
  token-bound user) read the subject's text — a Forum, Thread or Post;
- `is_public(subject)`: may everyone, a visitor included; what goes to a public store or
  channel (profile pages, the leaderboard room, webhooks) must pass it. Webhooks that
  asked for private content pass `private_forums=True`: held and hidden content stays
  out of them too;
- `public_text(subject, text, neutral)`: `text` when the subject is public, else `neutral`;
- `readable_forums(viewer)` / `readable_threads(viewer)`: the same rules as SQL, for
  queries that list titles.

Pages are stricter than titles: a thread page opens for its author only while it waits for
review, never once hidden, and listings leave hidden threads out even for moderators:

- `may_open(viewer, thread)` / `may_open_post(viewer, post)`: the thread's (the post's) page;
- `listed_threads(viewer)`, `published_threads(viewer)`, `listed_posts(viewer)`: conditions
  for the queries that list threads (a forum, a tag; digests and homes) and a thread's posts.

services.lifecycle changes the states these rules read; every query filters through here.
"""

from sqlalchemy import ColumnElement, Select, and_, false, or_, select, true

from . import permissions
from .models import Forum, Post, PostState, Role, Thread, ThreadState

ANONYMOUS = permissions.Anonymous()


def _is_author(viewer, thread_or_post) -> bool:
    return bool(viewer.is_authenticated and viewer.id == thread_or_post.author_id)


def _thread_state_readable(viewer, thread: Thread) -> bool:
    # Held and hidden threads: moderators, and their author (who wrote the title).
    if thread.state == ThreadState.PUBLISHED or viewer.has_role(Role.MODERATOR):
        return True
    return _is_author(viewer, thread)


def may_read(viewer, subject) -> bool:
    """Whether `viewer` may read the text of `subject` (a Forum, Thread or Post)."""
    if subject is None:
        return False
    if isinstance(subject, Forum):
        return permissions.can(viewer, "view_forum", subject)
    if isinstance(subject, Thread):
        return (permissions.can(viewer, "view_forum", subject.forum)
                and _thread_state_readable(viewer, subject))
    if isinstance(subject, Post):
        return (may_read(viewer, subject.thread)
                and permissions.can(viewer, "view_post", subject))
    raise TypeError(f"no visibility rule for {type(subject).__name__}")


def is_public(subject, *, private_forums: bool = False) -> bool:
    """Whether anyone at all may read `subject`'s text (published, in a public forum).

    With `private_forums`, a private forum counts as public (webhooks that asked for
    private content); content held for review, hidden or deleted never does.
    """
    if subject is None:
        return False
    if isinstance(subject, Forum):
        return private_forums or not subject.private
    if isinstance(subject, Thread):
        return (subject.state == ThreadState.PUBLISHED
                and is_public(subject.forum, private_forums=private_forums))
    if isinstance(subject, Post):
        return (subject.state == PostState.PUBLISHED
                and is_public(subject.thread, private_forums=private_forums))
    raise TypeError(f"no visibility rule for {type(subject).__name__}")


def may_open(viewer, thread: Thread | None) -> bool:
    """Whether `viewer` may open the thread's page: in a forum they may see, and published;
    held, for its author too; hidden, for moderators only."""
    if thread is None or not permissions.can(viewer, "view_forum", thread.forum):
        return False
    if thread.state == ThreadState.PUBLISHED or viewer.has_role(Role.MODERATOR):
        return True
    return thread.state == ThreadState.PENDING and _is_author(viewer, thread)


def may_open_post(viewer, post: Post | None) -> bool:
    """Whether `viewer` may open the post where it stands: its thread opens for them, and
    a post held for review is its author's and moderators' (see view_post)."""
    if post is None or not may_open(viewer, post.thread):
        return False
    return post.state != PostState.PENDING or permissions.can(viewer, "view_post", post)


def public_text(subject, text: str, neutral: str, *, private_forums: bool = False) -> str:
    """`text` (which quotes `subject`) if the subject is public, else `neutral`."""
    return text if is_public(subject, private_forums=private_forums) else neutral


# --- the same rules in SQL -------------------------------------------------------------------

def readable_forums(viewer) -> Select:
    """The ids of the forums whose content `viewer` may read."""
    stmt = select(Forum.id)
    if not viewer.has_role(Role.MODERATOR):
        stmt = stmt.where(Forum.private.is_(False))
    return stmt


def readable_threads(viewer) -> ColumnElement[bool]:
    """A condition on Thread: `viewer` may read the thread's title (see may_read)."""
    in_forum = Thread.forum_id.in_(readable_forums(viewer))
    if viewer.has_role(Role.MODERATOR):
        return in_forum
    own = Thread.author_id == viewer.id if viewer.is_authenticated else false()
    return and_(in_forum, or_(Thread.state == ThreadState.PUBLISHED, own))


def published_threads(viewer) -> ColumnElement[bool]:
    """A condition on Thread: published, in a forum `viewer` may read (what a member's
    digest, home and profile activity show)."""
    return and_(Thread.state == ThreadState.PUBLISHED, Thread.forum_id.in_(readable_forums(viewer)))


def listed_threads(viewer) -> ColumnElement[bool]:
    """A condition on Thread, for listings within forums the viewer may see: held threads
    are listed for their author and moderators; hidden ones for no one."""
    if viewer.has_role(Role.MODERATOR):
        return Thread.state.in_((ThreadState.PUBLISHED, ThreadState.PENDING))
    if viewer.is_authenticated:
        return or_(Thread.state == ThreadState.PUBLISHED,
                   and_(Thread.state == ThreadState.PENDING, Thread.author_id == viewer.id))
    return Thread.state == ThreadState.PUBLISHED


def listed_posts(viewer) -> ColumnElement[bool]:
    """A condition on Post, for a thread's pages: a post held for review is listed for its
    author and moderators; removed and hidden ones stay, as placeholders."""
    if viewer.has_role(Role.MODERATOR):
        return true()
    return or_(Post.state != PostState.PENDING, Post.author_id == viewer.id)

