"""Sphinx extension: keep every built page standalone (no request to any other host).

Jupyter Book 1.x always loads sphinx-thebe, even with ``launch_buttons.thebe: false``. It puts
``const THEBE_JS_URL = "https://unpkg.com/..."`` into every page (twice: a SyntaxError in the
browser console), the sphinx-thebe script and stylesheet, and a Binder config block into every
page body. This course has no Binder and no thebe, so we drop all of it here, through public
Sphinx events only. Then, as a guard, any script or stylesheet left that points at another host
is reported as a warning, which fails the book build (``-W``). And the index.html redirect gets
the site's icon, so that no page makes the browser ask for a missing /favicon.ico.
"""
import html
import os
from pathlib import Path

from docutils import nodes
from sphinx.util import logging

logger = logging.getLogger(__name__)

_THEBE_FILES = ("sphinx-thebe.js", "sphinx-thebe.css")
_THEBE_RAW = ("text/x-thebe-config", "<script>kernelName =")


def _filename(asset):
    return str(getattr(asset, "filename", asset) or "")


def _body(asset):
    return str(getattr(asset, "attributes", {}).get("body", ""))


def _drop_thebe_nodes(app, doctree, docname):
    """Remove the Binder/thebe config blocks sphinx-thebe appends to each page body."""
    for node in list(doctree.findall(nodes.raw)):
        if node.get("format") == "html" and any(marker in node.astext() for marker in _THEBE_RAW):
            node.parent.remove(node)


def _clean_assets(app, pagename, templatename, context, doctree):
    """Drop thebe scripts/styles and duplicate inline scripts; warn about any off-site asset."""
    if "script_files" in context:
        kept, bodies = [], set()
        for js in context["script_files"]:
            name, body = _filename(js), _body(js)
            if name.endswith(_THEBE_FILES) or "THEBE_JS_URL" in body:
                continue
            if not name and body:
                if body in bodies:        # the same inline script added twice
                    continue
                bodies.add(body)
            kept.append(js)
        context["script_files"] = kept
    if "css_files" in context:
        context["css_files"] = [css for css in context["css_files"]
                                if not _filename(css).endswith(_THEBE_FILES)]
    for key in ("script_files", "css_files"):
        for asset in context.get(key, ()):
            name = _filename(asset)
            if "://" in name or name.startswith("//"):
                logger.warning(f"offline_site: page {pagename!r} loads {name!r} from another host; "
                               "the site must work with no network", type="offline_site")


def _write_index_redirect(app, exception):
    """Write index.html as a redirect to the root page, with a title and the site's icon.

    sphinx-external-toc writes a bare one-line redirect when index.html is missing; with no icon
    link on it, the browser asks the server for /favicon.ico and logs a 404. It leaves an existing
    index.html alone, and this handler runs before it.
    """
    if exception is not None or app.builder.name != "html" or app.config.root_doc == "index":
        return
    root = f"{app.config.root_doc}.html"
    icon = os.path.basename(app.config.html_favicon or "")
    icon_href = f"_static/{icon}" if icon and "://" not in app.config.html_favicon else "data:,"
    title = html.escape(app.config.html_title or app.config.project or "")
    page = (f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">\n<title>{title}</title>\n'
            f'<link rel="icon" href="{icon_href}">\n<meta http-equiv="Refresh" content="0; url={root}">\n'
            f'</head><body><p><a href="{root}">{title or root}</a></p></body></html>\n')
    Path(app.outdir, "index.html").write_text(page, encoding="utf-8")


def setup(app):
    app.connect("doctree-resolved", _drop_thebe_nodes, priority=900)
    app.connect("html-page-context", _clean_assets, priority=900)
    app.connect("build-finished", _write_index_redirect, priority=400)
    return {"version": "0.1", "parallel_read_safe": True, "parallel_write_safe": True}
