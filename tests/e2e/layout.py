"""Layout checks a browser can measure: each radio button beside its words, its label a thumb's target."""

from __future__ import annotations

# For each radio button: the gap from its right edge to its words, its label's height, its own width.
_RADIOS = """() => Array.from(document.querySelectorAll("input[type=radio]")).map((radio) => {
  const label = radio.closest("label");
  const words = Array.from(label.childNodes).find((n) => n.nodeType === 3 && n.textContent.trim());
  const range = document.createRange();
  range.selectNodeContents(words);
  const box = radio.getBoundingClientRect();
  return {name: radio.name, gap: range.getBoundingClientRect().left - box.right,
          height: label.getBoundingClientRect().height, width: box.width};
})"""


def assert_radios_sit_beside_their_words(page) -> None:
    radios = page.evaluate(_RADIOS)
    assert radios, "the page has radio buttons"
    for radio in radios:
        assert 0 <= radio["gap"] <= 16, radio
        assert radio["height"] >= 44 and radio["width"] <= 24, radio
