"""WSGI entry point for a server of your own: `gunicorn -k gevent -w 1 wsgi:app` (one worker
per port: Socket.IO needs sticky sessions). `community serve` needs none of this; see
docs/deploy.md."""

from community import create_app

app = create_app()
