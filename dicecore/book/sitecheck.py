"""Check the built site in a real browser: every page loads, every image renders, MathJax typeset every
formula, every internal link (and its ``#anchor``) resolves, nothing overflows the page sideways.

``check_site(html_dir)`` serves ``html_dir`` on ``127.0.0.1`` and opens each ``*.html`` page in headless
Chromium through Playwright (``/usr/bin/chromium``, Debian's ``chromium`` package; no browser download).
The site loads MathJax 3 from a CDN; this machine has no internet, so requests for it are answered from a
local copy of the ``mathjax@3`` npm package (``mathjax_dir``). Any other request that leaves localhost is
blocked and reported, so the check also proves that a page does not depend on a third-party resource to
render. ``python -m dicecore.book.sitecheck _build/html`` runs it from the shell.
"""

from __future__ import annotations

import functools
import http.server
import os
import re
import shutil
import threading
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator, Mapping, Optional
from urllib.parse import unquote, urldefrag, urljoin, urlparse

__all__ = ["PageReport", "find_browser", "find_mathjax", "site_pages", "serve", "check_site"]

MATHJAX_CDN = "https://cdn.jsdelivr.net/npm/mathjax@3/"
BROWSER_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync",
]
# Requests that may fail without harming the page: thebe's live-code library (loaded only on a click).
OPTIONAL_EXTERNAL = ("https://unpkg.com/thebe@",)


@dataclass
class PageReport:
    """What the browser found on one page; ``problems`` is empty for a good page."""

    path: str
    images: int = 0
    formulas: int = 0
    links: int = 0
    problems: list[str] = field(default_factory=list)


def find_browser() -> Optional[str]:
    """The Chromium executable (``$DICECORE_CHROMIUM``, else ``chromium`` on the PATH), or ``None``."""
    return os.environ.get("DICECORE_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")


def find_mathjax(root: os.PathLike = ".") -> Optional[Path]:
    """A local ``mathjax@3`` package (``$DICECORE_MATHJAX`` or ``<root>/.cache/npm/node_modules/mathjax``)."""
    for candidate in (os.environ.get("DICECORE_MATHJAX"), Path(root) / ".cache/npm/node_modules/mathjax"):
        if candidate and (Path(candidate) / "es5" / "tex-mml-chtml.js").is_file():
            return Path(candidate)
    return None


def site_pages(html_dir: os.PathLike) -> list[str]:
    """Every HTML page of a Sphinx build, relative to ``html_dir`` (``_static`` and ``_sources`` left out)."""
    root = Path(html_dir)
    skip = {"_static", "_sources", "_images", "_sphinx_design_static", "_panels_static"}
    return sorted(
        p.relative_to(root).as_posix() for p in root.rglob("*.html") if not skip & set(p.relative_to(root).parts)
    )


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:  # keep test output clean
        pass


class _QuietServer(http.server.ThreadingHTTPServer):
    def handle_error(self, request, client_address) -> None:  # the browser closing a connection early
        pass


@contextmanager
def serve(directory: os.PathLike) -> Iterator[str]:
    """Serve ``directory`` over HTTP on a free localhost port; yields the base URL."""
    handler = functools.partial(_QuietHandler, directory=str(directory))
    server = _QuietServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/"
    finally:
        server.shutdown()
        server.server_close()


# Runs in the page once it has loaded: forces lazy images to load, waits for MathJax, then reports.
_INSPECT = """async () => {
  const imgs = Array.from(document.images);
  imgs.forEach(i => { i.loading = 'eager'; });
  await Promise.all(imgs.map(i => i.decode().catch(() => null)));
  if (window.MathJax && MathJax.startup && MathJax.startup.promise) {
    await MathJax.startup.promise;
  }
  const inCode = el => el.closest('pre, code, .highlight, script, style, textarea');
  const maths = Array.from(document.querySelectorAll('.math')).filter(m => !inCode(m));
  const untypeset = maths.filter(m => !m.querySelector('mjx-container') && m.tagName !== 'MJX-CONTAINER')
                         .map(m => m.textContent.trim().slice(0, 60));
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  const raw = [];
  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
    if (inCode(n.parentElement) || n.parentElement.closest('mjx-container')) continue;
    const t = n.textContent;
    if (/\\\\\\(|\\\\\\[|\\$\\$|\\\\frac\\{|\\\\mathrm\\{/.test(t)) raw.push(t.trim().slice(0, 60));
  }
  const article = document.querySelector('main, article, .bd-article') || document.body;
  return {
    images: imgs.map(i => ({src: i.getAttribute('src'), ok: i.complete && i.naturalWidth > 0})),
    formulas: document.querySelectorAll('mjx-container').length,
    untypeset, raw,
    mathErrors: Array.from(document.querySelectorAll('mjx-merror')).map(e => e.textContent.slice(0, 60)),
    links: Array.from(document.querySelectorAll('a[href]')).map(a => a.getAttribute('href')),
    ids: Array.from(document.querySelectorAll('[id], a[name]')).map(e => e.id || e.getAttribute('name')),
    overflow: Math.max(0, document.documentElement.scrollWidth - window.innerWidth),
    text: article.innerText.length,
  };
}"""


_REFRESH = re.compile(r'<meta[^>]+http-equiv="refresh"[^>]+url=([^"]+)"', re.IGNORECASE)


def _local_target(url: str, base: str, html_dir: Path) -> Optional[tuple[Path, str, str]]:
    """(file on disk, page path relative to the site, fragment) for a same-site URL, else ``None``."""
    url, fragment = urldefrag(url)
    if not url.startswith(base):
        return None
    rel = unquote(urlparse(url).path)[len(urlparse(base).path):]
    target = html_dir / rel
    if rel == "" or rel.endswith("/"):
        target = target / "index.html"
        rel = rel + "index.html"
    return target, rel, fragment


def check_site(
    html_dir: os.PathLike,
    screenshots: Optional[Mapping[str, os.PathLike]] = None,
    mathjax_dir: Optional[os.PathLike] = None,
    browser: Optional[str] = None,
    width: int = 1300,
    height: int = 900,
    timeout_ms: int = 30_000,
) -> list[PageReport]:
    """Open every page of ``html_dir`` in headless Chromium and report what a reader would stumble on.

    Args:
        html_dir: the built site (``_build/html``).
        screenshots: pages to photograph in full, mapped to the PNG file to write, for example
            ``book/index.html`` to ``landing.png``.
        mathjax_dir: a local ``mathjax@3`` package to answer the CDN requests with. Without one, formulas
            are reported as not typeset.
        browser: the Chromium executable; default :func:`find_browser`.

    Returns one :class:`PageReport` per page. A page has a problem when it does not load (HTTP status,
    uncaught JavaScript error), an image does not render, a formula is left untypeset or MathJax reports
    an error, an internal link or its ``#anchor`` leads nowhere, a third-party request is needed, or the
    page scrolls sideways.
    """
    from playwright.sync_api import sync_playwright

    html_dir = Path(html_dir)
    if not (html_dir / "index.html").is_file():
        raise FileNotFoundError(f"html_dir: no index.html in {str(html_dir)!r}; build the book first (make book).")
    browser = browser or find_browser()
    if not browser:
        raise FileNotFoundError("browser: no Chromium found; install Debian's chromium or set DICECORE_CHROMIUM.")
    mathjax = Path(mathjax_dir) if mathjax_dir else None
    pages = site_pages(html_dir)
    reports = {p: PageReport(p) for p in pages}
    ids: dict[str, set[str]] = {}
    pending_links: list[tuple[str, str]] = []  # (page, absolute href)
    shots = {k: Path(v) for k, v in (screenshots or {}).items()}

    with serve(html_dir) as base, sync_playwright() as pw:
        chrome = pw.chromium.launch(executable_path=browser, args=BROWSER_ARGS)
        context = chrome.new_context(viewport={"width": width, "height": height})
        external: list[str] = []

        def route(r):
            url = r.request.url
            if url.startswith(base):
                return r.continue_()
            if url.startswith(MATHJAX_CDN) and mathjax is not None:
                local = mathjax / url[len(MATHJAX_CDN):].split("?")[0]
                if local.is_file():
                    return r.fulfill(path=str(local))
            if not url.startswith(OPTIONAL_EXTERNAL):
                external.append(url)
            return r.abort()

        context.route("**/*", route)
        for path in pages:
            report = reports[path]
            redirect = _REFRESH.search((html_dir / path).read_text(encoding="utf-8", errors="replace")[:2000])
            if redirect:  # a stub such as the root index.html: its target must exist
                report.links += 1
                pending_links.append((path, urljoin(base + path, redirect.group(1))))
                continue
            page = context.new_page()
            errors: list[str] = []
            page.on("pageerror", lambda e, errors=errors: errors.append(str(e)))
            external.clear()
            response = None
            try:
                response = page.goto(base + path, wait_until="load", timeout=timeout_ms)
                if response is None or not response.ok:
                    report.problems.append(f"did not load (HTTP {response.status if response else 'none'})")
                    continue
                info = page.evaluate(_INSPECT)
            except Exception as err:  # a timeout or a crashed page is a problem of that page
                report.problems.append(f"did not load ({type(err).__name__}: {str(err).splitlines()[0]})")
                continue
            finally:
                if path in shots and response is not None and response.ok:
                    shots[path].parent.mkdir(parents=True, exist_ok=True)
                    page.screenshot(path=str(shots[path]), full_page=True)
                page.close()
            report.images = len(info["images"])
            report.formulas = info["formulas"]
            report.problems += [f"JavaScript error: {e}" for e in errors]
            report.problems += [f"image does not render: {i['src']}" for i in info["images"] if not i["ok"]]
            report.problems += [f"formula not typeset: {t!r}" for t in info["untypeset"]]
            report.problems += [f"raw TeX in the text: {t!r}" for t in info["raw"]]
            report.problems += [f"MathJax error: {t!r}" for t in info["mathErrors"]]
            report.problems += [f"needs a third-party resource: {u}" for u in sorted(set(external))]
            if info["overflow"] > 2:
                report.problems.append(f"page scrolls sideways by {info['overflow']} px at {width} px wide")
            ids[path] = set(filter(None, info["ids"]))
            page_url = base + path
            for href in info["links"]:
                absolute = urljoin(page_url, href)
                if absolute.startswith(base):
                    report.links += 1
                    pending_links.append((path, absolute))
        context.close()
        chrome.close()

        for path, absolute in pending_links:
            target, rel, fragment = _local_target(absolute, base, html_dir)
            if not target.is_file():
                reports[path].problems.append(f"broken link: {rel}")
            elif fragment and rel in ids and fragment not in ids[rel]:
                reports[path].problems.append(f"broken anchor: {rel}#{fragment}")
    return [reports[p] for p in pages]


def main(argv: Optional[list[str]] = None) -> int:
    import argparse

    parser = argparse.ArgumentParser(prog="python -m dicecore.book.sitecheck", description=__doc__.split("\n\n")[0])
    parser.add_argument("html_dir", nargs="?", default="_build/html")
    parser.add_argument("--screenshot", action="append", default=[], metavar="PAGE=PNG")
    args = parser.parse_args(argv)
    shots = dict(s.split("=", 1) for s in args.screenshot)
    reports = check_site(args.html_dir, shots, find_mathjax())
    bad = [r for r in reports if r.problems]
    for r in reports:
        print(f"{'ok ' if not r.problems else 'BAD'} {r.path}: {r.images} images, {r.formulas} formulas, "
              f"{r.links} internal links")
        for p in r.problems:
            print(f"      {p}")
    print(f"{len(reports)} pages checked, {len(bad)} with problems")
    return 1 if bad else 0


if __name__ == "__main__":
    raise SystemExit(main())
