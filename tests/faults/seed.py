"""Seed a fresh database for a fault test, in a process of its own (the test process's
`db` is bound to the suite's database):

    DATABASE_URL=... python -m tests.faults.seed MEMBERS   →  JSON on stdout
"""

import json
import os
import subprocess
import sys
from pathlib import Path

from ..factories import PASSWORD

SETTINGS = {"PASSWORD_TIME_COST": 1, "PASSWORD_MEMORY_COST": 1024, "AUTO_MODERATION": False}


def seed(members: int) -> dict:
    from community import create_app
    from community.cli import upgrade_database
    from community.extensions import db
    from community.models import ForumKind, Role
    from community.services import accounts, forums

    app = create_app(SETTINGS)
    upgrade_database(app)
    with app.app_context():
        admin = accounts.register_user("ada", "ada@example.com", PASSWORD, role=Role.ADMIN)
        talk = forums.create_forum(admin, "talk", "Talk")
        ideas = forums.create_forum(admin, "ideas", "Ideas", kind=ForumKind.IDEAS)
        thread = forums.start_thread(admin, talk, "Launch day", "Welcome, everyone")
        idea = forums.start_thread(admin, ideas, "Dark mode", "Please")
        tokens = []
        for n in range(members):
            user = accounts.register_user(f"member{n}", f"member{n}@example.com", PASSWORD)
            tokens.append(accounts.issue_token(user, "faults")[1])
        result = {"thread": thread.id, "idea": idea.id, "tokens": tokens}
        db.session.remove()
    db.engine.dispose()
    return result


def seed_database(database_url: str, instance: Path, members: int = 8) -> dict:
    """Migrate and seed `database_url` from a child process; its ids and API tokens."""
    env = os.environ | {"DATABASE_URL": database_url, "COMMUNITY_INSTANCE_PATH": str(instance)}
    run = subprocess.run([sys.executable, "-m", "tests.faults.seed", str(members)], env=env,
                         capture_output=True, text=True, timeout=120)
    if run.returncode != 0:
        raise RuntimeError(f"seeding failed:\n{run.stderr}")
    return json.loads(run.stdout.strip().splitlines()[-1])


if __name__ == "__main__":
    print(json.dumps(seed(int(sys.argv[1]))))
