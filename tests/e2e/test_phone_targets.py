"""On the technician's phone every control is a thumb's target: each button, link, field and choice on my
jobs and on a job's page (dispatched, then on site) is at least 44 px tall, and each button's words
stand out from its colour (WCAG contrast 4.5:1), measured in the browser as drawn."""

from __future__ import annotations

import pytest

from tests.e2e.stack import LocalStack
from tests.e2e.test_technician_phone import dispatched_job, sign_in

pytestmark = pytest.mark.e2e

# Each visible control's box and, for buttons, the contrast of its text on its background.
_CONTROLS = """() => {
  const rgb = (c) => (c.match(/[\\d.]+/g) || []).slice(0, 3).map(Number);
  const lum = ([r, g, b]) => {
    const f = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; };
    return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
  };
  const background = (el) => {
    for (; el; el = el.parentElement) {
      const c = getComputedStyle(el).backgroundColor;
      if (!/rgba\\(.*, 0\\)$/.test(c) && c !== "transparent") return rgb(c);
    }
    return [255, 255, 255];
  };
  const seen = [];
  const selector = "button, a[href], select, textarea, input:not([type=hidden]):not([type=radio]):not([type=checkbox]), label:has(> input)";
  for (const el of document.querySelectorAll(selector)) {
    const box = el.getBoundingClientRect();
    if (!box.width || !box.height || getComputedStyle(el).visibility === "hidden") continue;
    let contrast = null;
    if (el.tagName === "BUTTON") {
      const [a, b] = [lum(rgb(getComputedStyle(el).color)), lum(background(el))];
      contrast = (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
    }
    seen.push({what: el.id || el.textContent.trim().slice(0, 20) || el.name, height: box.height, contrast});
  }
  return seen;
}"""


def problems(page) -> list[dict]:
    controls = page.evaluate(_CONTROLS)
    assert controls
    return [c for c in controls if c["height"] < 44 or (c["contrast"] is not None and c["contrast"] < 4.5)]


def test_every_control_on_the_technicians_pages_is_a_readable_thumb_sized_target(
    local_stack: LocalStack, desk, phone_page
):
    page = phone_page
    number = dispatched_job(local_stack, desk, "触控检查公司")["number"]
    sign_in(page, local_stack, "tech-wang", "/staff/jobs")
    found = {"my jobs": problems(page)}
    page.goto(f"{local_stack.app_url}/staff/jobs/{number}")
    found["a dispatched job"] = problems(page)
    page.click("#check-in")
    page.wait_for_selector("#done")
    found["a job on site"] = problems(page)
    assert found == {"my jobs": [], "a dispatched job": [], "a job on site": []}
