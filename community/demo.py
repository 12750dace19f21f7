"""The demo brand: a sample community to explore right after `make run`."""

from .models import ForumKind, Role
from .services import accounts, feedback, forums, site, support
from .services.unit import use_case

DEMO_PASSWORD = "demo-community-2026"

BRAND = {
    "name": "Trailhead Outdoor Community",
    "tagline": "Gear questions, trip reports and ideas for what Trailhead makes next.",
    # The sample theme: forest green and ember orange, both readable with white text.
    "primary_color": "#2f5d3a",
    "accent_color": "#b45309",
    "banner": "New here? Say hello in Announcements, and tell us what to make next in Ideas.",
    "footer_links": "Trailhead store | https://example.com/store\n"
                    "Warranty | https://example.com/warranty\nRoadmap | /roadmap",
}

PEOPLE = [
    ("alex_admin", Role.ADMIN, "Alex Rivera", "Runs the Trailhead community."),
    ("sam_staff", Role.STAFF, "Sam from Trailhead", "Community manager at Trailhead. Ask me anything about our gear."),
    ("morgan_mod", Role.MODERATOR, "Morgan", "Volunteer moderator, weekend peak bagger."),
    ("riley", Role.MEMBER, "Riley Chen", "Thru-hiker. PCT 2024."),
    ("jordan", Role.MEMBER, "Jordan", "Car camping with two kids and a dog."),
    ("casey", Role.MEMBER, "Casey Okafor", "Ultralight nerd. I weigh everything."),
]

FORUMS = [
    ("announcements", "Announcements", "News from the Trailhead team.", ForumKind.DISCUSSION),
    ("gear-help", "Gear help", "Questions about your Trailhead gear, answered by the community and our team.", ForumKind.SUPPORT),
    ("ideas", "Ideas", "Tell us what to make next, and vote on what others suggest.", ForumKind.IDEAS),
    ("trip-reports", "Trip reports", "Where did you go? Share the route, the views and what worked.", ForumKind.DISCUSSION),
]

TAGS = [("tents", "Tents"), ("backpacks", "Backpacks"), ("sleeping-bags", "Sleeping bags"),
        ("stoves", "Stoves"), ("warranty", "Warranty")]

# (forum, author, title, body, tags, [(author, reply)])
THREADS = [
    ("announcements", "sam_staff", "Welcome to the Trailhead community!",
     "Hi everyone, and welcome! 👋\n\nThis is the place to:\n\n- **ask** questions about your gear in *Gear help*,\n"
     "- **suggest** what we should make next in *Ideas*,\n- and **share** your adventures in *Trip reports*.\n\n"
     "Our team reads everything. Be kind, be helpful, and have fun.", [],
     [("riley", "Great to be here! Long-time Trailhead fan."),
      ("casey", "Finally a place to talk base weight with people who get it.")]),
    ("gear-help", "jordan", "How do I re-waterproof my Ridgeline 2 tent?",
     "After three seasons the fly on my **Ridgeline 2** is soaking through in heavy rain.\n\n"
     "Is there a spray you recommend, and do I need to re-seal the seams too?", ["tents"],
     [("casey", "Clean it first with a tech wash, then use a silicone-based spray on the fly. "
                "For seams:\n\n1. Dry it fully\n2. Apply seam sealer on the *inside*\n3. Leave it 24 h"),
      ("sam_staff", "Thanks @casey, that's exactly right. The Ridgeline fly is silnylon, so use a "
                    "**silicone** sealer — PU sealers won't bond. If it still leaks, our warranty "
                    "covers seam tape for 5 years: [warranty page](https://example.com/warranty).")]),
    ("gear-help", "riley", "Hip belt on the Summit 45 keeps slipping",
     "The hip belt on my Summit 45 slowly loosens over the day. Am I threading it wrong?",
     ["backpacks"],
     [("morgan_mod", "Check that the strap goes back through the friction buckle. There's a "
                     "diagram in the manual, page 4.")]),
    ("ideas", "casey", "A 1-person version of the Ridgeline under 1 kg",
     "The Ridgeline 2 is great but heavy for solo trips. A trekking-pole 1P version under **1 kg** "
     "would be an instant buy for me.", ["tents"],
     [("riley", "+1, I'd buy this tomorrow."), ("jordan", "Would love a kid-sized one too 😄")]),
    ("ideas", "riley", "Lighter stove windscreen",
     "The aluminium windscreen is the heaviest part of my cook kit. A titanium one please!",
     ["stoves"], []),
    ("ideas", "jordan", "Bring back the orange colourway",
     "The old orange packs were easy to spot on the trail and in photos. Please bring them back!",
     ["backpacks"], []),
    ("trip-reports", "riley", "Three days on the Wonderland Trail",
     "Just back from 3 days on the Wonderland Trail around Mt. Rainier.\n\n"
     "| Day | Distance | Camp |\n|---|---|---|\n| 1 | 18 km | Devil's Dream |\n| 2 | 22 km | South Puyallup |\n"
     "| 3 | 20 km | Mowich Lake |\n\nThe Ridgeline handled a night of sideways rain without a drop inside.",
     ["tents"], [("casey", "Those views! What was your base weight?")]),
]


VOTES = {
    "A 1-person version of the Ridgeline under 1 kg": ["riley", "jordan", "morgan_mod", "sam_staff"],
    "Bring back the orange colourway": ["casey", "riley"],
    "Lighter stove windscreen": ["casey", "jordan", "morgan_mod"],
    "Three days on the Wonderland Trail": ["casey", "jordan"],
}

STATUSES = [
    ("A 1-person version of the Ridgeline under 1 kg", "planned",
     "Our design team is prototyping a trekking-pole 1P. Target: 950 g. Thanks for the votes!"),
    ("Lighter stove windscreen", "shipped",
     "The new titanium windscreen is in stores now — 40 g lighter than the old one."),
    ("Bring back the orange colourway", "under_review", "We're checking with our fabric supplier."),
]


@use_case
def seed_demo() -> bool:
    """Create the demo brand, its people and content; False if it was there already."""
    if accounts.find_user(PEOPLE[0][0]) is not None:
        return False
    users = {}
    for username, role, display_name, bio in PEOPLE:
        user = accounts.register_user(username, f"{username}@example.com", DEMO_PASSWORD, role=role,
                                      verified=True)
        accounts.update_profile(user, user, display_name, bio)
        # Established members: what they write goes out at once (docs/moderation.md).
        user.trust_level = max(user.trust_level, 2)
        users[username] = user
    admin = users["alex_admin"]
    site.update_settings(admin, **BRAND)

    by_slug = {slug: forums.create_forum(admin, slug, name, description, kind)
               for slug, name, description, kind in FORUMS}
    for slug, name in TAGS:
        forums.create_tag(users["sam_staff"], slug, name)
    threads = {}
    for forum, author, title, body, tags, replies in THREADS:
        thread = forums.start_thread(users[author], by_slug[forum], title, body, tags)
        threads[title] = thread
        posts = [forums.reply(users[who], thread, reply) for who, reply in replies]
        if thread.forum.kind == ForumKind.SUPPORT and len(posts) > 1:
            # The asker accepts the official answer and rates the help.
            support.accept_solution(thread.author, thread, posts[-1])
            support.rate_thread(thread.author, thread, 5, "Fixed it in one evening, thanks!")
    for title, voters in VOTES.items():
        for voter in voters:
            feedback.vote_thread(users[voter], threads[title], 1)
    for title, status, note in STATUSES:
        feedback.set_idea_status(users["sam_staff"], threads[title], status, note)
    return True
