"""Chapters in a real JupyterLab, as a learner would run them: JupyterLab from this environment on
127.0.0.1, driven by Debian's Chromium through playwright. Run all cells, move one slider of every
live experiment with the keyboard, and check that each picture changes, that no cell shows an
error and that the browser console stays clean. Skips when Chromium is missing."""
import os
import re
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

CHROMIUM = "/usr/bin/chromium"
REPO = Path(__file__).resolve().parents[1]
# the first chapter, and one of the second half (its experiments train networks, cached as it runs)
CHAPTERS = [REPO / "chapters" / "01_neurons_and_activations.ipynb", REPO / "chapters" / "08_vanishing_gradients.ipynb"]
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"]

if not os.access(CHROMIUM, os.X_OK):
    pytest.skip(f"{CHROMIUM} is missing: install Debian's chromium to run the JupyterLab test",
                allow_module_level=True)
sync_api = pytest.importorskip("playwright.sync_api")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(params=CHAPTERS, ids=lambda c: c.name)
def lab(request, tmp_path_factory):
    """A JupyterLab of its own serving a copy of one chapter (the run must not write into the repository)."""
    chapter = request.param
    root = tmp_path_factory.mktemp("lab")
    shutil.copy(chapter, root / chapter.name)
    port, token = free_port(), secrets.token_hex(16)
    env = {k: v for k, v in os.environ.items() if k != "NNLAB_STATIC"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "jupyterlab", "--no-browser", "--allow-root", "--ServerApp.ip=127.0.0.1",
         f"--ServerApp.port={port}", f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={root}",
         "--LabApp.expose_app_in_browser=True", "--ServerApp.disable_check_xsrf=True",
         "--LabServerApp.workspaces_dir=" + str(root / ".ws")],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"{url}/api/status?token={token}", timeout=2)
            break
        except OSError:
            time.sleep(0.5)
    else:
        proc.kill()
        pytest.fail("JupyterLab did not start within 60 s")
    yield url, token, root, chapter.name
    proc.terminate()
    try:
        log, _ = proc.communicate(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()
        log, _ = proc.communicate()
    assert "nbgrader" not in log.lower(), "the learner's Lab loads nbgrader:\n" + log[-2000:]


def test_run_all_and_move_every_experiment(lab):
    url, token, root, chapter = lab
    errors = []
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(f"{url}/lab/tree/{chapter}?token={token}")
        page.wait_for_function("() => window.jupyterapp && window.jupyterapp.shell.currentWidget "
                               "&& window.jupyterapp.shell.currentWidget.sessionContext "
                               "&& window.jupyterapp.shell.currentWidget.sessionContext.session "
                               "&& window.jupyterapp.shell.currentWidget.sessionContext.session.kernel",
                               timeout=90_000)
        page.wait_for_timeout(1500)     # a kernelspec that differs from the installed one is rewritten now
        assert page.evaluate("() => window.jupyterapp.shell.currentWidget.context.model.dirty") is False, \
            "the chapter opens as modified (does its kernelspec match the installed kernel?)"
        page.evaluate("() => window.jupyterapp.commands.execute('notebook:run-all-cells')")
        # done when no cell is queued or running and the kernel is idle
        page.wait_for_function(
            "() => { const nb = window.jupyterapp.shell.currentWidget;"
            " const s = nb && nb.sessionContext && nb.sessionContext.session;"
            " if (!s || !s.kernel) return false;"
            " const k = s.kernel;"
            " const cells = nb.content.widgets.filter(c => c.model.type === 'code');"
            " return k.status === 'idle' && cells.every(c => c.model.executionCount !== null); }",
            timeout=180_000, polling=500)
        tracebacks = page.locator(".jp-RenderedText[data-mime-type='application/vnd.jupyter.error']")
        assert tracebacks.count() == 0, tracebacks.first.inner_text()
        experiments = page.locator(".widget-vbox:has(.widget-image)")
        n = experiments.count()
        assert n >= 3, f"found {n} live experiments"
        for i in range(n):
            box = experiments.nth(i)
            box.scroll_into_view_if_needed()
            image = box.locator(".widget-image").first
            before = image.get_attribute("src")
            handle = box.locator(".widget-slider .noUi-handle, .widget-slider .slider-handle").first
            handle.focus()
            at_top = handle.get_attribute("aria-valuenow") == handle.get_attribute("aria-valuemax")
            key = "ArrowLeft" if at_top else "ArrowRight"        # a slider at its maximum moves down
            page.keyboard.press(key)
            page.keyboard.press(key)
            page.wait_for_function("([img, old]) => img.getAttribute('src') !== old",
                                   arg=[image.element_handle(), before], timeout=20_000)
        page.screenshot(path=str(root / f"lab-{chapter}.png"), full_page=False)
        browser.close()
    assert not [e for e in errors if not re.search(r"favicon|404 \(Not Found\)", e)], errors
