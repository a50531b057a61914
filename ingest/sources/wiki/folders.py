"""Finding wiki pages on disk: the files of a folder, links that lead out of it, and the text members
of a zip unpacked with caps (bombs, traversal names and links refused)."""

from __future__ import annotations

import os
import re
import stat
import zipfile
from collections import Counter
from collections.abc import Iterator
from pathlib import Path, PurePosixPath

from ingest.records import SourceError

MAX_ZIP_MEMBERS = 50_000
MAX_ZIP_BYTES = 512 * 1024 * 1024  # total uncompressed size a zip may declare or expand to
MARKDOWN_SUFFIXES = (".md", ".markdown")
HTML_SUFFIXES = (".html", ".htm")


LINK_OUT = "a symbolic link to a file outside the wiki folder: not read"


def leaves(path: Path, root: Path) -> bool:
    """Whether `path` is a symbolic link that leads out of `root` (a page there is never read: a
    link to /etc/passwd or to another team's files would otherwise land in the catalog)."""
    return path.is_symlink() and not path.resolve().is_relative_to(root.resolve())


def _visible_files(root: Path) -> Iterator[Path]:
    """Files under `root`, skipping hidden folders and files; linked folders are not entered (os.walk
    follows no links), linked files are listed and the readers refuse those leading out (`leaves`)."""
    for folder, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in sorted(files):
            if not name.startswith("."):
                yield Path(folder) / name


def markdown_files(root: Path) -> list[Path]:
    files = [p for p in _visible_files(root) if p.suffix.lower() in MARKDOWN_SUFFIXES]
    return sorted(files, key=lambda p: p.relative_to(root).as_posix())


def describe_contents(root: Path) -> str:
    """A short inventory for the error message, so the user sees what the tool saw."""
    counts = Counter(p.suffix.lower() or "(no suffix)" for p in _visible_files(root))
    if not counts:
        return "an empty folder"
    listed = ", ".join(f"{n} {suffix}" for suffix, n in counts.most_common(6))
    return f"{sum(counts.values())} files ({listed})"


def _safe_member_name(name: str) -> PurePosixPath | None:
    """The member's relative path, or None when it is absolute or climbs out of the target folder."""
    normal = name.replace("\\", "/")
    if normal.startswith("/") or re.match(r"^[A-Za-z]:", normal) or "\x00" in normal:
        return None
    parts = [part for part in normal.split("/") if part not in ("", ".")]
    if any(part == ".." for part in parts):
        return None
    return PurePosixPath(*parts) if parts else PurePosixPath(".")


def extract_text_members(archive: zipfile.ZipFile, label: Path, target: Path) -> None:
    """Write the .html/.md members below `target`, refusing bombs, traversal names and links."""
    members = archive.infolist()
    if len(members) > MAX_ZIP_MEMBERS:
        raise SourceError(label, f"the zip has {len(members)} members; at most {MAX_ZIP_MEMBERS} are read")
    declared = sum(info.file_size for info in members)
    if declared > MAX_ZIP_BYTES:
        raise SourceError(label, f"the zip expands to {declared} bytes; at most {MAX_ZIP_BYTES} are read")
    safe: list[tuple[zipfile.ZipInfo, PurePosixPath]] = []
    for info in members:
        rel = _safe_member_name(info.filename)
        if rel is None:
            raise SourceError(label, f"refused zip member {info.filename!r}: its path leaves the export")
        if stat.S_ISLNK(info.external_attr >> 16):
            raise SourceError(label, f"refused zip member {info.filename!r}: symbolic links are not read")
        safe.append((info, rel))
    written = 0
    for info, rel in safe:
        if info.is_dir() or rel.suffix.lower() not in HTML_SUFFIXES + MARKDOWN_SUFFIXES:
            continue
        if any(part.startswith(".") for part in rel.parts):
            continue
        destination = target.joinpath(*rel.parts)
        destination.parent.mkdir(parents=True, exist_ok=True)
        try:
            with archive.open(info) as source, destination.open("wb") as sink:
                while chunk := source.read(1 << 16):
                    written += len(chunk)
                    if written > MAX_ZIP_BYTES:
                        raise SourceError(label, f"the zip expands beyond {MAX_ZIP_BYTES} bytes; refused")
                    sink.write(chunk)
        except (zipfile.BadZipFile, RuntimeError, OSError, EOFError, ValueError) as exc:
            raise SourceError(label, f"cannot read zip member {info.filename!r}: {exc}") from exc
