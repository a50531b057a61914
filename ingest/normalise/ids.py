"""Stable ASCII ids from free text and from urls."""

from __future__ import annotations

import hashlib
import re
import unicodedata

MAX_ID_LENGTH = 200


def slug(text: str, max_length: int = MAX_ID_LENGTH) -> str:
    """A stable ASCII id from free text; overlong ones keep a hash of the whole so they stay unique."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    value = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    if len(value) > max_length:
        digest = hashlib.sha256(text.encode("utf-8")).hexdigest()[:12]
        value = f"{value[: max_length - 13].rstrip('-')}-{digest}"
    return value


def url_slug(url: str) -> str:
    """A stable id from a url: host and path without scheme, 'www.', query or fragment."""
    bare = re.sub(r"^[a-z][a-z0-9+.-]*://", "", url.strip(), flags=re.IGNORECASE)
    bare = re.sub(r"^www\.", "", bare, flags=re.IGNORECASE)
    bare = re.split(r"[?#]", bare, maxsplit=1)[0].rstrip("/")
    return slug(bare)
