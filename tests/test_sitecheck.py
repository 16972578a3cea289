"""The browser check itself: it passes a good page and names each fault of a bad one (tiny hand-made sites)."""

import pytest

from dicecore.book.sitecheck import check_site, find_browser, find_mathjax, site_pages

pytestmark = pytest.mark.skipif(find_browser() is None, reason="needs Chromium (make test installs it as root)")

PNG_1x1 = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360f8cfc0f01f0005000201a5d8f5e30000000049454e44ae426082"
)
MATHJAX = ('<script>window.MathJax = {options: {processHtmlClass: "math"}};</script>'
           '<script defer src="https://cdn.jsdelivr.net/npm/mathjax@3/es5/tex-mml-chtml.js"></script>')


def _site(tmp_path, body, head=""):
    (tmp_path / "index.html").write_text(f"<html><head>{head}</head><body><main>{body}</main></body></html>")
    (tmp_path / "ok.png").write_bytes(PNG_1x1)
    (tmp_path / "other.html").write_text('<html><body><h1 id="there">there</h1><a href="index.html">back</a></body></html>')
    return tmp_path


def test_site_pages_leaves_out_static_files(tmp_path):
    _site(tmp_path, "x")
    (tmp_path / "_static").mkdir()
    (tmp_path / "_static" / "x.html").write_text("<html></html>")
    assert site_pages(tmp_path) == ["index.html", "other.html"]


def test_a_good_page_has_no_problems(tmp_path):
    site = _site(tmp_path, '<img src="ok.png"><a href="other.html#there">a</a><a href="#self" id="self">b</a>')
    reports = check_site(site, screenshots={"index.html": tmp_path / "shot.png"})
    assert [r.problems for r in reports] == [[], []]
    assert reports[0].images == 1 and reports[0].links == 2
    assert (tmp_path / "shot.png").stat().st_size > 100


def test_each_fault_is_named(tmp_path):
    body = ('<img src="missing.png"><a href="nowhere.html">x</a><a href="other.html#gone">y</a>'
            '<div style="width:3000px">wide</div><script>undefinedFunction()</script>'
            '<img src="https://example.org/remote.png">')
    problems = "\n".join(check_site(_site(tmp_path, body))[0].problems)
    for expected in ("image does not render: missing.png", "broken link: nowhere.html",
                     "broken anchor: other.html#gone", "page scrolls sideways", "JavaScript error",
                     "needs a third-party resource: https://example.org/remote.png"):
        assert expected in problems, problems


def test_a_page_that_does_not_exist_is_reported(tmp_path):
    site = _site(tmp_path, '<meta http-equiv="refresh" content="0; url=moved.html" />')
    (site / "index.html").write_text('<meta http-equiv="Refresh" content="0; url=moved.html" />')
    assert check_site(site)[0].problems == ["broken link: moved.html"]


def test_untypeset_math_is_reported_without_mathjax(tmp_path):
    site = _site(tmp_path, r'<span class="math">\(x^2\)</span>', head=MATHJAX)
    problems = "\n".join(check_site(site, mathjax_dir=None)[0].problems)
    assert "formula not typeset" in problems and "needs a third-party resource" in problems


@pytest.mark.skipif(find_mathjax() is None, reason="needs the local mathjax@3 that make test installs")
def test_math_is_typeset_with_local_mathjax(tmp_path):
    site = _site(tmp_path, r'<span class="math">\(x^2\)</span><span class="math">\(\frac{a}{b}\)</span>',
                 head=MATHJAX)
    report = check_site(site, mathjax_dir=find_mathjax())[0]
    assert report.problems == [] and report.formulas == 2
    broken = _site(tmp_path, r'<span class="math">\(\frac{a}{b\)</span>', head=MATHJAX)
    assert any("MathJax error" in p or "not typeset" in p
               for p in check_site(broken, mathjax_dir=find_mathjax())[0].problems)


def test_missing_build_is_a_clear_error(tmp_path):
    with pytest.raises(FileNotFoundError, match="html_dir: no index.html"):
        check_site(tmp_path)
