"""Every notebook names the kernel that the set-up installs, so JupyterLab opens it unmodified."""
import json
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "chapters").glob("*.ipynb")) + sorted((ROOT / "exercises").glob("*/*/*.ipynb"))


def installed_kernel():
    spec = json.loads((Path(sys.prefix) / "share" / "jupyter" / "kernels" / "python3" / "kernel.json").read_text())
    return {"name": "python3", "display_name": spec["display_name"], "language": spec["language"]}


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: str(p.relative_to(ROOT)))
def test_kernelspec_matches_the_installed_kernel(path):
    assert json.loads(path.read_text())["metadata"]["kernelspec"] == installed_kernel()


def test_there_are_notebooks():
    assert len(NOTEBOOKS) >= 7 + 20
