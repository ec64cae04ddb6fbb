"""The technician's buttons stay readable in sunlight: text and background of every button style used on
the phone have a WCAG contrast of at least 4.5:1, and small targets are at least 44 px tall."""

import re
from pathlib import Path

import pytest

STATIC = Path(__file__).resolve().parents[2] / "chalicelib" / "web" / "static"
COLORS = {"var(--accent)": "#0b5cad", "var(--error)": "#b3261e", "#fff": "#ffffff"}


def declarations(selector: str) -> dict[str, str]:
    """The declarations for ``selector`` after the cascade of site.css, then tech.css (the phone's order)."""
    found: dict[str, str] = {}
    for sheet in ("site.css", "tech.css"):
        for selectors, body in re.findall(r"([^{}]+)\{([^}]*)\}", (STATIC / sheet).read_text()):
            if selector in [s.strip() for s in re.sub(r"/\*.*?\*/", "", selectors, flags=re.S).split(",")]:
                for name, value in re.findall(r"([\w-]+)\s*:\s*([^;]+)", body):
                    found[name] = value.strip()
    return found


def luminance(color: str) -> float:
    color = COLORS.get(color, color).lstrip("#")
    if len(color) == 3:
        color = "".join(c * 2 for c in color)
    channels = [int(color[i:i + 2], 16) / 255 for i in (0, 2, 4)]
    r, g, b = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a: str, b: str) -> float:
    high, low = sorted((luminance(a), luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


@pytest.mark.parametrize("selector", ["button", "button.secondary", "button.warn", "button.small"])
def test_every_phone_button_is_readable(selector):
    style = {**declarations("button"), **declarations(selector)}
    assert contrast(style["color"], style["background"]) >= 4.5, style


@pytest.mark.parametrize("selector", [".job-link", "button.small", "input[type=file]"])
def test_small_targets_are_at_least_44_px_tall(selector):
    assert declarations(selector).get("min-height") == "44px"


def test_the_schedule_keeps_each_milestone_on_one_line_and_scrolls_sideways_instead():
    assert declarations(".schedule td:not(:last-child)")["white-space"] == "nowrap"
    assert declarations(".table-scroll")["overflow-x"] == "auto"
