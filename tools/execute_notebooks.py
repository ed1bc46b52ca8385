"""Execute notebooks in place (live mode, as a learner's kernel would) so their outputs can be committed.

Usage: python tools/execute_notebooks.py NOTEBOOK...
Widget state is not stored: it would only bloat the file, and nbval ignores widget views.
"""
import os
import sys
import time

import nbformat
from nbclient import NotebookClient


KERNELSPEC = {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"}


def execute(path):
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(nb, timeout=600, kernel_name="python3", store_widget_state=False,
                            resources={"metadata": {"path": os.path.dirname(os.path.abspath(path))}})
    start = time.perf_counter()
    client.execute()
    nb.metadata.pop("widgets", None)
    nb.metadata["kernelspec"] = dict(KERNELSPEC)   # as `make` installs it, so Lab opens the file unmodified
    for cell in nb.cells:
        cell.metadata.pop("execution", None)
    nbformat.write(nb, path)
    print(f"{path}: {time.perf_counter() - start:.1f} s")


if __name__ == "__main__":
    os.environ.pop("NNLAB_STATIC", None)
    for p in sys.argv[1:]:
        execute(p)
