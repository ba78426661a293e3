"""The sign-off's HTML export in Chromium: the charts show (inline SVG with drawn marks), and
Chromium's print-to-PDF cuts no table, card or chart off at the page edge.

The export is made as the Export button makes it
(``core.analysis.signoff.charts.export_html``) from the demo database, written to a file and
opened from disk, as someone who was sent it would.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from core.analysis import signoff
from tests.browser.test_browser import ARGS, CHROMIUM, playwright_api

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="needs Debian's chromium"),
]
# The printed page's content box: A4 (210 mm) less the stylesheet's 14 mm margins each side,
# at the 96 px per inch Chromium lays print out at: 182 mm = 688 px.
PRINT_WIDTH_PX = round(182 / 25.4 * 96)

WIDEST = """() => {
  const page = document.documentElement.clientWidth;
  const wide = [];
  for (const el of document.querySelectorAll('table, .card, figure, svg, dl, ul, p, h1, h2')) {
    const box = el.getBoundingClientRect();
    if (box.right > page + 1 || el.scrollWidth > el.clientWidth + 1 && el.tagName !== 'svg')
      wide.push(`${el.tagName}.${el.className.baseVal ?? el.className} ${Math.round(box.right)}`
        + ` > ${page}`);
  }
  return wide;
}"""


@pytest.fixture(scope="module")
def exported(tmp_path_factory, module_demo):
    from core.analysis.signoff import charts

    con = module_demo()
    migration_id = con.execute("SELECT migration_id FROM migration").fetchone()[0]
    report = signoff.evaluate(con, migration_id)
    path = tmp_path_factory.mktemp("export") / "signoff.html"
    path.write_text(charts.export_html(report), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def chromium():
    with playwright_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield browser
        browser.close()


def test_the_export_shows_its_charts(chromium, exported):
    page = chromium.new_page(viewport={"width": 1280, "height": 800})
    page.goto(exported.as_uri())
    charts = page.locator("figure svg")
    assert charts.count() == 2
    for i in range(charts.count()):
        box = charts.nth(i).bounding_box()
        assert box and box["width"] > 100 and box["height"] > 50
        # Drawn marks, not an empty frame: bars, points, rules and axis labels.
        marks = charts.nth(i).locator("path, line, rect, text")
        assert marks.count() > 10
    assert "Judge pass rate" in page.inner_text("body")
    page.close()


def test_the_printed_pdf_cuts_nothing_off(chromium, exported):
    page = chromium.new_page(viewport={"width": PRINT_WIDTH_PX, "height": 1000})
    page.goto(exported.as_uri())
    page.emulate_media(media="print")
    # Laid out as print lays it out: no table, card, chart or line wider than the paper.
    assert page.evaluate(WIDEST) == []
    pdf = page.pdf(prefer_css_page_size=True, print_background=True)
    page.close()
    pages = len(re.findall(rb"/Type\s*/Page\b", pdf))
    assert pdf.startswith(b"%PDF") and pages >= 2
    # The page box is A4 (595 × 842 pt; Chromium writes 594.96 × 841.92), as @page asks.
    boxes = re.findall(rb"/MediaBox\s*\[\s*0 0 ([\d.]+) ([\d.]+)", pdf)
    assert boxes and all(abs(float(w) - 595) < 1 and abs(float(h) - 842) < 1 for w, h in boxes)
