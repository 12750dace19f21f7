"""Every stored counter against a recount from the rows it counts: after a crash or a
restart, any difference would be half-written data."""

from sqlalchemy import Engine, text

CHECKS = {
    "thread.reply_count": """
        SELECT t.id, t.reply_count, (SELECT count(*) FROM post p WHERE p.thread_id = t.id
                                     AND p.number > 1 AND p.state = 'published')
        FROM thread t""",
    "thread.last_post_number": """
        SELECT t.id, t.last_post_number,
               (SELECT coalesce(max(p.number), 0) FROM post p WHERE p.thread_id = t.id)
        FROM thread t""",
    "thread.score": """
        SELECT t.id, t.score, (SELECT count(*) FROM thread_vote v WHERE v.thread_id = t.id)
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
