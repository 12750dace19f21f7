"""Markdown rendering: what must never get through, and what must come out right."""

import html
import re
import threading
from html.parser import HTMLParser

import pytest

from community.text import MAX_BODY, Rendered, plain_text, quote_reference, render

ALLOWED_TAGS = {
    "p", "br", "hr", "h1", "h2", "h3", "h4", "h5", "h6", "strong", "em", "del", "s",
    "code", "pre", "blockquote", "ul", "ol", "li", "a", "img",
    "table", "thead", "tbody", "tr", "th", "td",
}
FORBIDDEN = ("<script", "<iframe", "<svg", "<math", "<style", "<object", "<embed", "<form",
             "<input", "<div", "<textarea", "<base", "<meta", "<link")


class _Elements(HTMLParser):
    """Every start tag with its (already unescaped) attributes."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.found = []

    def handle_starttag(self, tag, attrs):
        self.found.append((tag, attrs))

    handle_startendtag = handle_starttag


def elements(markup):
    parser = _Elements()
    parser.feed(markup)
    parser.close()
    return parser.found


def assert_safe(markup):
    """No forbidden tag, no handler or style attribute, no script-bearing URL."""
    lowered = markup.lower()
    for tag in FORBIDDEN:
        assert tag not in lowered, markup
    # Attribute values are always double-quoted in the output; look outside them.
    assert not re.search(r"<[^>]*\son[a-z]+\s*=", re.sub(r'"[^"]*"', '""', lowered)), markup
    for tag, attrs in elements(markup):
        assert tag in ALLOWED_TAGS, markup
        for name, value in attrs:
            assert not name.startswith("on") and name != "style", markup
            if name in ("href", "src"):
                bare = re.sub(r"[\s\x00-\x20\x7f-\xa0]+", "", html.unescape(value or "")).lower()
                assert not bare.startswith(("javascript:", "data:", "vbscript:")), markup


def hrefs(markup, tag="a", attr="href"):
    return [dict(attrs).get(attr) for name, attrs in elements(markup) if name == tag]


def resolver(*known):
    """A resolve_mentions stand-in for users `known` (canonical spelling)."""
    canonical = {name.lower(): name for name in known}
    calls = []

    def resolve(candidates):
        candidates = list(candidates)
        calls.append(candidates)
        return {c: canonical[c.lower()] for c in candidates if c.lower() in canonical}

    resolve.calls = calls
    return resolve


# --- what must never get through --------------------------------------------------------

XSS = [
    "<script>alert(1)</script>",
    "<SCRIPT SRC=//evil.example/x.js></SCRIPT>",
    "<img src=x onerror=alert(1)>",
    "<img src=\"javascript:alert(1)\">",
    "<a href=\"javascript:alert(1)\">x</a>",
    "<a href=\"https://ok.example\" onclick=\"alert(1)\">x</a>",
    "<iframe src=\"https://evil.example\"></iframe>",
    "<svg onload=alert(1)>",
    "<svg><script>alert(1)</script></svg>",
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
    "<style>body{display:none}</style>",
    "<div style=\"background:url(javascript:alert(1))\">x</div>",
    "<p style=\"color:red\">x</p>",
    "<object data=\"x.swf\"></object>",
    "<embed src=\"x.swf\">",
    "<form action=\"https://evil.example\"><input autofocus onfocus=alert(1)></form>",
    "<!-- comment --><base href=\"https://evil.example\">",
    "x <b onmouseover=alert(1)>bold</b>",
    "[x](javascript:alert(1))",
    "[x](JaVaScRiPt:alert(1))",
    "[x](java&#x09;script:alert(1))",
    "[x](java&#x0A;script:alert(1))",
    "[x](&#106;avascript:alert(1))",
    "[x](&#x6A;&#x61;&#x76;&#x61;&#x73;&#x63;&#x72;&#x69;&#x70;&#x74;&#x3A;alert(1))",
    "[x](javascript&colon;alert(1))",
    "[x](%6Aavascript:alert(1))",
    "[x]( javascript:alert(1) )",
    "[x](<javascript:alert(1)>)",
    "[x](vbscript:msgbox(1))",
    "[x](data:text/html,<script>alert(1)</script>)",
    "[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "![x](javascript:alert(1))",
    "![x](data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+)",
    "![x](data:image/png;base64,iVBORw0KGgo=)",
    "![x](vbscript:msgbox(1))",
    "![x](mailto:a@example.com)",
    "<javascript:alert(1)>",
    "<JAVASCRIPT:alert(1)>",
    "<data:text/html,<script>alert(1)</script>>",
    "<vbscript:msgbox(1)>",
    "[x][r]\n\n[r]: javascript:alert(1)",
    "[x][r]\n\n[r]: data:text/html,x \"title\"",
    "![x][r]\n\n[r]: javascript:alert(1)",
    "javascript:alert(1) and www.example.com/javascript:alert(1)",
    "see javascript://example.com/%0Aalert(1)",
    "[x](https://ok.example \"\\\"><img src=x onerror=alert(1)>\")",
    "[x](https://ok.example '\" onmouseover=\"alert(1)')",
    "![\"><img src=x onerror=alert(1)>](https://ok.example/i.png)",
    "![x](https://ok.example/i.png \"\\\" onerror=\\\"alert(1)\")",
    "```\" onmouseover=alert(1) x=\"\ncode\n```",
    "```\n<script>alert(1)</script>\n```",
    "`<img src=x onerror=alert(1)>`",
    "> <script>alert(1)</script>",
    "| <script>x</script> | b |\n|---|---|\n"
    "| <img src=x onerror=alert(1)> | [x](javascript:alert(1)) |",
    "[quote=x\" onclick=\"alert(1) post=1]\nhi\n[/quote]",
    "[quote=<script>alert(1)</script> post=1]\nhi\n[/quote]",
    "[quote=alice post=1 onclick=alert(1)]\nhi\n[/quote]",
    "[quote=alice post=javascript:alert(1)]\nhi\n[/quote]",
    "[quote=alice post=1]\n<script>alert(1)</script>\n[x](javascript:alert(1))\n[/quote]",
    "@<script>alert(1)</script> @bob<img src=x onerror=alert(1)>",
]


@pytest.mark.parametrize("source", XSS)
def test_dangerous_markup_never_survives(source):
    assert_safe(render(source, resolve_mentions=resolver("bob")).html)


def test_raw_html_is_shown_as_text_not_dropped():
    out = render("a <b>bold</b> & <script>x</script>").html
    assert "&lt;b&gt;bold&lt;/b&gt; &amp; &lt;script&gt;" in out


def test_hostile_callbacks_and_canonical_names_are_still_cleaned():
    out = render(
        "@bob\n\n[quote=alice post=1]\nhi\n[/quote]",
        resolve_mentions=lambda names: {"bob": "\"><script>alert(1)</script>"},
        user_url=lambda user: "javascript:alert(1)",
        post_url=lambda pid: "data:text/html,x",
    ).html
    assert_safe(out)
    assert "&lt;script&gt;" in out


# --- markdown that must come out right ----------------------------------------------------

def test_fenced_code_keeps_its_language_and_escapes_content():
    source = "```python\nif a < b:\n    print('@bob')\n```"
    out = render(source, resolve_mentions=resolver("bob")).html
    assert '<pre><code class="language-python">' in out
    assert "if a &lt; b:" in out and 'class="mention"' not in out


def test_lists_keep_their_start_number():
    out = render("- one\n- two\n\n3. three\n4. four").html
    assert "<ul>\n<li>one</li>" in out
    assert '<ol start="3">' in out


def test_tables_align_without_style():
    out = render("| a | b | c |\n|:--|:-:|--:|\n| 1 | 2 | 3 |").html
    assert '<th align="left">a</th>' in out
    assert '<td align="center">2</td>' in out and '<td align="right">3</td>' in out
    assert "style" not in out


def test_blockquotes_emphasis_strikethrough_headings_rules():
    out = render("# Title\n\n> **bold** *it* ~~gone~~\n\n---").html
    assert "<h1>Title</h1>" in out
    assert "<blockquote>\n<p><strong>bold</strong> <em>it</em> <s>gone</s></p>" in out
    assert "<hr>" in out or "<hr/>" in out or "<hr />" in out


def test_links_get_rel_and_keep_title():
    out = render('[site](https://example.com "The site") and https://linkified.example/x').html
    assert elements(out)[1] == ("a", [("href", "https://example.com"), ("title", "The site"),
                                      ("rel", "nofollow ugc noopener")])
    assert hrefs(out) == ["https://example.com", "https://linkified.example/x"]
    assert out.count('rel="nofollow ugc noopener"') == 2
    assert "target" not in out


def test_relative_anchor_and_mailto_links_are_kept():
    out = render("[p](/p/1) [a](#top) [m](mailto:a@example.com) <https://auto.example>").html
    assert hrefs(out) == ["/p/1", "#top", "mailto:a@example.com", "https://auto.example"]


def test_images_keep_https_and_relative_sources():
    out = render('![a cat](https://img.example/cat.png "Cat") ![rel](/static/x.png)').html
    assert hrefs(out, "img", "src") == ["https://img.example/cat.png", "/static/x.png"]
    assert 'alt="a cat"' in out and 'title="Cat"' in out


def test_unicode_is_preserved_exactly():
    text = "👩‍👩‍👧‍👦 שלום עולם مرحبا e\u0301 n\u0303 🇫🇷 ☃️ 日本語"
    out = render(text).html
    assert out == f"<p>{text}</p>\n"
    assert plain_text(text) == text


def test_empty_and_blank_input():
    assert render("") == Rendered(html="", mentions=(), quoted_post_ids=())
    assert render("   \n\n ").html == ""
    assert plain_text("") == ""


# --- mentions ---------------------------------------------------------------------------

def test_only_resolved_mentions_are_linked():
    resolve = resolver("Bob", "alice_1")
    result = render("hi @bob, @ALICE_1 and @nobody", resolve_mentions=resolve)
    assert result.mentions == ("Bob", "alice_1")
    assert '<a class="mention" href="/u/Bob">@Bob</a>' in result.html
    assert '<a class="mention" href="/u/alice_1">@alice_1</a>' in result.html
    assert "@nobody" in result.html and "/u/nobody" not in result.html
    assert resolve.calls == [["bob", "alice_1", "nobody"]]


def test_mentions_are_deduplicated_in_order_of_first_appearance():
    source = "@carol @bob\n\n- @Carol again\n- @bob"
    result = render(source, resolve_mentions=resolver("bob", "carol"))
    assert result.mentions == ("carol", "bob")
    assert result.html.count('class="mention"') == 4


def test_no_resolver_links_nothing():
    result = render("hi @bob")
    assert result.mentions == () and "mention" not in result.html


def test_resolver_not_called_without_candidates():
    resolve = resolver("bob")
    render("no names here, `@bob` in code", resolve_mentions=resolve)
    assert resolve.calls == []


@pytest.mark.parametrize("source, expected", [
    ("thanks @bob.", ("bob",)),
    ("thanks @bob...", ("bob",)),
    ("ping @bob-", ("bob",)),
    ("(@bob)", ("bob",)),
    ("**@bob**", ("bob",)),
    ("@bob.smith is here", ("bob.smith",)),
    ("me@example.com", ()),
    ("bob@bob.example", ()),
    ("a.@bob", ()),
    ("@@bob", ()),
    ("`@bob`", ()),
    ("    @bob", ()),
    ("```\n@bob\n```", ()),
    ("[@bob](https://x.example)", ()),
    ("[see @bob here](https://x.example)", ()),
    ("![@bob](https://x.example/i.png)", ()),
    ("@ab", ()),
    ("@" + "b" * 31, ()),
])
def test_mention_boundaries(source, expected):
    resolve = resolver("bob", "bob.smith", "ab", "b" * 31)
    assert render(source, resolve_mentions=resolve).mentions == expected


def test_mentions_inside_quotes_stay_text():
    source = "[quote=alice post=4]\nhey @bob\n[/quote]\n\n@carol"
    result = render(source, resolve_mentions=resolver("bob", "carol"))
    assert result.mentions == ("carol",)
    assert "hey @bob" in result.html


# --- quotes -----------------------------------------------------------------------------

def test_quote_renders_with_source_link():
    result = render("[quote=alice post=123]\nquoted **text**\n\nsecond\n[/quote]\n\nmy reply")
    assert result.quoted_post_ids == (123,)
    assert result.html.startswith(
        '<blockquote class="quote">\n'
        '<p class="quote-source"><a href="/p/123">alice wrote:</a></p>\n'
        "<p>quoted <strong>text</strong></p>\n<p>second</p>\n</blockquote>\n<p>my reply</p>"
    )


def test_quote_uses_post_url_and_dedupes_ids():
    result = render(
        "[quote=a.b-c post=7]\nx\n[/quote]\n"
        "[quote=bob post=9]\ny\n[/quote]\n"
        "[quote=a.b-c post=7]\nz\n[/quote]",
        post_url=lambda pid: f"/t/1#post-{pid}",
    )
    assert result.quoted_post_ids == (7, 9)
    assert hrefs(result.html) == ["/t/1#post-7", "/t/1#post-9", "/t/1#post-7"]
    assert "rel=" not in result.html


def test_quote_can_interrupt_a_paragraph_and_nest():
    result = render(
        "intro\n[quote=alice post=1]\nouter\n[quote=bob post=2]\ninner\n[/quote]\n[/quote]"
    )
    assert result.quoted_post_ids == (1, 2)
    assert result.html.count('<blockquote class="quote">') == 2
    assert "<p>intro</p>" in result.html


@pytest.mark.parametrize("source", [
    "[quote=alice post=1]\nnever closed",
    "[quote=alice post=abc]\nx\n[/quote]",
    "[quote=alice post=-1]\nx\n[/quote]",
    "[quote=al post=1]\nx\n[/quote]",
    "[quote=al<ice post=1]\nx\n[/quote]",
    "[quote=alice]\nx\n[/quote]",
    "text [quote=alice post=1] inline\nx\n[/quote]",
    "    [quote=alice post=1]\n    x\n    [/quote]",
    "```\n[quote=alice post=1]\nx\n[/quote]\n```",
])
def test_malformed_quotes_stay_literal(source):
    result = render(source)
    assert result.quoted_post_ids == ()
    assert 'class="quote"' not in result.html
    assert "[quote=" in result.html
    assert_safe(result.html)


def test_quote_reference_round_trip():
    body = "Restart the **router**, then:\n\n1. unplug\n2. wait"
    source = quote_reference("alice", 42, body) + "That worked, thanks!"
    result = render(source)
    assert result.quoted_post_ids == (42,)
    assert '<a href="/p/42">alice wrote:</a>' in result.html
    assert "Restart the <strong>router</strong>" in result.html and "<li>wait</li>" in result.html
    assert "<p>That worked, thanks!</p>" in result.html


def test_quote_reference_strips_nested_quotes():
    body = ("[quote=bob post=1]\nbob said\n[quote=carol post=0]\ncarol said\n[/quote]\n[/quote]"
            "\n\nmy own words")
    reference = quote_reference("alice", 2, body)
    assert reference == "[quote=alice post=2]\nmy own words\n[/quote]\n\n"
    assert render(reference).quoted_post_ids == (2,)


def test_quote_reference_escapes_stray_markers():
    reference = quote_reference("alice", 3, "a\n[/quote]\nb\n[quote=bob post=1]\nc")
    result = render(reference + "after")
    assert result.quoted_post_ids == (3,)
    inside, _, after = result.html.partition("</blockquote>")
    assert "[/quote]" in inside and "[quote=bob post=1]" in inside
    assert "<p>after</p>" in after


def test_quote_reference_truncates_at_a_boundary():
    body = "\n\n".join(f"Paragraph {n} " + "word " * 40 for n in range(20))
    reference = quote_reference("alice", 5, body)
    quoted = reference.removeprefix("[quote=alice post=5]\n").removesuffix("\n[/quote]\n\n")
    assert 500 <= len(quoted) <= 1_000
    assert quoted.endswith("word…") and body.startswith(quoted[:-1])


def test_quote_reference_closes_a_fence_it_cut():
    body = "look:\n\n```\n" + "x = 1\n" * 400 + "```\n\nend"
    reference = quote_reference("alice", 6, body)
    result = render(reference + "reply")
    assert result.quoted_post_ids == (6,)
    assert "<p>…</p>\n</blockquote>\n<p>reply</p>" in result.html


def test_quote_reference_with_unusable_username_falls_back_to_blockquote():
    reference = quote_reference("bad name<", 1, "hello\n\nworld")
    assert reference == "> hello\n>\n> world\n\n"
    result = render(reference)
    assert result.quoted_post_ids == () and "<blockquote>" in result.html


# --- plain text -------------------------------------------------------------------------

def test_plain_text_strips_markup_and_decodes_entities():
    source = ("# Title\n\nSome **bold** and [a link](https://x.example) &amp; `code`.\n\n"
              "- one\n- two\n\n![img](https://x.example/i.png)\n\n<b>raw</b>")
    assert plain_text(source) == "Title Some bold and a link & code. one two <b>raw</b>"


def test_plain_text_leaves_out_quotes():
    assert plain_text("[quote=alice post=1]\ntheir words\n[/quote]\n\nmy words") == "my words"


def test_plain_text_truncates_at_a_word_with_an_ellipsis():
    text = plain_text("The quick brown fox jumps over the lazy dog", limit=20)
    assert text == "The quick brown fox…"
    assert len(text) <= 20
    assert plain_text("short", limit=20) == "short"
    assert plain_text("exactly ten", limit=11) == "exactly ten"


def test_plain_text_does_not_split_a_character_from_its_marks():
    text = plain_text("e\u0301" * 30, limit=10)
    assert text.endswith("…") and len(text) <= 10
    assert not text[0].startswith("\u0301") and text[-2] == "\u0301"


# --- robustness -------------------------------------------------------------------------

@pytest.mark.parametrize("source", [
    "[" * MAX_BODY,
    "![" * (MAX_BODY // 2),
    ">" * MAX_BODY,
    "> " * (MAX_BODY // 2),
    "*a" * (MAX_BODY // 2),
    "- " * (MAX_BODY // 2),
    "[quote=alice post=1]\n" * (MAX_BODY // 21),
    "[/quote]\n" * (MAX_BODY // 9),
    "@bob " * (MAX_BODY // 5),
    "<a" * (MAX_BODY // 2),
    "|a" * (MAX_BODY // 4) + "\n|-|\n" + "|a\n" * 1000,
])
def test_pathological_input_renders_safely(source):
    # How long these take is measured by bench/render_bench.py, not asserted here.
    assert_safe(render(source, resolve_mentions=resolver("bob")).html)
    assert len(plain_text(source, 200)) <= 200


def test_deeply_nested_quotes_are_bounded():
    source = "[quote=alice post=1]\n" * 100 + "deep" + "\n[/quote]" * 100
    result = render(source)
    assert_safe(result.html)
    assert result.html.count('<blockquote class="quote">') <= 20


def test_render_is_safe_across_threads():
    source = "see https://a.example and www.b.example @bob\n\n| a |\n|---|\n| 1 |"
    expected = render(source, resolve_mentions=resolver("bob")).html
    results = []

    def work():
        results.extend(render(source, resolve_mentions=resolver("bob")).html for _ in range(50))

    threads = [threading.Thread(target=work) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == [expected] * 200
