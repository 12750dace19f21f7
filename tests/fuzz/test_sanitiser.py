"""The Markdown renderer never lets dangerous markup through, whatever it is given.

The output is parsed with the standard library's HTML parser and held to an allowlist
written here, independently of the one in community/text.py.
"""

import re
from html.parser import HTMLParser

from hypothesis import given, settings
from hypothesis import strategies as st

from community import text

from .conftest import PROFILE, examples

ALLOWED = {
    "p": {"class"}, "br": set(), "hr": set(), "strong": set(), "em": set(), "del": set(),
    "s": set(), "code": {"class"}, "pre": set(), "blockquote": {"class"}, "ul": set(),
    "ol": {"start"}, "li": set(), "a": {"href", "title", "rel", "class"},
    "img": {"src", "alt", "title"}, "table": set(), "thead": set(), "tbody": set(),
    "tr": set(), "th": {"align"}, "td": {"align"},
    **{f"h{n}": set() for n in range(1, 7)},
}
URL_SCHEMES = {"a": {"href": {"http", "https", "mailto"}}, "img": {"src": {"http", "https"}}}
# What a browser does before reading a URL's scheme (WHATWG URL parsing): C0 controls and
# spaces trimmed from both ends, tabs and newlines removed everywhere.
URL_TRIM = "".join(map(chr, range(0x21)))
SCHEME = re.compile(r"([a-zA-Z][a-zA-Z0-9+.\-]*):")
# The renderer's own cleaner, for the second pass.
CLEANER = text._make_cleaner()

# --- hostile input ------------------------------------------------------------------------

TAGS = ["script", "iframe", "svg", "math", "style", "img", "a", "object", "embed", "form",
        "input", "div", "p", "b", "base", "meta", "link", "textarea", "template", "noscript",
        "xmp", "title", "video", "source", "details", "button", "SCRIPT", "ScRiPt", "mglyph"]
ATTRIBUTES = ["onerror", "onclick", "onload", "ONMOUSEOVER", "onfocus", "style", "href",
              "src", "srcdoc", "formaction", "xlink:href", "data", "action", "background",
              "poster", "class", "id", "title", "align", "start", "rel", "alt"]
SCHEMES = ["javascript:", "JaVaScRiPt:", "vbscript:", "data:", "data:text/html;base64,",
           "data:image/svg+xml,", "java\tscript:", "java\nscript:", "\x00javascript:",
           " javascript:", "java&#x09;script:", "&#106;avascript:", "&#x6A;avascript:",
           "javascript&colon;", "javascript&#58;", "%6Aavascript:", "jav&#x0A;ascript:",
           "java\u200bscript:", "\u00adjavascript:", "http:", "https:", "mailto:", "//",
           "/", "#", ""]
PAYLOADS = ["alert(1)", "//evil.example/x.js", "<script>alert(1)</script>", "x",
            "PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==", "\"onmouseover=\"alert(1)", "'", "\\"]

urls = st.builds(lambda scheme, payload: scheme + payload,
                 st.sampled_from(SCHEMES), st.sampled_from(PAYLOADS))
quoting = st.sampled_from(['"{}"', "'{}'", "{}", "`{}`", '"{}'])
attribute = st.builds(lambda name, quote, value: f" {name}={quote.format(value)}",
                      st.sampled_from(ATTRIBUTES), quoting, urls | st.sampled_from(PAYLOADS))
html_tag = st.builds(
    lambda tag, attrs, inner, close: f"<{tag}{''.join(attrs)}>{inner}" + (f"</{tag}>" * close),
    st.sampled_from(TAGS), st.lists(attribute, max_size=3),
    st.sampled_from(["", "x", "alert(1)", "<b>x</b>"]), st.booleans())
markdown = st.one_of(
    st.builds("[{}]({})".format, st.sampled_from(["x", "<b>x</b>", ""]), urls),
    st.builds("![{}]({})".format, st.sampled_from(["x", '"><img src=x onerror=alert(1)>']), urls),
    st.builds('[x]({} "{}")'.format, urls, st.sampled_from(PAYLOADS)),
    st.builds("<{}>".format, urls),
    st.builds("[x][r]\n\n[r]: {}".format, urls),
    st.builds("```{}\n{}\n```".format, st.sampled_from(["", "js", '" onclick="x']),
              st.sampled_from(PAYLOADS)),
    st.builds("[quote={} post={}]\n{}\n[/quote]".format,
              st.sampled_from(["alice", 'x" onclick="alert(1)', "<script>"]),
              st.sampled_from(["1", "javascript:alert(1)", "99999999999999999999"]),
              st.sampled_from(PAYLOADS)),
    st.builds("> {}".format, st.sampled_from(PAYLOADS)),
    st.builds("| {} | b |\n|:-|-:|\n| {} | c |".format, st.sampled_from(PAYLOADS), urls),
    st.builds("@{}".format, st.sampled_from(["bob", "bob<img src=x onerror=alert(1)>"])),
    st.sampled_from(["<!-- x -->", "<![CDATA[x]]>", "&lt;script&gt;", "&#60;script&#62;",
                     "&amp;lt;", "\\<script>", "*", "_", "**", "`", "\n", "\n\n", "    ", "1. ",
                     "- ", "---", "# "]),
)
hostile = st.lists(st.one_of(html_tag, markdown, st.text(max_size=20)), max_size=10) \
    .flatmap(lambda parts: st.sampled_from(["", "\n", " "]).map(lambda sep: sep.join(parts)))


# --- checking the output ------------------------------------------------------------------

class _Audit(HTMLParser):
    """Every problem with a piece of HTML, as readable strings."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag not in ALLOWED:
            self.problems.append(f"tag <{tag}>")
            return
        for name, value in attrs:
            if name not in ALLOWED[tag]:
                self.problems.append(f"attribute {name} on <{tag}>")
            schemes = URL_SCHEMES.get(tag, {}).get(name)
            if schemes is not None and _scheme(value or "") not in schemes | {None}:
                self.problems.append(f"URL {value!r} in <{tag} {name}>")

    handle_startendtag = handle_starttag

    def handle_comment(self, data):
        self.problems.append(f"comment {data!r}")

    def handle_decl(self, decl):
        self.problems.append(f"declaration {decl!r}")

    def handle_pi(self, data):
        self.problems.append(f"processing instruction {data!r}")

    def unknown_decl(self, data):
        self.problems.append(f"declaration {data!r}")


def _scheme(url: str) -> str | None:
    """The scheme a browser would read in `url` (lower-cased), or None for a relative URL."""
    url = re.sub(r"[\t\n\r]", "", url.strip(URL_TRIM))
    match = SCHEME.match(url)
    return match.group(1).lower() if match else None


def problems(html: str) -> list[str]:
    audit = _Audit()
    audit.feed(html)
    audit.close()
    return audit.problems


def hostile_resolver(names):
    """Every candidate resolves, to a canonical name that is itself an attack."""
    return {name: f'{name}"><script>alert(1)</script>' for name in names}


# --- the properties -----------------------------------------------------------------------

@settings(PROFILE, max_examples=examples(default=300, long=5000))
@given(source=hostile)
def test_output_holds_only_allowed_tags_attributes_and_urls(source):
    html = text.render(source, resolve_mentions=hostile_resolver).html
    assert problems(html) == [], html


@settings(PROFILE, max_examples=examples(default=100, long=2000))
@given(source=hostile, user_url=urls, post_url=urls)
def test_hostile_link_builders_are_cleaned_too(source, user_url, post_url):
    html = text.render(source + "\n\n@bob\n\n[quote=alice post=1]\nhi\n[/quote]",
                       resolve_mentions=hostile_resolver,
                       user_url=lambda _: user_url, post_url=lambda _: post_url).html
    assert problems(html) == [], html


@settings(PROFILE, max_examples=examples(default=200, long=3000))
@given(source=hostile | st.text())
def test_sanitising_the_output_again_changes_nothing(source):
    # Stored HTML is what pages show; a second pass finding something would mean the
    # first let it through.
    html = text.render(source, resolve_mentions=hostile_resolver).html
    assert CLEANER.clean(html) == html
