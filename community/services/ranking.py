"""The trending rank of a thread, stored on the thread so listings sort by a column.

hot = sign(s) * log10(max(|s|, 1)) + (created - EPOCH) / 45000, where s = score + replies / 2.

Like Reddit's "hot" rank, time enters as a steadily growing offset rather than as a decay of
old items, so a stored value never goes stale: it only changes when the thread's votes or
replies do, and each tenfold increase in engagement is worth 12.5 hours of recency.
"""

import math
from datetime import datetime

EPOCH = 1_700_000_000  # 2023-11-14; keeps the numbers small
HALF_DAY = 45_000


def hot(score: int, replies: int, created_at: datetime) -> float:
    s = score + replies / 2
    order = math.log10(max(abs(s), 1))
    sign = 1 if s > 0 else -1 if s < 0 else 0
    return round(sign * order + (created_at.timestamp() - EPOCH) / HALF_DAY, 7)


def refresh(thread) -> None:
    """Recompute a thread's stored trending rank after its score or replies changed."""
    thread.hot = hot(thread.score, thread.reply_count, thread.created_at)
