"""The built site stands alone: no asset from another host, math and search local, downloads there.

Reads the site from $NNLAB_SITE (default <repo>/_build/html, which `make test` builds first);
skips when it is not built. No browser here: see test_browser.py for what a browser really loads.
"""
import functools
import json
import os
import re
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest

bs4 = pytest.importorskip("bs4")

REPO = Path(__file__).resolve().parents[1]
SITE = Path(os.environ.get("NNLAB_SITE", REPO / "_build" / "html")).resolve()

if not (SITE / "search.html").is_file():
    pytest.skip(f"no built site at {SITE} (run `make book`, or set NNLAB_SITE)", allow_module_level=True)

SKIP_DIRS = {"_static", "_sources", "_images", "_downloads", "_sphinx_design_static", "downloads"}
PAGES = sorted(p for p in SITE.rglob("*.html") if not SKIP_DIRS & set(p.relative_to(SITE).parts))
CHAPTERS = [p for p in PAGES if p.relative_to(SITE).parts[0] == "chapters"]
# (tag, attribute) pairs that make the browser fetch something as the page loads
FETCHED = [("script", "src"), ("link", "href"), ("img", "src"), ("source", "src"), ("iframe", "src"),
           ("video", "src"), ("audio", "src"), ("embed", "src"), ("object", "data"), ("video", "poster")]


@functools.lru_cache(maxsize=None)
def _soup(path):
    """Parsed page (cached: chapter pages carry megabytes of inline frames). Do not modify it."""
    return bs4.BeautifulSoup(path.read_text(encoding="utf-8"), "html.parser")


def _is_redirect(soup):
    return soup.find("meta", attrs={"http-equiv": re.compile("refresh", re.I)}) is not None


def _off_site(url):
    return bool(re.match(r"^\s*(https?:)?//", url, re.I))


def _local_target(page, url):
    """The file a relative URL on `page` points to (query and fragment dropped)."""
    path = unquote(urlsplit(url).path)
    if not path:                                  # "#..." or "?...": the page itself
        return page
    return (SITE / path.lstrip("/")) if path.startswith("/") else (page.parent / path)


def _id(path):
    return str(path.relative_to(SITE))


def test_site_has_pages():
    names = {_id(p) for p in PAGES}
    assert "intro.html" in names and "search.html" in names, names
    assert CHAPTERS, f"no chapter pages under {SITE / 'chapters'}"


@pytest.mark.parametrize("page", PAGES, ids=_id)
def test_page_fetches_nothing_off_site_and_every_local_asset_exists(page):
    soup = _soup(page)
    off, missing = [], []
    for tag, attr in FETCHED:
        for el in soup.find_all(tag):
            url = el.get(attr)
            if not url or url.startswith(("data:", "#", "javascript:", "mailto:")):
                continue
            if _off_site(url):
                off.append(f"<{tag} {attr}={url}>")
            elif not _local_target(page, url).exists():
                missing.append(f"<{tag} {attr}={url}>")
    for el in soup.find_all(style=True):           # inline style="background: url(https://...)"
        if re.search(r"url\(\s*['\"]?(https?:)?//", el["style"], re.I):
            off.append(f"<{el.name} style={el['style']}>")
    assert not off, f"{_id(page)} loads from other hosts: {off}"
    assert not missing, f"{_id(page)} points at files that are not in the site: {missing}"


@pytest.mark.parametrize("page", PAGES, ids=_id)
def test_inline_scripts_do_not_fetch_or_redeclare(page):
    scripts = [s.get_text() for s in _soup(page).find_all("script") if not s.get("src")]
    text = "\n".join(s for s in scripts if not s.lstrip().startswith("{"))   # skip JSON data blocks
    assert text.count("THEBE_JS_URL") <= 1, f"{_id(page)} declares THEBE_JS_URL more than once"
    urls = re.findall(r"https?://[^\s\"'<>]+", text)
    assert not urls, f"{_id(page)} has script code naming other hosts: {urls}"


def test_stylesheets_import_nothing_off_site():
    bad = []
    for css in SITE.joinpath("_static").rglob("*.css"):
        code = re.sub(r"/\*.*?\*/", "", css.read_text(encoding="utf-8", errors="replace"), flags=re.S)
        for m in re.finditer(r"(@import\s+(url\()?\s*['\"]?|url\(\s*['\"]?)((https?:)?//[^'\")\s]+)", code, re.I):
            if "w3.org" not in m.group(3):                # SVG namespace strings, never fetched
                bad.append(f"{css.relative_to(SITE)}: {m.group(3)}")
    assert not bad, bad


@pytest.mark.parametrize("page", [p for p in PAGES if not _is_redirect(_soup(p))], ids=_id)
def test_page_has_title_navigation_and_search_box(page):
    soup = _soup(page)
    assert soup.title and soup.title.get_text(strip=True), f"{_id(page)} has no <title>"
    nav = soup.select_one("nav.bd-docs-nav")
    assert nav is not None, f"{_id(page)} has no sidebar navigation"
    linked = {_local_target(page, a["href"]).resolve() for a in nav.find_all("a", href=True)
              if not _off_site(a["href"]) and not a["href"].startswith("#")}
    for chapter in CHAPTERS:
        if chapter != page:
            assert chapter.resolve() in linked, f"{_id(page)}: navigation lacks {_id(chapter)}"
    actions = [_local_target(page, f.get("action") or "").resolve() for f in soup.find_all("form")
               if f.find("input", attrs={"type": "search", "name": "q"})]
    assert (SITE / "search.html").resolve() in actions, f"{_id(page)} has no search box for search.html"


def test_search_page_and_index_exist():
    soup = _soup(SITE / "search.html")
    assert soup.find("input", attrs={"type": "search"}) is not None
    index = SITE / "searchindex.js"
    assert index.is_file() and index.stat().st_size > 100
    assert any("searchindex.js" in (s.get("src") or "") for s in soup.find_all("script"))
    for chapter in CHAPTERS:     # every chapter's title is searchable
        title = _soup(chapter).find("h1").get_text(" ", strip=True).rstrip("#").strip()
        assert title.split()[0] in index.read_text(encoding="utf-8"), f"{title!r} not in the search index"


@pytest.mark.parametrize("page", CHAPTERS, ids=_id)
def test_chapter_has_experiment_and_download_button(page):
    soup = _soup(page)
    exp = soup.select_one("div.nnlab-experiment")
    assert exp is not None, f"{_id(page)} has no static experiment"
    assert exp.find("img", src=re.compile(r"^data:image/webp;base64,")) is not None
    assert exp.find(["input", "select"], attrs={"data-control": True}) is not None
    links = [a["href"] for a in soup.select("a.btn-download-source-button[href]")]
    ipynb = [h for h in links if urlsplit(h).path.endswith(".ipynb")]
    assert ipynb, f"{_id(page)}: no download button offering the .ipynb (found {links})"
    target = _local_target(page, ipynb[0])
    rel = target.resolve().relative_to(SITE).parts
    assert rel[0] in ("_sources", "_downloads"), target
    assert target.is_file(), f"download target {target} is missing"
    nb = json.loads(target.read_text(encoding="utf-8"))
    assert nb["nbformat"] == 4 and nb["cells"], f"{target} is not a notebook"


@pytest.mark.parametrize("page", PAGES, ids=_id)
def test_math_uses_local_mathjax(page):
    soup = _soup(page)
    mathjax = [s["src"] for s in soup.find_all("script", src=True) if "mathjax" in s["src"].lower()]
    has_math = soup.select_one(".math") is not None
    if not has_math and not mathjax:
        return
    assert mathjax, f"{_id(page)} has math but loads no MathJax"
    for src in mathjax:
        assert not _off_site(src), f"{_id(page)} loads MathJax from {src}"
        assert _local_target(page, src).is_file(), src


def test_some_chapter_has_math():
    assert any(_soup(p).select_one(".math") is not None for p in CHAPTERS)


def test_the_course_kit_holds_the_notebooks_and_the_package():
    import io
    import zipfile

    kit = SITE / "downloads" / "nnlab-course.zip"
    assert kit.is_file(), "the book build writes downloads/nnlab-course.zip (tools/sphinx_ext/course_kit.py)"
    with zipfile.ZipFile(kit) as z:
        names = z.namelist()
        (wheel,) = [n for n in names if n.endswith(".whl")]
        readme = z.read("README.txt").decode()
        assert f"pip install {wheel}" in readme and "jupyter lab" in readme and len(readme.splitlines()) == 3
        assert sorted(n for n in names if n.startswith("chapters/")) == \
            sorted(f"chapters/{p.name}" for p in (REPO / "chapters").glob("*.ipynb"))
        assert len([n for n in names if n.startswith("exercises/")]) == len(list((REPO / "exercises" / "release").glob("*/*.ipynb")))
        with zipfile.ZipFile(io.BytesIO(z.read(wheel))) as w:
            inside = set(w.namelist())
    for module in ("nnlab/__init__.py", "nnlab/train.py", "nnlab/topics/perturb.py", "nnlab/viz/plots.py",
                   "nnlab/experiments/ch07_sgd.py", "nnlab/checks.py"):
        assert module in inside, module
    for page in ("intro.html", "exercises.html"):
        links = [a.get("href") for a in _soup(SITE / page).find_all("a")]
        assert "downloads/nnlab-course.zip" in links, page
