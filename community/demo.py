"""The demo brand: a sample community to explore right after `make run`."""

from .models import Role
from .services import accounts, site
from .services.unit import use_case

DEMO_PASSWORD = "demo-community-2026"

BRAND = {
    "name": "Trailhead Outdoor Community",
    "tagline": "Gear questions, trip reports and ideas for what Trailhead makes next.",
}

PEOPLE = [
    ("alex_admin", Role.ADMIN),
    ("sam_staff", Role.STAFF),
    ("morgan_mod", Role.MODERATOR),
    ("riley", Role.MEMBER),
    ("jordan", Role.MEMBER),
    ("casey", Role.MEMBER),
]


@use_case
def seed_demo() -> bool:
    """Create the demo brand, its people and content; False if it was there already."""
    if accounts.find_user(PEOPLE[0][0]) is not None:
        return False
    users = {}
    for username, role in PEOPLE:
        users[username] = accounts.register_user(
            username, f"{username}@example.com", DEMO_PASSWORD, role=role
        )
    admin = users["alex_admin"]
    accounts.update_profile(admin, users["sam_staff"], "Sam from Trailhead",
                            "Community manager at Trailhead. Ask me anything about our gear.")
    site.update_settings(admin, **BRAND)
    return True
