"""The community app. `create_app()` (community/app.py) builds a configured Flask application.

Nothing is imported here on purpose: `community serve` must patch the standard library for
gevent before Flask, SQLAlchemy or the socket module load (community/launch.py).
"""


def __getattr__(name: str):
    if name in ("create_app", "ROOT"):
        from . import app

        return getattr(app, name)
    raise AttributeError(f"module 'community' has no attribute {name!r}")
