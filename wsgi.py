"""WSGI entry point: `gunicorn --threads 100 -w 1 wsgi:app` (one worker per process)."""

from community import create_app

app = create_app()
