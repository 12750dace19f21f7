"""Every write the app makes: one function per use case, each its own unit of work.

What follows from a change (points, trust, notifications, audit, webhooks…) is listed in
community.events, not registered by importing anything here.
"""
