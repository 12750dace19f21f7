"""Where a page may send the browser next: only to a path of this site."""

from urllib.parse import urlsplit

_DROPPED = str.maketrans("", "", "\t\r\n")  # browsers delete these anywhere in a URL


def local_path(target: object) -> str | None:
    """`target` if it is a path on this site, read the way a browser reads it; else None.

    "/\\t/evil.example" is "//evil.example" to a browser, another site: checking the raw
    string is not enough, so the check runs on what the browser would see.
    """
    if not isinstance(target, str):
        return None
    seen = target.translate(_DROPPED).strip("".join(map(chr, range(0x21))))
    if not seen.startswith("/") or seen.startswith("//") or "\\" in seen:
        return None
    if any(ord(c) < 0x20 or ord(c) == 0x7F for c in seen):
        return None
    parts = urlsplit(seen)
    return seen if not parts.scheme and not parts.netloc else None
