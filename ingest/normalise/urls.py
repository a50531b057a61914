"""Whether a catalog url is a link clients may render: absolute http(s), no control characters."""

from __future__ import annotations

import unicodedata
from urllib.parse import urlsplit

WEB_SCHEMES = ("http", "https")
MAX_URL_LENGTH = 2048


def web_url_problem(url: str) -> str | None:
    """Why `url` is not an absolute http(s) link that clients may render, or None when it is one.

    Clients (the LMS, the report pages) render an item's url as a link: a `javascript:` or `data:` url
    from a third-party catalog file would run in their pages. Control characters are refused too:
    browsers drop tabs and line breaks, so `java\tscript:` is `javascript:` to them, and bidi
    controls make a link read as another. (A space is harmless: browsers send it as %20.)"""
    if len(url) > MAX_URL_LENGTH:
        return f"is longer than {MAX_URL_LENGTH} characters"
    if any(unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp") for ch in url):
        return "contains a control character"
    try:
        parts = urlsplit(url)
        host = parts.hostname
    except ValueError as exc:
        return f"is not a url ({exc})"
    if parts.scheme.lower() not in WEB_SCHEMES:
        scheme = f"scheme {parts.scheme + ':'!r}" if parts.scheme else "no scheme"
        return f"has {scheme}: only http and https urls are accepted"
    if not host:
        return "has no host"
    return None
