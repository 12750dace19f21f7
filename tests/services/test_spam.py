"""Each spam and low-effort rule: what it holds, and what it lets through."""

from datetime import UTC, datetime, timedelta

import pytest

from community.services import spam
from community.text import render

NOW = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)
LIMITS = spam.Limits()  # the documented defaults


def draft(body="A real answer with some detail.", *, level=0, published=10, recent=(),
          is_reply=True):
    html = render(body).html
    from community.text import plain_text

    return spam.Draft(text=plain_text(body), html=html, is_reply=is_reply, trust_level=level,
                      published_posts=published, recent=tuple(recent), now=NOW)


def ago(seconds):
    return NOW - timedelta(seconds=seconds)


LINKS3 = "See https://a.example, https://b.example and [c](https://c.example/x)."

CASES = [
    # (rule, draft, held?)
    ("new_member", draft(level=0, published=0), True),
    ("new_member", draft(level=0, published=2), True),
    ("new_member", draft(level=0, published=3), False),
    ("new_member", draft(level=1, published=0), False),
    ("too_many_links", draft("One link: https://shop.example/deal", level=0), True),
    ("too_many_links", draft("[a link](https://shop.example)", level=0), True),
    ("too_many_links", draft("No links, just words.", level=0), False),
    ("too_many_links", draft(LINKS3, level=1), False),
    ("too_many_links", draft(LINKS3 + " And https://d.example too.", level=1), True),
    ("too_many_links", draft(LINKS3 + " And https://d.example too.", level=2), False),
    # Quotes and mentions link inside the site, mail links are not spam links.
    ("too_many_links", draft("[quote=alice post=5]\nhi\n[/quote]\n\nSee [this](/p/5)", level=0),
     False),
    ("too_many_links", draft("Write to [us](mailto:help@example.com)", level=0), False),
    ("too_many_images", draft("![tent](https://img.example/tent.png)", level=0), True),
    ("too_many_images", draft("![tent](https://img.example/tent.png)", level=1), False),
    ("too_many_images", draft("No pictures here.", level=0), False),
    ("duplicate", draft("Buy cheap boots now", recent=[(ago(600), "buy  CHEAP boots now")]), True),
    ("duplicate", draft("Buy cheap boots now", recent=[(ago(3600 * 25), "Buy cheap boots now")]),
     False),
    ("duplicate", draft("Buy cheap boots now", recent=[(ago(600), "Buy cheap tents now")]), False),
    ("duplicate", draft("First post ever"), False),
    ("too_fast", draft(level=0, recent=[(ago(5), "earlier")]), True),
    ("too_fast", draft(level=0, recent=[(ago(31), "earlier")]), False),
    ("too_fast", draft(level=1, recent=[(ago(5), "earlier")]), True),
    ("too_fast", draft(level=1, recent=[(ago(11), "earlier")]), False),
    ("too_fast", draft(level=2, recent=[(ago(1), "earlier")]), False),
    ("too_fast", draft(level=0), False),
    ("low_effort", draft("+1"), True),
    ("low_effort", draft("Thanks!!"), True),
    ("low_effort", draft("thank you"), True),
    ("low_effort", draft("Good post."), True),
    ("low_effort", draft("👍👍"), True),
    ("low_effort", draft("[quote=alice post=5]\nUse wax.\n[/quote]\n\n+1"), True),
    ("low_effort", draft("Thanks, the wax worked after two coats!"), False),
    ("low_effort", draft("+1", is_reply=False), False),
    ("low_effort", draft("No."), False),
]


@pytest.mark.parametrize("rule, case, held", CASES,
                         ids=[f"{rule}-{i}" for i, (rule, _, _) in enumerate(CASES)])
def test_each_rule_holds_what_it_should_and_nothing_else(rule, case, held):
    reason = getattr(spam, rule)(case, LIMITS)
    assert (reason is not None) == held
    if held:
        assert isinstance(reason, str) and len(reason) > 10  # says why


def test_reasons_lists_every_rule_that_holds_in_order():
    case = draft("+1 ![x](https://img.example/a.png)", level=0, published=0,
                 recent=[(ago(2), "earlier")])
    found = spam.reasons(case, LIMITS)
    assert [r.split(":")[0] for r in found] == ["New member", "Images", "Posting too fast",
                                                "Low effort"]
    assert spam.reasons(draft(level=2), LIMITS) == []


def test_limits_come_from_configuration():
    config = {"TRUST_NEW_MEMBER_REVIEW_POSTS": 0, "TRUST_MAX_LINKS": [2, 2, 2, 2, 2],
              "TRUST_MAX_IMAGES": [1, 1, 1, 1, 1], "SPAM_MIN_POST_SECONDS": [0, 0, 0, 0, 0],
              "SPAM_DUPLICATE_LIMIT": 2, "SPAM_DUPLICATE_HOURS": 1, "LOW_EFFORT_ACTION": "allow"}
    limits = spam.Limits.from_config(config)
    assert spam.new_member(draft(level=0, published=0), limits) is None
    assert spam.too_many_links(draft("https://a.example https://b.example"), limits) is None
    assert spam.too_fast(draft(recent=[(ago(1), "x")]), limits) is None
    assert spam.low_effort(draft("+1"), limits) is None
    once = [(ago(60), "Same words")]
    assert spam.duplicate(draft("Same words", recent=once), limits) is None
    assert spam.duplicate(draft("Same words", recent=once * 2), limits) is not None


@pytest.mark.parametrize("word, text, found", [
    ("spam", "This is SPAM.", True),
    ("spam", "Spammer here", False),
    ("spam*", "Spammer here", True),
    ("free money", "get Free   money now", False),
    ("free money", "get free money now", True),
    ("a.b", "axb", False),
])
def test_watched_words_match_whole_words_in_any_case(word, text, found):
    watched = [spam.Watched(word, "hold")]
    assert (spam.watched_in(text, watched, "hold") is not None) == found
    assert spam.watched_in(text, watched, "block") is None


def test_replacements_keep_the_rest_of_the_text():
    words = [spam.Watched("darn", "replace", "d**n"), spam.Watched("heck", "hold")]
    assert spam.replace_watched("Darn it, darn! Darnation and heck.", words) == \
        "d**n it, d**n! Darnation and heck."
