"""The import contracts (pyproject.toml [tool.importlinter], run by `make check`) name modules one by
one where import-linter has no pattern for them; these tests fail when a new module slips past them."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]


def contract(contract_id: str) -> dict[str, Any]:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    contracts = config["tool"]["importlinter"]["contracts"]
    return next(c for c in contracts if c["id"] == contract_id)


def test_every_router_module_is_protected() -> None:
    """A router (`router.py`, or `<something>_router.py` beside a domain's main one) is included by
    service.app and imported by nothing else; the contract lists the `_router` modules by name."""
    protected = set(contract("routers-only-from-app")["protected_modules"])
    assert "service.*.router" in protected
    # every router module but a domain's own router.py, which the wildcard covers (a sub-package's
    # router, such as the dashboard's in reports, is named too)
    routers = {
        ".".join(path.relative_to(ROOT).with_suffix("").parts)
        for path in (ROOT / "service").rglob("*router.py")
        if path.name.endswith("_router.py") or len(path.relative_to(ROOT / "service").parts) > 2
    }
    assert routers, "the service has routers besides the domains' router.py"
    assert routers <= protected, f"not protected: {sorted(routers - protected)}"


def test_every_domain_is_independent_and_layered() -> None:
    """Each package in service/ but the plumbing (http, core), the top (cli) and the demo loader is a
    domain: it is in the independence contract, so its imports of other domains are listed."""
    domains = set(contract("domains-independent")["modules"])
    packages = {
        f"service.{path.parent.name}"
        for path in (ROOT / "service").glob("*/__init__.py")
        if path.parent.name not in {"http", "core", "cli", "demo"}
    }
    assert packages == domains
