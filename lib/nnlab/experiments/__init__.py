"""Experiments of each chapter: modules chNN_<topic>, each with an EXPERIMENTS dict of factories."""
import importlib
import pkgutil


def registry():
    """{module short name: {experiment name: factory}} for every chapter module here."""
    out = {}
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        if info.name.startswith("ch"):
            module = importlib.import_module(f"{__name__}.{info.name}")
            out[info.name] = getattr(module, "EXPERIMENTS", {})
    return out
