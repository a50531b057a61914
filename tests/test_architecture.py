"""Every read of company data goes through a tenant-filtered repository in models/ (issue #19).

The code of the product outside models/ (service/ and ingest/) builds no query and runs none: no
`session.get(<Table>, id)` (it finds a row of any tenant), no `select(...)` or other statement from
sqlalchemy, no `.execute(` / `.scalars(` / `.scalar(` on a session or connection. The repositories
in models/ take the tenant and filter by it. bench/ is left out: benchmarks seed synthetic companies
in bulk, outside the product.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CHECKED = ("service", "ingest")
STATEMENTS = {"select", "insert", "update", "delete", "text", "union", "exists"}
RUNS_A_QUERY = {"execute", "scalars", "scalar", "query"}  # query: the legacy ORM API


def _tables() -> set[str]:
    """The mapped classes of models/tables.py: what `.get(<Table>, ...)` would fetch."""
    tree = ast.parse((ROOT / "models" / "tables.py").read_text(encoding="utf-8"))
    return {node.name for node in tree.body if isinstance(node, ast.ClassDef)}


def _table_name(node: ast.expr) -> str:
    """`Employee` or `tables.Employee` (any module alias) -> "Employee"; anything else -> ""."""
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return ""


def query_uses(source: str, tables: set[str]) -> list[tuple[int, str]]:
    """(line, what) for each place in `source` that builds or runs a query itself."""
    found: list[tuple[int, str]] = []
    statements: set[str] = set()
    sqlalchemy_aliases: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == "sqlalchemy":
            for alias in node.names:
                if alias.name in STATEMENTS:
                    statements.add(alias.asname or alias.name)
                    found.append((node.lineno, f"imports sqlalchemy's {alias.name}"))
        elif isinstance(node, ast.Import):
            sqlalchemy_aliases |= {a.asname or a.name for a in node.names if a.name == "sqlalchemy"}
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        if isinstance(func, ast.Name) and func.id in statements:
            found.append((node.lineno, f"{func.id}("))
        elif isinstance(func, ast.Attribute):
            owner = func.value
            if isinstance(owner, ast.Name) and owner.id in sqlalchemy_aliases and func.attr in STATEMENTS:
                found.append((node.lineno, f"sqlalchemy.{func.attr}("))
            elif func.attr in RUNS_A_QUERY:
                found.append((node.lineno, f".{func.attr}("))
            elif func.attr == "get" and node.args and _table_name(node.args[0]) in tables:
                found.append((node.lineno, f".get({_table_name(node.args[0])}, ...)"))
    return sorted(found)


def test_no_code_outside_models_builds_or_runs_a_query() -> None:
    tables = _tables()
    files = [path for folder in CHECKED for path in sorted((ROOT / folder).rglob("*.py"))]

    found = [
        f"{path.relative_to(ROOT)}:{line} {what}"
        for path in files
        for line, what in query_uses(path.read_text(encoding="utf-8"), tables)
    ]

    assert len(files) > 50
    assert found == []


def test_the_check_finds_each_way_of_querying() -> None:
    tables = {"Employee"}
    source = """
import sqlalchemy
from sqlalchemy import select as pick

def read(session, conn, contest):
    session.get(Employee, contest.employee_id)
    session.scalars(pick(Employee)).all()
    conn.execute(sqlalchemy.text("SELECT 1"))
    session.get(t.Employee, 3)
    session.query(Employee).first()
    return {}.get("key", None)
"""

    assert [what for _, what in query_uses(source, tables)] == [
        "imports sqlalchemy's select",
        ".get(Employee, ...)",
        ".scalars(",
        "pick(",
        ".execute(",
        "sqlalchemy.text(",
        ".get(Employee, ...)",
        ".query(",
    ]
