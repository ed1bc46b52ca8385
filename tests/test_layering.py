"""The package's layers, read from the imports of every module (ast).

lib/nnlab/*.py is the engine (what the playground imports: numpy and the standard library only),
plus the experiment framework (experiment.py) and the students' checks (checks.py);
lib/nnlab/topics/ holds one chapter's lesson math (on the engine, no drawing);
lib/nnlab/viz/ the drawings (they never train); lib/nnlab/experiments/ the chapters' experiments,
which nothing else imports."""
import ast
import sys
from pathlib import Path

import pytest

PKG = Path(__file__).resolve().parents[1] / "lib" / "nnlab"
ENGINE = {"activations", "layers", "losses", "init", "regularizers", "clipping", "optim", "train",
          "gradcheck", "data", "probes", "params", "_checks"}
OTHER_TOP_LEVEL = {"__init__", "experiment", "checks", "book"}


def imports(path):
    """Top-level module names a file imports: 'numpy', 'nnlab.layers' (relative imports resolved)."""
    rel = path.relative_to(PKG.parent).with_suffix("")
    package = list(rel.parts[:-1])
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[:len(package) - node.level + 1]
                mod = ".".join(base + ([node.module] if node.module else []))
                found |= {f"{mod}.{a.name}" if not node.module else mod for a in node.names}
            else:
                found.add(node.module)
    return found


def modules():
    return sorted(p for p in PKG.rglob("*.py"))


def name(path):
    return ".".join(path.relative_to(PKG.parent).with_suffix("").parts)


@pytest.mark.parametrize("module", sorted(ENGINE))
def test_engine_imports_only_numpy_the_standard_library_and_the_engine(module):
    for imp in imports(PKG / f"{module}.py"):
        top = imp.split(".")[0]
        if top == "nnlab":
            assert imp.split(".")[1] in ENGINE, f"nnlab.{module} imports {imp}, which is not engine"
        else:
            assert top == "numpy" or top in sys.stdlib_module_names, f"nnlab.{module} imports {imp}"


def test_every_top_level_module_has_a_role():
    top = {p.stem for p in PKG.glob("*.py")}
    assert top - ENGINE - OTHER_TOP_LEVEL == set(), "a new top-level module: engine (add it to ENGINE) or a lesson (topics/)?"
    assert {p.name for p in PKG.iterdir() if p.is_dir() and not p.name.startswith("__")} == \
        {"topics", "viz", "experiments", "datasets"}
    assert not list((PKG / "datasets").glob("*.py")), "datasets/ holds data files that the engine's data module reads"


@pytest.mark.parametrize("path", sorted((PKG / "topics").glob("*.py")), ids=lambda p: p.stem)
def test_lessons_build_on_the_engine_and_draw_nothing(path):
    for imp in imports(path):
        top = imp.split(".")[0]
        if top == "nnlab":
            part = imp.split(".")[1]
            assert part in ENGINE or part == "topics", f"{name(path)} imports {imp}"
        else:
            assert top == "numpy" or top in sys.stdlib_module_names, f"{name(path)} imports {imp}"


@pytest.mark.parametrize("path", sorted((PKG / "viz").glob("*.py")), ids=lambda p: p.stem)
def test_drawings_never_train(path):
    for imp in imports(path):
        assert imp not in {"nnlab.train", "nnlab.optim"}, f"{name(path)} imports {imp}"


def test_only_experiments_import_experiments():
    for path in modules():
        if name(path).startswith("nnlab.experiments"):
            continue
        bad = [i for i in imports(path) if i.startswith("nnlab.experiments")]
        assert not bad, f"{name(path)} imports {bad}"


def test_the_reader_sees_real_imports():
    # the parser itself: a relative import of the engine is resolved to its full name
    assert {"nnlab.optim", "nnlab.losses", "numpy", "time"} <= imports(PKG / "train.py")
    assert "nnlab.activations" in imports(PKG / "__init__.py")
