"""Every `nnlab.` name that a chapter's text, a caption or an alt text mentions exists in the package,
so that the book cannot drift away from the code it describes."""
import importlib
import json
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
NAME = re.compile(r"\bnnlab(?:\.[A-Za-z_][A-Za-z0-9_]*)+")


def resolve(dotted):
    """Import the longest importable module prefix of a dotted name, then follow attributes."""
    parts = dotted.split(".")
    for cut in range(len(parts), 0, -1):
        try:
            obj = importlib.import_module(".".join(parts[:cut]))
        except ModuleNotFoundError:
            continue
        for attr in parts[cut:]:
            obj = getattr(obj, attr)          # AttributeError: the text names something that is not there
        return obj
    raise ModuleNotFoundError(dotted)


def texts(path):
    """(where, text) for every markdown cell, caption and alt text of a notebook."""
    nb = json.loads(path.read_text())
    for i, cell in enumerate(nb["cells"]):
        if cell["cell_type"] == "markdown":
            yield f"{path.name} cell {i}", "".join(cell["source"])
        meta = cell.get("metadata", {}).get("mystnb", {})
        for key in ("figure", "image"):
            for field in ("caption", "alt"):
                if field in meta.get(key, {}):
                    yield f"{path.name} cell {i} {key}.{field}", meta[key][field]


def mentions():
    found = []
    for path in sorted((ROOT / "chapters").glob("*.ipynb")) + sorted((ROOT / "exercises" / "source").glob("*/*.ipynb")):
        for where, text in texts(path):
            found += [(where, m.rstrip(".")) for m in NAME.findall(text)]
    for path in sorted((ROOT / "lib" / "nnlab" / "experiments").glob("ch*.py")):
        found += [(path.name, m.rstrip(".")) for m in NAME.findall(path.read_text())]
    return found


def test_the_chapters_mention_the_package():
    assert len(mentions()) > 20


@pytest.mark.parametrize("where,name", mentions(), ids=lambda v: str(v))
def test_mentioned_name_resolves(where, name):
    try:
        resolve(name)
    except (AttributeError, ModuleNotFoundError) as err:
        pytest.fail(f"{where} mentions {name}, which does not exist: {err}")
