"""`community backup` and `community restore`, on the run's own database (SQLite or PostgreSQL)."""

import gc
import sqlite3
import threading
import time

import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import func, inspect, select, table, text
from sqlalchemy import column as sql_column

from community import backup, create_app
from community.backup.postgresql import _Server
from community.cli import alembic_config
from community.extensions import db, make_engine
from community.models import Forum, Post, Role, Thread, User
from community.permissions import Anonymous
from community.queries.search import search
from community.services import accounts, advocacy, feedback, follows, forums, polls, support
from community.services.advocacy import recompute_totals

from .conftest import TEST_SETTINGS
from .factories import make_forum, make_reply, make_thread, make_user

UNICODE = "Zelt wasserdicht ü — テント 防水 🏕️ café naïve"


def invoke(app, *args: str, input: str | None = None):
    if args[0] == "restore":
        settle()
    return app.test_cli_runner().invoke(args=list(args), input=input)


def settle() -> None:
    """Let this process stop using the database, as a stopped server would.

    Writes schedule leaderboard broadcasts, whose queries would hold the database open; and a
    broadcast that ran after an earlier test's teardown left a connection in that test's
    engine, which only the garbage collector closes.
    """
    for timer in [t for t in threading.enumerate() if isinstance(t, threading.Timer)]:
        timer.join()
    gc.collect()


def snapshot() -> dict[str, list]:
    """Every row of every table (ordered by primary key), and the schema's own objects."""
    with db.engine.connect() as conn:
        inspector = inspect(conn)
        tables = {}
        for name in inspector.get_table_names():
            columns = [c["name"] for c in inspector.get_columns(name)]
            keys = inspector.get_pk_constraint(name)["constrained_columns"]
            query = select(*(sql_column(c) for c in columns)).select_from(table(name))
            rows = conn.execute(query.order_by(*(sql_column(k) for k in keys))).all()
            # Without a key (the FTS5 table), row order means nothing.
            tables[name] = [tuple(r) for r in rows] if keys else sorted(map(repr, rows))
        tables["(schema)"] = conn.execute(text(
            "SELECT type, name, tbl_name, sql FROM sqlite_master ORDER BY type, name"
            if conn.dialect.name == "sqlite" else
            "SELECT tablename, indexname, indexdef FROM pg_indexes "
            "WHERE schemaname = 'public' ORDER BY indexname")).all()
    return tables


def seed_community() -> dict:
    """A bit of everything the members make, with text in several scripts."""
    admin = make_user("ana_admin", role=Role.ADMIN)
    staff = make_user("sid_staff", role=Role.STAFF)
    asker = make_user("zoe_asks")
    helper = make_user("hal_helps")
    accounts.update_profile(helper, helper, "Hâl 🧭", UNICODE)
    accounts.issue_token(helper, "backup test", "read write")

    talk = make_forum("talk")
    help_ = make_forum("help", kind="support")
    ideas = make_forum("ideas", kind="ideas")
    make_forum("staff-room", private=True)
    forums.create_tag(admin, "tents", "Tents ⛺")

    thread = make_thread(asker, talk, "Zelt wasserdicht machen?",
                         f"{UNICODE}\n\nMy **tent** leaks at the seams, said the quokka.",
                         tags=["tents"])
    answer = make_reply(helper, thread, f"Seam grip, then a tarp. {UNICODE}")
    official = make_reply(staff, thread, "Official: we replace leaking tents under warranty.")
    feedback.vote_thread(helper, thread, 1)
    feedback.vote_post(asker, answer, 1)
    follows.follow_forum(helper, talk)

    question = make_thread(asker, help_, "Stove will not light", "Clicks, no flame.")
    solution = make_reply(helper, question, "Clean the jet with the pin.")
    support.accept_solution(asker, question, solution)
    support.rate_thread(asker, question, 5, "Schnell & freundlich 👍")

    idea = make_thread(helper, ideas, "A lighter tent pole", "Carbon, please.")
    feedback.vote_thread(asker, idea, 1)
    feedback.set_idea_status(staff, idea, "planned", "On the roadmap — 2027.")
    poll = polls.create_poll(helper, idea, "Which colour?", ["Grün", "橙色", "Blue"])
    polls.cast_ballot(asker, poll, [poll.options[1].id])

    badge = advocacy.create_badge(admin, "trail-angel", "Trail angel 😇")
    advocacy.grant_badge(staff, badge, helper, "Fixed every stove in the forum")
    return {"thread": thread, "answer": answer, "official": official, "asker": asker,
            "helper": helper, "staff": staff, "talk": talk}


def change_everything(seeded: dict) -> None:
    """Edits, removals, new rows and a new table: all the things a restore must undo."""
    opening = db.session.scalars(select(Post).where(Post.thread_id == seeded["thread"].id,
                                                    Post.number == 1)).one()
    forums.edit_post(seeded["asker"], opening, "Fixed it myself, no animals involved.")
    forums.edit_post(seeded["helper"], seeded["answer"], "Never mind, buy a new tent.")
    forums.delete_post(seeded["staff"], seeded["official"])
    feedback.vote_post(seeded["asker"], seeded["answer"], 0)
    newcomer = make_user("newcomer")
    make_thread(newcomer, seeded["talk"], "Fresh after the backup", "Gone after the restore.")
    with db.engine.begin() as conn:
        conn.execute(text("CREATE TABLE added_later (id INTEGER PRIMARY KEY)"))
    db.session.commit()


def check_search_index() -> None:
    """On SQLite, FTS5 checks its index against the post and thread tables."""
    if db.engine.dialect.name == "sqlite":
        with db.engine.begin() as conn:
            conn.execute(text("INSERT INTO post_fts(post_fts) VALUES ('integrity-check')"))


def set_revision(revision: str) -> None:
    with db.engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = :r"), {"r": revision})


# --- the round trip --------------------------------------------------------------------------

def test_a_restore_brings_back_every_table_as_it_was_backed_up(app, tmp_path):
    seeded = seed_community()
    db.session.commit()
    path = tmp_path / "community.backup"

    made = invoke(app, "backup", str(path))
    assert made.exit_code == 0, made.output
    backed_up = snapshot()
    filled = {"user", "forum", "thread", "post", "tag", "thread_tag", "thread_vote", "post_vote",
              "point_entry", "point_total", "badge_award", "poll", "poll_ballot", "api_token",
              "csat_rating", "alembic_version"}
    assert {name for name, rows in backed_up.items() if rows} >= filled
    assert search(Anonymous(), "quokka").total == 1

    change_everything(seeded)
    assert search(Anonymous(), "quokka").total == 0
    assert snapshot() != backed_up

    restored = invoke(app, "restore", str(path), "--yes")
    assert restored.exit_code == 0, restored.output
    assert "Restored" in restored.output and "db upgrade" not in restored.output
    assert snapshot() == backed_up

    # The search index came back with the posts (FTS5 tables and triggers on SQLite).
    check_search_index()
    found = search(Anonymous(), "quokka")
    assert [hit.thread.title for hit in found.items] == ["Zelt wasserdicht machen?"]
    assert search(Anonymous(), "wasserdicht").total == 1
    # And the restored database takes new rows where the old one left off.
    thread = db.session.get(Thread, seeded["thread"].id)
    reply = make_reply(db.session.get(User, seeded["helper"].id), thread, "A wombat ate it.")
    assert reply.id > max(row[0] for row in backed_up["post"])
    assert search(Anonymous(), "wombat").total == 1
    check_search_index()


def test_a_backup_taken_while_another_thread_writes_is_one_moment_of_the_database(app, tmp_path):
    author = make_user("writer")
    thread = make_thread(author, make_forum(), "Busy thread", "Replies keep coming.")
    ids = (author.id, thread.id)
    db.session.commit()
    committed: list[int] = []  # one entry per reply, appended once its commit returned
    stop = threading.Event()
    failures: list[BaseException] = []

    def write() -> None:
        with app.app_context():
            writer, busy = db.session.get(User, ids[0]), db.session.get(Thread, ids[1])
            try:
                while not stop.is_set():
                    make_reply(writer, busy, f"Reply {len(committed) + 1}: {UNICODE}")
                    committed.append(1)
            except BaseException as exc:  # the test fails on it below
                failures.append(exc)
            finally:
                db.session.remove()

    def wait_for(replies: int) -> None:
        deadline = time.monotonic() + 30
        while len(committed) < replies and not failures:
            assert time.monotonic() < deadline, "the writer stalled"
            time.sleep(0.005)

    writer = threading.Thread(target=write)
    writer.start()
    try:
        wait_for(5)
        before = len(committed)
        made = invoke(app, "backup", str(tmp_path / "busy.backup"))
        after = len(committed)
        # At most one reply was committed and not yet counted when the backup returned; two
        # more prove the writer went on past the backup's moment.
        wait_for(after + 2)
    finally:
        stop.set()
        writer.join()
    assert not failures, failures
    assert made.exit_code == 0, made.output
    final = len(committed)

    restored = invoke(app, "restore", str(tmp_path / "busy.backup"), "--yes")
    assert restored.exit_code == 0, restored.output
    posts = db.session.scalar(select(func.count()).where(Post.thread_id == ids[1]))
    replies = posts - 1
    # The replies of one moment between the backup's start and its end, not later ones.
    assert before <= replies <= after + 1 < final
    # Every counter agrees with the rows it counts: no transaction was copied in part.
    busy = db.session.get(Thread, ids[1])
    assert busy.reply_count == replies and busy.last_post_number == posts
    assert db.session.get(Forum, busy.forum_id).post_count == posts
    assert recompute_totals()["differences"] == 0
    check_search_index()


def test_a_backup_holds_what_was_committed_and_does_not_wait_for_writers(app, tmp_path):
    forum = make_forum("gear", name="Gear")
    db.session.commit()
    writer = make_engine(db.engine.url.render_as_string(hide_password=False))
    try:
        with writer.connect() as conn:
            conn.execute(text("UPDATE forum SET name = 'Half-written' WHERE id = :id"),
                         {"id": forum.id})
            # A write transaction is open: the backup neither waits for it nor sees it.
            made = invoke(app, "backup", str(tmp_path / "gear.backup"))
            assert made.exit_code == 0, made.output
            conn.commit()
    finally:
        writer.dispose()
    assert db.session.scalar(select(Forum.name).where(Forum.id == forum.id)) == "Half-written"
    assert invoke(app, "restore", str(tmp_path / "gear.backup"), "--yes").exit_code == 0
    assert db.session.scalar(select(Forum.name).where(Forum.id == forum.id)) == "Gear"


def test_restoring_an_older_schema_says_to_upgrade_afterwards(app, community, tmp_path):
    script = ScriptDirectory.from_config(alembic_config(app))
    current = script.get_current_head()
    set_revision(script.get_revision(current).down_revision)
    try:
        assert invoke(app, "backup", str(tmp_path / "older.backup")).exit_code == 0
    finally:
        set_revision(current)
    try:
        result = invoke(app, "restore", str(tmp_path / "older.backup"), "--yes")
        assert result.exit_code == 0, result.output
        assert "older than this version's: run `community db upgrade`" in result.output
    finally:
        set_revision(current)


def test_a_restore_onto_a_new_machine_asks_nothing(tmp_path):
    def sqlite_app(name: str):
        return create_app(TEST_SETTINGS | {"DATABASE_URL": f"sqlite:///{tmp_path / name}"},
                          instance_path=str(tmp_path))

    old = sqlite_app("old.db").test_cli_runner()
    assert old.invoke(args=["db", "upgrade"]).exit_code == 0
    assert old.invoke(args=["backup", str(tmp_path / "old.backup")]).exit_code == 0
    result = sqlite_app("new.db").test_cli_runner().invoke(
        args=["restore", str(tmp_path / "old.backup")])
    db.engine.dispose()
    assert result.exit_code == 0, result.output
    assert "Replace" not in result.output
    assert "new.db-wal" not in {p.name for p in tmp_path.iterdir()}
    restored = sqlite3.connect(tmp_path / "new.db")
    try:
        assert restored.execute("SELECT version_num FROM alembic_version").fetchone() == (
            ScriptDirectory.from_config(alembic_config(old.app)).get_current_head(),)
    finally:
        restored.close()


# --- refusals: each leaves the database as it was ----------------------------------------

@pytest.fixture
def community(app):
    seed = make_thread(make_user("keeper"), make_forum(), "Keep me", "Nothing may change me.")
    db.session.commit()
    return seed


def refused(app, *args: str, says: str, input: str | None = None) -> None:
    before = snapshot()
    result = invoke(app, *args, input=input)
    assert result.exit_code != 0
    assert says in result.output
    assert snapshot() == before


def other_kind(tmp_path, dialect: str):
    """A real backup file of the other database kind."""
    path = tmp_path / "other.backup"
    if dialect == "sqlite":
        path.write_bytes(b"PGDMP\x01\x0e\x00" + bytes(range(256)) * 8)
        return path, "is a PostgreSQL backup, but the configured database is SQLite"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE alembic_version (version_num TEXT)")
    conn.commit()
    conn.close()
    return path, "is a SQLite backup, but the configured database is PostgreSQL"


def test_restore_refuses_a_missing_file_or_one_that_is_no_backup(app, community, tmp_path):
    refused(app, "restore", str(tmp_path / "nowhere.backup"), "--yes", says="There is no backup")
    notes = tmp_path / "notes.txt"
    notes.write_text("SQLite format 2? No: just some notes.\n" * 100)
    refused(app, "restore", str(notes), "--yes", says="not a backup made by `community backup`")
    refused(app, "restore", str(tmp_path), "--yes", says="There is no backup")


def test_restore_refuses_a_backup_of_the_other_kind_of_database(app, community, tmp_path):
    path, message = other_kind(tmp_path, db.engine.dialect.name)
    refused(app, "restore", str(path), "--yes", says=message)


def test_restore_refuses_a_backup_from_a_newer_version(app, community, tmp_path):
    with db.engine.connect() as conn:
        current = conn.execute(text("SELECT version_num FROM alembic_version")).scalar_one()
    set_revision("9999_from_the_future")
    try:
        assert invoke(app, "backup", str(tmp_path / "future.backup")).exit_code == 0
    finally:
        set_revision(current)
    refused(app, "restore", str(tmp_path / "future.backup"), "--yes",
            says="'9999_from_the_future', which this version of the community does not know")


def test_restore_refuses_a_damaged_backup(app, community, tmp_path):
    path = tmp_path / "whole.backup"
    assert invoke(app, "backup", str(path)).exit_code == 0
    data = path.read_bytes()
    damaged = tmp_path / "damaged.backup"
    damaged.write_bytes(data[:len(data) // 2])
    sqlite = db.engine.dialect.name == "sqlite"
    refused(app, "restore", str(damaged), "--yes",
            says="malformed" if sqlite else "could not read from input file")


def test_restore_refuses_a_database_that_is_not_the_communitys(app, community, tmp_path):
    path = tmp_path / "stranger.backup"
    if db.engine.dialect.name == "sqlite":
        conn = sqlite3.connect(path)
        conn.execute("CREATE TABLE recipe (name TEXT)")
        conn.commit()
        conn.close()
    else:  # an archive of one table: no alembic_version in it
        _Server.of(db.engine.url.render_as_string(hide_password=False)).run(
            "pg_dump", "--format=custom", "--table=public.forum", f"--file={path}")
    refused(app, "restore", str(path), "--yes", says="It has no schema version")


def test_restore_asks_before_replacing_the_database(app, community, tmp_path):
    path = tmp_path / "community.backup"
    assert invoke(app, "backup", str(path)).exit_code == 0
    refused(app, "restore", str(path), input="n\n", says="Replace the database")
    refused(app, "restore", str(path), input="", says="Aborted")
    assert invoke(app, "restore", str(path), input="y\n").exit_code == 0


def test_restore_refuses_while_something_else_uses_the_database(app, community, tmp_path):
    path = tmp_path / "community.backup"
    assert invoke(app, "backup", str(path)).exit_code == 0
    server = make_engine(db.engine.url.render_as_string(hide_password=False))
    try:
        with server.connect() as conn:  # a running server's pooled connection
            conn.execute(select(func.count()).select_from(User)).scalar_one()
            conn.commit()
            refused(app, "restore", str(path), "--yes", says="is in use: stop the server")
    finally:
        server.dispose()


def test_backup_will_not_overwrite_unless_forced(app, community, tmp_path):
    path = tmp_path / "community.backup"
    path.write_text("last week's backup")
    refused(app, "backup", str(path), says="exists already (use --force")
    assert path.read_text() == "last week's backup"
    forced = invoke(app, "backup", str(path), "--force")
    assert forced.exit_code == 0, forced.output
    assert path.read_bytes() != b"last week's backup"
    refused(app, "backup", str(tmp_path / "no" / "such" / "dir.backup"), says="no directory")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["community.backup"]  # no leftovers


# --- PostgreSQL connections ----------------------------------------------------------------

def test_postgresql_tools_get_a_libpq_uri_and_the_password_apart():
    server = _Server.of("postgresql+psycopg://ops:p%40ss%20word@db.internal:5433/shop"
                        "?sslmode=require")
    assert server.uri == "postgresql://ops@db.internal:5433/shop?sslmode=require"
    assert server.env["PGPASSWORD"] == "p@ss word"


def test_without_the_postgresql_tools_the_error_says_so(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(backup.BackupError) as refusal:
        backup.backup("postgresql+psycopg://ops:s3cret@127.0.0.1:1/shop", tmp_path / "b")
    assert "pg_dump is not on PATH" in str(refusal.value)
    assert "s3cret" not in str(refusal.value)
    assert list(tmp_path.iterdir()) == []
