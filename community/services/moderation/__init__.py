"""Moderation: what moderators and admins do about content and members, one job a module.

- queue: the review queue (held and flagged posts): act_on_item, hide_post, restore_post
- flags: members flag a post; enough weight hides it
- members: suspend, silence, set the trust level
- threads: split and merge threads
- settings: watched words and rate limits (admins)
- audit: the append-only audit log, and the audit reactions community.events names

Screening new posts is services.screening; the post and thread changes themselves, with
their counters, are services.lifecycle. The names routes and tests use are handed on here.
"""

from .flags import FLAG_REASONS, flag_post
from .members import (reset_trust_level, set_trust_level, silence_member, suspend_member,
                      unsilence_member, unsuspend_member)
from .queue import ITEM_ACTIONS, act_on_item, claim_active, hide_post, restore_post
from .settings import WORD_ACTIONS, add_watched_word, remove_watched_word, update_rate_limits
from .threads import merge_threads, split_thread

__all__ = [
    "FLAG_REASONS", "ITEM_ACTIONS", "WORD_ACTIONS", "act_on_item", "add_watched_word",
    "claim_active", "flag_post", "hide_post", "merge_threads", "remove_watched_word",
    "reset_trust_level", "restore_post", "set_trust_level", "silence_member", "split_thread",
    "suspend_member", "unsilence_member", "unsuspend_member", "update_rate_limits",
]
