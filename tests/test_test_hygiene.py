"""Rules of the test suite itself: what tests share lives in tests/support (helpers) and conftest.py
(fixtures), so no test module imports another, and a helper is never hidden among the tests."""

from __future__ import annotations

import ast
from pathlib import Path

TESTS = Path(__file__).resolve().parent
SUPPORT = TESTS / "support"


def _python_files() -> list[Path]:
    return sorted(path for path in TESTS.rglob("*.py") if "__pycache__" not in path.parts)


def _imported_modules(path: Path) -> list[tuple[int, str]]:
    """(line, module) of every import in the file, `from tests.x import y` also as tests.x.y."""
    found: list[tuple[int, str]] = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            found.extend((node.lineno, alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append((node.lineno, node.module))
            found.extend((node.lineno, f"{node.module}.{alias.name}") for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            found.append((node.lineno, "." * node.level + (node.module or "")))
    return found


def _outside_support(module: str) -> bool:
    if module.startswith("."):
        return True  # relative imports hide what they reach; the suite names tests.support in full
    return (module == "tests" or module.startswith("tests.")) and not (
        module == "tests.support" or module.startswith("tests.support.")
    )


def test_tests_import_only_the_support_package_of_the_suite() -> None:
    offending = [
        f"{path.relative_to(TESTS.parent)}:{line} imports {module}"
        for path in _python_files()
        for line, module in _imported_modules(path)
        if _outside_support(module)
    ]
    # Checked on a module that does what the rule forbids, so the check is known to see it.
    assert _outside_support("tests.ingest.test_pipeline") and _outside_support("tests.conftest")
    assert not _outside_support("tests.support.catalogs")
    assert offending == [], "move what tests share to tests/support or a conftest.py fixture:\n" + "\n".join(
        offending
    )


def test_helper_modules_live_in_the_support_package() -> None:
    helpers = [
        str(path.relative_to(TESTS.parent))
        for path in _python_files()
        if SUPPORT not in path.parents
        and path.name not in ("conftest.py", "__init__.py")
        and not path.name.startswith("test_")
    ]
    assert helpers == [], f"helpers belong in tests/support: {helpers}"
