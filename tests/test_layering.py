"""The package's layers, read from the imports of every module (ast): the engine (what the playground
imports) depends on numpy and the standard library only; drawings never train; nothing but the
experiments themselves imports nnlab.experiments."""
import ast
import sys
from pathlib import Path

import pytest

PKG = Path(__file__).resolve().parents[1] / "lib" / "nnlab"
ENGINE = {"activations", "layers", "losses", "init", "regularizers", "clipping", "optim", "train",
          "gradcheck", "data", "probes", "params", "_checks"}
DRAWINGS = {"plots", "diagrams", "network_diagram"}


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


@pytest.mark.parametrize("module", sorted(DRAWINGS))
def test_drawings_never_train(module):
    for imp in imports(PKG / f"{module}.py"):
        assert imp not in {"nnlab.train", "nnlab.optim"}, f"nnlab.{module} imports {imp}"


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
