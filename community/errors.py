"""Domain errors raised by services, and the one place they become HTTP responses."""

from flask import Flask, current_app, jsonify, make_response, render_template, request
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from werkzeug.exceptions import HTTPException

# Connections lost or refused (a database restarting), locks timed out, the pool exhausted:
# the request can be retried shortly; nothing was half-written, its transaction rolled back.
DATABASE_UNAVAILABLE = (OperationalError, InterfaceError, PoolTimeout)
RETRY_AFTER_SECONDS = 5


class DomainError(Exception):
    """A refused operation; `status` and `code` are what the API reports."""

    status = 400
    code = "bad_request"

    def __init__(self, message: str, fields: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.fields = fields or {}


class InputError(DomainError):
    """The input was wrong: pages show it next to the form, the API lists `fields`."""


class ValidationError(InputError):
    status = 400
    code = "validation_error"


class NotAuthenticated(DomainError):
    status = 401
    code = "unauthorized"


class Forbidden(DomainError):
    status = 403
    code = "forbidden"


class NotFound(DomainError):
    status = 404
    code = "not_found"


class Conflict(InputError):
    status = 409
    code = "conflict"


# Codes for errors Flask/Werkzeug raise before our code runs.
HTTP_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "payload_too_large",
    415: "unsupported_media_type",
    429: "rate_limited",
    500: "internal_error",
    503: "unavailable",
}

TITLES = {
    400: "Bad request",
    401: "Please log in",
    403: "Not allowed",
    404: "Page not found",
    405: "Method not allowed",
    409: "Conflict",
    413: "Too large",
    429: "Slow down",
    500: "Something went wrong",
    503: "Temporarily unavailable",
}


def wants_json() -> bool:
    return request.path.startswith("/api/") or request.path == "/healthz"


def error_response(status: int, code: str, message: str, fields: dict | None = None):
    """The JSON error contract for the API, the site's error page for everything else."""
    if wants_json():
        body = {"code": code, "message": message}
        if fields:
            body["fields"] = fields
        return jsonify(error=body), status
    title = TITLES.get(status, "Error")
    try:
        return render_template("errors/error.html", status=status, title=title,
                               message=message), status
    except Exception:  # the layout reads the database, which may be what failed
        current_app.logger.exception("error page failed; answering with the plain one")
        return plain_page(status, message), status


def plain_page(status: int, message: str) -> str:
    """An error page rendered without the context processors, which query the database."""
    page = current_app.jinja_env.get_template("errors/plain.html")
    return page.render(status=status, title=TITLES.get(status, "Error"), message=message,
                       path=request.path)


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(DomainError)
    def domain_error(exc: DomainError):
        return error_response(exc.status, exc.code, exc.message, exc.fields)

    @app.errorhandler(CSRFError)
    def csrf_error(exc: CSRFError):
        return error_response(400, "csrf_failed", "The form expired or did not come from this site. "
                              "Reload the page and try again.")

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        status = exc.code or 500
        code = HTTP_CODES.get(status, "error")
        message = exc.description or TITLES.get(status, "")
        response = make_response(error_response(status, code, message))
        if status == 429 and getattr(exc, "retry_after", None):
            response.headers["Retry-After"] = str(exc.retry_after)
        return response

    def database_unavailable(exc: Exception):
        app.logger.warning("database unavailable on %s %s: %s", request.method, request.path,
                           exc)
        message = "The community is briefly unavailable. Please try again in a few seconds."
        if wants_json():
            response = make_response(error_response(503, "unavailable", message))
        else:
            response = make_response(plain_page(503, message), 503)
        response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return response

    for error in DATABASE_UNAVAILABLE:
        app.register_error_handler(error, database_unavailable)

    @app.errorhandler(DBAPIError)
    def database_error(exc: DBAPIError):
        # Any driver error on a connection found dead is an outage, whatever its class.
        if exc.connection_invalidated:
            return database_unavailable(exc)
        return unexpected_error(exc)

    @app.errorhandler(Exception)
    def unexpected_error(exc: Exception):
        app.logger.exception("unhandled error on %s %s", request.method, request.path)
        return error_response(500, "internal_error", "An unexpected error occurred.")
