"""The `community` command.

`community serve` runs under gevent: one process holds thousands of sockets on greenlets
instead of a thread each (docs/deploy.md says why, with the figures). gevent must patch the
standard library before anything creates a socket, lock or thread, so the patch happens
here, before the CLI and the app are imported. Every other command runs unpatched.
"""

import sys


def main() -> None:
    if sys.argv[1:2] == ["serve"]:
        from gevent import monkey

        monkey.patch_all()
    from flask.cli import FlaskGroup

    from .app import create_app

    FlaskGroup(create_app=create_app, add_default_commands=False, add_version_option=False,
               help="Run and manage the community.")(prog_name="community")
