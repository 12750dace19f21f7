"""Every write the app makes: one function per use case, each its own unit of work.

Importing the package registers the receivers of domain signals (see signals.py).
"""

from . import advocacy, analytics, moderation, notifications, webhooks  # noqa: F401
