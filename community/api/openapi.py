"""GET /api/v1/openapi.json: built from the routes themselves, so it cannot drift from them."""

import re

from flask import current_app, jsonify
from pydantic import BaseModel

from ..models.base import MAX_ID
from . import bp
from .io import documented
from .schemas import ErrorOut

_PARAM = re.compile(r"<(?:(\w+):)?(\w+)>")
# The app's <int:…> converter takes no sign and stops at MAX_ID.
_PATH_ID = {"type": "integer", "minimum": 0, "maximum": MAX_ID}
ERROR_STATUSES = {400: "Invalid input", 401: "Not authenticated", 403: "Not allowed",
                  404: "Not found", 409: "Conflict", 413: "Body too large", 429: "Rate limited"}


@bp.get("/openapi.json")
@documented("This document", responses={200: "The OpenAPI 3.1 document"})
def document():
    return jsonify(build_document())


def build_document() -> dict:
    schemas: dict[str, dict] = {}
    paths: dict[str, dict] = {}
    for rule in current_app.url_map.iter_rules():
        if not rule.endpoint.startswith("api."):
            continue
        meta = getattr(current_app.view_functions[rule.endpoint], "openapi", None)
        if meta is None:
            raise LookupError(f"route {rule.rule} is not documented")
        path = _PARAM.sub(r"{\2}", rule.rule)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            paths.setdefault(path, {})[method.lower()] = _operation(rule, meta, schemas)
    return {
        "openapi": "3.1.0",
        "info": {"title": "Community API", "version": "1"},
        "servers": [{"url": "/"}],
        "paths": paths,
        "components": {
            "schemas": schemas,
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer"},
                "cookie": {"type": "apiKey", "in": "cookie", "name": "session"},
            },
        },
    }


def _ref(model: type[BaseModel], schemas: dict) -> dict:
    schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
    for name, sub in [*schema.pop("$defs", {}).items(), (model.__name__, schema)]:
        # Components are named after their models: two models of one name would
        # silently document one shape for both.
        if schemas.setdefault(name, sub) != sub:
            raise LookupError(f"two API models are named {name}; rename one")
    return {"$ref": f"#/components/schemas/{model.__name__}"}


def _operation(rule, meta: dict, schemas: dict) -> dict:
    op: dict = {"summary": meta["summary"], "operationId": rule.endpoint.replace(".", "_")}
    params = [
        {"name": name, "in": "path", "required": True,
         "schema": _PATH_ID if conv == "int" else {"type": "string"}}
        for conv, name in _PARAM.findall(rule.rule)
    ]
    params += [{"name": name, "in": "query", "required": False, "schema": {"type": "string"},
                "description": text} for name, text in meta["query"].items()]
    if params:
        op["parameters"] = params
    if meta["body"] is not None:
        op["requestBody"] = {"required": True, "content": {
            "application/json": {"schema": _ref(meta["body"], schemas)}}}
    responses = {}
    for status, shape in meta["responses"].items():
        if isinstance(shape, type) and issubclass(shape, BaseModel):
            responses[str(status)] = {"description": shape.__name__, "content": {
                "application/json": {"schema": _ref(shape, schemas)}}}
        else:
            responses[str(status)] = {"description": shape or ""}
    error = {"application/json": {"schema": _ref(ErrorOut, schemas)}}
    for status, text in ERROR_STATUSES.items():
        responses.setdefault(str(status), {"description": text, "content": error})
    op["responses"] = responses
    if meta["auth"] != "anyone":
        op["security"] = [{"bearer": []}, {"cookie": []}]
    return op
