"""ARCHITECTURE.md stays a true map: every file and folder it names exists, and every package of the
code is named in it, so a moved or new package fails here until the map says where it went."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MAP = ROOT / "ARCHITECTURE.md"
CODE = ("service", "ingest", "recommender", "models")
SECTION = re.compile(r"^#{2,3} (?:`([\w/]+)/`)?", re.MULTILINE)
NAMED = re.compile(r"`([\w./-]+(?:\.py|\.md|\.toml|/))`")


def _sections(text: str) -> list[tuple[Path, str]]:
    """The map's text cut at its `folder/` headings: names under one are relative to that folder."""
    parts: list[tuple[Path, str]] = []
    starts = [(m.start(), ROOT / (m.group(1) or "")) for m in SECTION.finditer(text)]
    bounds = [(0, ROOT), *starts]
    for (start, base), (end, _) in zip(bounds, [*bounds[1:], (len(text), ROOT)], strict=True):
        parts.append((base, text[start:end]))
    return parts


def _where(base: Path, name: str, domain: Path | None) -> list[Path]:
    return [p for p in (base / name, ROOT / name, *([domain / name] if domain else [])) if p.exists()]


def test_every_file_and_folder_the_map_names_exists() -> None:
    missing = []
    for base, text in _sections(MAP.read_text(encoding="utf-8")):
        domain: Path | None = None
        for line in text.splitlines():
            # "  - `paths/`: ... (`planning.py`)": a domain's files are named inside its bullet
            head = re.match(r"\s*(?:- )?`([\w/]+)/`", line)
            if head:
                domain = base / head.group(1)
            for name in NAMED.findall(line):
                if not _where(base, name, domain):
                    missing.append(f"{name} (under {base.relative_to(ROOT) or '.'})")
    assert not missing, f"ARCHITECTURE.md names what does not exist: {missing}"


def test_every_package_is_on_the_map() -> None:
    text = MAP.read_text(encoding="utf-8")
    packages = sorted(
        init.parent.relative_to(ROOT)
        for top in CODE
        for init in (ROOT / top).rglob("__init__.py")
        if "migrations" not in init.parts
    )
    assert packages
    # a package is placed by its path, or by any tail of it, in backticks: `wiki/`, `sources/wiki/`
    unnamed = [
        str(p) for p in packages if not any(f"`{Path(*p.parts[i:])}/`" in text for i in range(len(p.parts)))
    ]
    assert not unnamed, f"packages ARCHITECTURE.md does not place: {unnamed}"
