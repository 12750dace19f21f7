"""Reading request bodies and describing routes for the OpenAPI document."""

from collections.abc import Callable
from typing import Annotated, TypeVar

import pydantic
from flask import request

from ..errors import ValidationError
from ..models.base import MAX_ID

M = TypeVar("M", bound=pydantic.BaseModel)

# An id in a request body, in the range the database can be asked about (see MAX_ID).
Id = Annotated[pydantic.StrictInt, pydantic.Field(ge=0, le=MAX_ID)]


def parse(model: type[M]) -> M:
    """The JSON body as `model`, or a 400 validation_error naming each bad field."""
    try:
        data = request.get_json(silent=True)
    except RecursionError:  # nested deeper than the JSON parser goes
        data = None
    if not isinstance(data, dict):
        raise ValidationError("The request body must be a JSON object.")
    try:
        return model.model_validate(data)
    except pydantic.ValidationError as exc:
        fields = {}
        for err in exc.errors():
            name = ".".join(str(p) for p in err["loc"]) or "body"
            fields.setdefault(name, err["msg"])
        raise ValidationError("Please correct the listed fields.", fields) from None


def documented(summary: str, *, body: type[pydantic.BaseModel] | None = None,
               responses: dict[int, str | type[pydantic.BaseModel] | None],
               auth: str = "anyone", query: dict[str, str] | None = None) -> Callable:
    """Attach what the OpenAPI document says about a route to its view function.

    `responses` maps status to a response schema (or a description when there is no body).
    """

    def attach(view: Callable) -> Callable:
        view.openapi = {"summary": summary, "body": body, "responses": responses,
                        "auth": auth, "query": query or {}}
        return view

    return attach
