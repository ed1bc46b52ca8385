"""Sphinx extension: put a course kit on the built site, for learners without the repository.

After an HTML build, ``downloads/nnlab-course.zip`` holds everything needed to run the course
locally: the ``nnlab`` wheel (built from this checkout), every chapter notebook, every student
exercise notebook and a two-line README. The pages link to it; nothing is fetched from elsewhere.
"""
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

from sphinx.util import logging

logger = logging.getLogger(__name__)
KIT = "downloads/nnlab-course.zip"
README = """Introduction to Neural Networks: the notebooks and the nnlab package, to run on your own machine.
1. pip install {wheel} jupyterlab      (Python 3.10 or newer; in Colab: upload the wheel, then !pip install {wheel})
2. jupyter lab                            (then open chapters/ or exercises/; every experiment has live controls)
"""


def build_wheel(root, into):
    """Build the nnlab wheel of the checkout at root into the folder into; returns its path."""
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
                    "-w", str(into), str(root)], check=True, capture_output=True)
    (wheel,) = Path(into).glob("nnlab-*.whl")
    return wheel


def write_kit(root, out):
    """Write the kit zip for the checkout at root to the path out (entries in a fixed order and date)."""
    root, out = Path(root), Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        wheel = build_wheel(root, tmp)
        entries = [(wheel.name, wheel.read_bytes()),
                   ("README.txt", README.format(wheel=wheel.name).encode())]
        entries += [(f"chapters/{p.name}", p.read_bytes()) for p in sorted((root / "chapters").glob("*.ipynb"))]
        entries += [(f"exercises/{p.name}", p.read_bytes())
                    for p in sorted((root / "exercises" / "release").glob("*/*.ipynb"))]
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as z:
        for name, data in entries:
            info = zipfile.ZipInfo(name, date_time=(2022, 9, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            z.writestr(info, data)
    return out


def _on_build_finished(app, exception):
    if exception is not None or app.builder.name != "html":
        return
    path = write_kit(app.srcdir, Path(app.outdir) / KIT)
    logger.info(f"course_kit: wrote {path} ({path.stat().st_size // 1024} KiB)")


def setup(app):
    app.connect("build-finished", _on_build_finished)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
