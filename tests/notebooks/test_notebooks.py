"""Every notebook in notebooks/ runs top to bottom, so the evaluations shown there never rot.

Jupyter is not a dependency: the code cells are executed in order in one namespace, as a kernel would.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

NOTEBOOKS = sorted((Path(__file__).resolve().parents[2] / "notebooks").glob("*.ipynb"))


@pytest.mark.slow
@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_runs(notebook: Path, capsys: pytest.CaptureFixture[str]) -> None:
    cells = json.loads(notebook.read_text(encoding="utf-8"))["cells"]
    namespace: dict[str, object] = {"__name__": "__main__"}
    code_cells = [c for c in cells if c["cell_type"] == "code"]
    assert code_cells, f"{notebook.name} has no code"
    for number, cell in enumerate(code_cells, start=1):
        source = "".join(cell["source"])
        exec(compile(source, f"{notebook.name}:cell{number}", "exec"), namespace)  # noqa: S102
    assert capsys.readouterr().out.strip(), f"{notebook.name} printed nothing"
