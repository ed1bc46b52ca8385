"""tools/simd_levels.py: the list that `make test` passes to NPY_DISABLE_CPU_FEATURES for its second nbval run."""
import importlib.util
import os
from pathlib import Path

import pytest

_spec = importlib.util.spec_from_file_location(
    "simd_levels", Path(__file__).resolve().parents[1] / "tools" / "simd_levels.py")
simd = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(simd)


def test_levels_are_numpy_dispatch_levels_above_baseline():
    env = {k: v for k, v in os.environ.items() if k != "NPY_DISABLE_CPU_FEATURES"}
    report = simd.probe(env)
    levels = simd.levels_above_baseline()
    assert levels == report["on"]
    assert set(levels) <= set(report["dispatch"])
    assert not set(levels) & set(report["baseline"])


def test_a_value_already_in_the_environment_does_not_hide_levels(monkeypatch):
    before = simd.levels_above_baseline()
    monkeypatch.setenv("NPY_DISABLE_CPU_FEATURES", " ".join(before))
    assert simd.levels_above_baseline() == before


def test_disabling_them_leaves_numpy_on_its_baseline_path():
    levels = simd.levels_above_baseline()
    if not levels:
        pytest.skip("this CPU has no numpy dispatch level above the baseline: both nbval runs take one path")
    env = dict(os.environ, NPY_DISABLE_CPU_FEATURES=" ".join(levels))
    assert simd.probe(env)["on"] == []
    assert simd.main(["--check"]) == 0
