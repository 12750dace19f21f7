"""Server-rendered pages, one blueprint per area."""

from flask import Flask

from . import account, auth, health, home


def register(app: Flask) -> None:
    for module in (home, auth, account, health):
        app.register_blueprint(module.bp)
