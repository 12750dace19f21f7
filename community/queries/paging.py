"""Pages of results: a page number, its items, and how many pages there are."""

import math
from dataclasses import dataclass
from typing import Generic, TypeVar

from sqlalchemy import Select, func, select

from ..errors import NotFound, ValidationError
from ..extensions import db

T = TypeVar("T")
MAX_PER_PAGE = 100


@dataclass
class Page(Generic[T]):
    items: list[T]
    page: int
    per_page: int
    total: int

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.per_page))

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages


def page_number(raw: str | int | None, field: str = "page") -> int:
    """A page number from user input: absent means 1; anything but a positive integer is a 400."""
    if raw is None or raw == "":
        return 1
    try:
        number = int(raw)
    except (TypeError, ValueError):
        number = 0
    if not 1 <= number <= 1_000_000:
        raise ValidationError("Invalid page number.", {field: "A whole number from 1."})
    return number


def per_page_number(raw: str | int | None, default: int = 20) -> int:
    if raw is None or raw == "":
        return default
    number = page_number(raw, "per_page")
    if number > MAX_PER_PAGE:
        raise ValidationError("Too many per page.", {"per_page": f"At most {MAX_PER_PAGE}."})
    return number


def paginate(stmt: Select, page: int, per_page: int, total: int | None = None) -> Page:
    """Run `stmt` for one page; a page past the last one is a 404 (page 1 always exists)."""
    if total is None:
        total = db.session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery()))
    result = Page([], page, per_page, total)
    if page > result.pages:
        raise NotFound("There is no such page.")
    result.items = list(db.session.scalars(stmt.limit(per_page).offset((page - 1) * per_page)))
    return result
