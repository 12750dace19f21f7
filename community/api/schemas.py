"""Request bodies and response shapes of the API; the OpenAPI document is built from them."""

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, StrictStr


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


class TokenOut(BaseModel):
    token: str
    name: str
    scopes: str


class UserOut(BaseModel):
    id: int
    username: str
    display_name: str
    bio: str
    role: Literal["member", "moderator", "staff", "admin"]
    trust_level: int = Field(ge=0, le=4)
    points: int
    badges: list[str]
    avatar_url: str
    created_at: datetime
    email: str | None = None


class ErrorDetail(BaseModel):
    code: str
    message: str
    fields: dict[str, str] | None = None


class ErrorOut(BaseModel):
    error: ErrorDetail


class RoleIn(Body):
    role: Literal["member", "moderator", "staff", "admin"]
