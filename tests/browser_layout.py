"""Layout facts a browser test asserts on a page as rendered (issue 10): no horizontal
scroll, no element narrower than its text, no short label or heading broken into one
character per line, and the number to call as a big button inside the first screen."""

from __future__ import annotations

from playwright.sync_api import Page, ViewportSize

PHONE: ViewportSize = {"width": 390, "height": 844}
DESKTOP: ViewportSize = {"width": 1280, "height": 800}
VIEWPORTS = {"390": PHONE, "1280": DESKTOP}

#: Runs in the page: every visible element whose content is wider than its box, and every
#: text element squeezed into a column (more than two lines, under three characters wide),
#: and short labels (buttons, table heads, the header) that wrap at all.
_PROBLEMS = r"""
() => {
  const problems = [];
  const root = document.documentElement;
  if (root.scrollWidth > window.innerWidth) {
    problems.push(`horizontal scroll: ${root.scrollWidth} > ${window.innerWidth}`);
  }
  const lines = (el) => {
    const range = document.createRange();
    range.selectNodeContents(el);
    const size = parseFloat(getComputedStyle(el).fontSize);
    const tops = [...range.getClientRects()].filter((r) => r.width > 0).map((r) => r.top);
    tops.sort((a, b) => a - b);
    let count = 0, last = -1e9;
    for (const top of tops) { if (top - last > size * 0.6) { count++; last = top; } }
    return count;
  };
  const name = (el) => `${el.tagName.toLowerCase()}${el.id ? "#" + el.id : ""}` +
    ` "${el.textContent.trim().slice(0, 20)}"`;
  for (const el of document.querySelectorAll("body *")) {
    if (!el.getClientRects().length || ["SCRIPT", "svg", "path", "g", "title"].includes(el.tagName)) continue;
    const style = getComputedStyle(el);
    if (style.visibility === "hidden" || el.closest("[hidden]")) continue;
    if (el.scrollWidth > el.clientWidth + 1 && el.clientWidth > 0 && style.display !== "inline") {
      problems.push(`wider than its box: ${name(el)} ${el.scrollWidth} > ${el.clientWidth}`);
    }
    const text = [...el.childNodes].filter((n) => n.nodeType === 3).map((n) => n.textContent).join("").trim();
    if (!text) continue;
    const size = parseFloat(style.fontSize);
    const n = lines(el);
    if (n > 2 && el.getBoundingClientRect().width < size * 3) {
      problems.push(`one character per line: ${name(el)} (${n} lines)`);
    }
    const label = el.matches("button, .button, th, h1, h2, h3, .brand, .site-name, label, dt");
    if (label && el.textContent.trim().length <= 10 && n > 1) {
      problems.push(`short label wraps: ${name(el)} (${n} lines)`);
    }
  }
  return problems;
}
"""


def layout_problems(page: Page) -> list[str]:
    return list(page.evaluate(_PROBLEMS))


def assert_layout(page: Page) -> None:
    problems = layout_problems(page)
    assert not problems, f"{page.url} at {page.viewport_size}: " + "; ".join(problems)


def assert_call_button_on_first_screen(page: Page) -> None:
    """The tel: button is at least 44 px tall and wholly inside the first viewport."""
    page.evaluate("window.scrollTo(0, 0)")
    box = page.locator("#auth-number").bounding_box()
    viewport = page.viewport_size
    assert box is not None and viewport is not None
    assert box["height"] >= 44, box
    assert box["y"] >= 0 and box["y"] + box["height"] <= viewport["height"], (box, viewport)
    assert box["x"] >= 0 and box["x"] + box["width"] <= viewport["width"], (box, viewport)
