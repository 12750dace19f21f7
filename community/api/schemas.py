"""Request bodies and response shapes of the API; the OpenAPI document is built from them."""

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, StrictInt, StrictStr


class Body(BaseModel):
    model_config = ConfigDict(extra="ignore")


class RegisterIn(Body):
    username: StrictStr
    email: StrictStr
    password: StrictStr


class TokenIn(Body):
    login: StrictStr
    password: StrictStr
    name: StrictStr = "API token"
    scopes: StrictStr = "read write"
    # A current two-factor code (or a recovery code): required when the member has 2FA on.
    code: StrictStr | None = None


class TokenOut(BaseModel):
    token: str
    name: str
    scopes: str


class PasswordResetIn(Body):
    email: StrictStr


class NewPasswordIn(Body):
    password: StrictStr


class EmailChangeIn(Body):
    email: StrictStr
    password: StrictStr


class UserOut(BaseModel):
    id: int
    username: str
    display_name: str
    bio: str
    role: Literal["member", "moderator", "staff", "admin"]
    trust_level: int = Field(ge=0, le=4)
    points: int
    rank: str
    badges: list[str]
    avatar_url: str
    created_at: datetime
    email: str | None = None
    email_verified: bool | None = None
    pending_email: str | None = None


class ErrorDetail(BaseModel):
    code: str
    message: str
    fields: dict[str, str] | None = None


class ErrorOut(BaseModel):
    error: ErrorDetail


class RoleIn(Body):
    role: Literal["member", "moderator", "staff", "admin"]


# --- forums ------------------------------------------------------------------------------

Kind = Literal["discussion", "support", "ideas"]


class ForumIn(Body):
    slug: StrictStr
    name: StrictStr
    description: StrictStr = ""
    kind: Kind = "discussion"
    private: bool = False


class ForumOut(BaseModel):
    slug: str
    name: str
    description: str
    kind: Kind
    private: bool
    position: int
    thread_count: int
    post_count: int
    last_activity_at: datetime | None
    url: str


class ForumListOut(BaseModel):
    forums: list[ForumOut]


class AuthorOut(BaseModel):
    username: str
    display_name: str
    role: str
    avatar_url: str


class TagOut(BaseModel):
    slug: str
    name: str


class TagIn(Body):
    slug: StrictStr
    name: StrictStr
    description: StrictStr = ""


class TagListOut(BaseModel):
    tags: list[TagOut]


class ThreadIn(Body):
    title: StrictStr
    body: StrictStr
    tags: list[StrictStr] = []


class ThreadPatch(Body):
    title: StrictStr | None = None
    pinned: bool | None = None
    locked: bool | None = None
    forum: StrictStr | None = None
    tags: list[StrictStr] | None = None


class ThreadOut(BaseModel):
    id: int
    title: str
    forum: str
    author: AuthorOut
    pinned: bool
    locked: bool
    reply_count: int
    score: int
    status: Literal["open", "under_review", "planned", "in_progress", "shipped", "declined",
                    "duplicate"] | None
    solved: bool
    merged_into: int | None
    tags: list[TagOut]
    created_at: datetime
    last_activity_at: datetime
    url: str
    # "pending" while it waits for review (seen by its author and moderators only).
    state: Literal["published", "pending", "hidden"] = "published"


class ThreadListOut(BaseModel):
    threads: list[ThreadOut]
    page: int  # 0 on a page reached by cursor (after/before)
    pages: int
    total: int
    # Cursors for ?after= (the next page) and ?before= (the previous one); null at either end.
    next: str | None = None
    prev: str | None = None


class PostIn(Body):
    body: StrictStr


class PostOut(BaseModel):
    id: int
    thread_id: int
    number: int
    author: AuthorOut
    state: Literal["published", "pending", "hidden", "deleted"]
    official: bool
    score: int
    is_solution: bool
    body: str | None
    html: str | None
    created_at: datetime
    edited_at: datetime | None
    revision: int = Field(description="Counts the body's versions; send it back as "
                                      "`base_revision` when editing")
    url: str


class PostEditIn(Body):
    body: StrictStr
    base_revision: StrictInt | None = Field(
        default=None, ge=1,
        description="The post's `revision` this edit starts from: if the post has been saved "
                    "since, the edit is refused with 409 and both versions. Without it the "
                    "last save wins.")


class DraftOut(BaseModel):
    body: str
    base_revision: int | None


class EditConflictOut(ErrorOut):
    """409 on a stale edit: the error, the version saved now, and the refused one."""

    current: PostOut
    yours: DraftOut


class ThreadPageOut(BaseModel):
    thread: ThreadOut
    posts: list[PostOut]
    page: int
    pages: int


class RevisionOut(BaseModel):
    editor: AuthorOut
    body: str
    edited_at: datetime


class RevisionListOut(BaseModel):
    revisions: list[RevisionOut]


class PreviewOut(BaseModel):
    html: str
