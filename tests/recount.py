"""Every stored counter against a recount from the rows it counts: after any sequence of
actions (tests/fuzz), a crash or a restart (tests/faults), a difference is a bug."""

from sqlalchemy import Engine, text

CHECKS = {
    "thread.reply_count": """
        SELECT t.id, t.reply_count, (SELECT count(*) FROM post p WHERE p.thread_id = t.id
                                     AND p.number > 1 AND p.state = 'published')
        FROM thread t""",
    # Numbers are never reused (a split leaves gaps), so the counter need only cover them.
    "thread.last_post_number covers its posts": """
        SELECT t.id, 1, CASE WHEN t.last_post_number >= (SELECT coalesce(max(p.number), 0)
                                 FROM post p WHERE p.thread_id = t.id) THEN 1 ELSE 0 END
        FROM thread t""",
    "thread.score": """
        SELECT t.id, t.score, (SELECT count(*) FROM thread_vote v WHERE v.thread_id = t.id)
        FROM thread t""",
    "thread.solved": """
        SELECT t.id, CASE WHEN t.solved THEN 1 ELSE 0 END,
               CASE WHEN (SELECT count(*) FROM post p WHERE p.thread_id = t.id
                          AND p.is_solution) = 1 THEN 1 ELSE 0 END
        FROM thread t""",
    "post.score": """
        SELECT p.id, p.score, (SELECT count(*) FROM post_vote v WHERE v.post_id = p.id)
        FROM post p""",
    "forum.thread_count": """
        SELECT f.id, f.thread_count, (SELECT count(*) FROM thread t WHERE t.forum_id = f.id
                                      AND t.state = 'published')
        FROM forum f""",
    "forum.post_count": """
        SELECT f.id, f.post_count, (SELECT count(*) FROM post p JOIN thread t ON t.id = p.thread_id
                                    WHERE t.forum_id = f.id AND t.state = 'published'
                                    AND p.state = 'published')
        FROM forum f""",
    "user.post_count": """
        SELECT u.id, u.post_count, (SELECT count(*) FROM post p WHERE p.author_id = u.id
                                    AND p.state = 'published')
        FROM "user" u""",
    "poll_option.vote_count": """
        SELECT o.id, o.vote_count, (SELECT count(*) FROM poll_ballot b WHERE b.option_id = o.id)
        FROM poll_option o""",
    "poll.voter_count": """
        SELECT p.id, p.voter_count, (SELECT count(DISTINCT b.user_id) FROM poll_ballot b
                                     WHERE b.poll_id = p.id)
        FROM poll p""",
    "user.points": """
        SELECT u.id, u.points, (SELECT coalesce(sum(e.points), 0) FROM point_entry e
                                WHERE e.user_id = u.id)
        FROM "user" u""",
}


def mismatches(engine: Engine) -> list[str]:
    """'counter of row id: stored ≠ recounted' for every counter that is off."""
    found = []
    with engine.connect() as connection:
        for counter, query in CHECKS.items():
            for row_id, stored, recounted in connection.execute(text(query)):
                if stored != recounted:
                    found.append(f"{counter} of {row_id}: {stored} ≠ {recounted}")
    return found
