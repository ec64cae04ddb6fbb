"""The rendered acceptance form looks like the paper form: a titled table of ruled boxes, each label with
its value in the box beside it, the satisfaction answer ticked, the signature inside its box and a box
for the company seal, all on one page however long the texts are."""

from __future__ import annotations

import io
import re
import zlib
from dataclasses import replace

import pytest

from chalicelib.services import pdf_font as pdf_font_module
from chalicelib.services.acceptance_pdf import (
    PAGE_HEIGHT,
    PAGE_WIDTH,
    AcceptanceForm,
    FormChoice,
    FormImage,
    FormLine,
    render_acceptance_pdf,
)
from tests.pdf_page import Page
from tests.pdf_raster import RenderedPage

SIGNATURE = FormImage(4, 2, b"\xff\x00\x00" * 8)
FIELDS = {
    "客户": "苏州精密机械有限公司",
    "联系人/电话": "张经理 13800000000",
    "产品型号/编号": "XK-200 / SN-7781",
    "故障描述": "主轴异响，无法启动",
    "完成工作": "更换断路器，试运行正常",
    "使用备件": "断路器 ×1",
    "工时/路途": "3.5 h / 1 h",
    "材料/人工/差旅/运输": "120 / 300 / 80 / 0 = 500 CNY",
    "客户意见": "处理及时",
}
OPTIONS = ["满意", "基本满意", "不满意"]


def form(chosen=0, fault="主轴异响，无法启动"):
    fields = {**FIELDS, "故障描述": fault}
    lines = {label: FormLine(label, value, 6 if label == "故障描述" else 1) for label, value in fields.items()}
    return AcceptanceForm(
        title="产品服务验收单",
        heading="服务单号 SD-2026-000001",
        rows=[[lines["客户"], lines["联系人/电话"]], [lines["产品型号/编号"]], [lines["故障描述"]],
              [lines["完成工作"]], [lines["使用备件"]], [lines["工时/路途"]], [lines["材料/人工/差旅/运输"]],
              [lines["客户意见"]]],
        choice=FormChoice("服务评价", OPTIONS, chosen),
        closing_rows=[[FormLine("签字人", "王工"), FormLine("日期", "2026-12-05 14:30")]],
        signature_label="客户签字",
        seal_label="单位盖章",
        footer="SD-2026-000001 · 2026-12-05 14:30",
    )


def test_every_cross_reference_points_at_its_object():
    pdf = render_acceptance_pdf(form(), SIGNATURE)
    assert pdf.startswith(b"%PDF-1.4") and pdf.rstrip().endswith(b"%%EOF")
    start = int(re.search(rb"startxref\n(\d+)\n", pdf).group(1))
    assert pdf[start:].startswith(b"xref\n0 12\n")
    offsets = re.findall(rb"(\d{10}) 00000 n \n", pdf[start:])
    assert len(offsets) == 11
    for number, offset in enumerate(offsets, start=1):
        assert pdf[int(offset):].startswith(f"{number} 0 obj".encode())


def test_the_signature_is_an_image():
    pdf = render_acceptance_pdf(form(), SIGNATURE)
    assert b"/Subtype /Image /Width 4 /Height 2" in pdf


def test_the_title_is_centred_above_the_table():
    page = Page(render_acceptance_pdf(form(), SIGNATURE))
    title = page.text("产品服务验收单")
    assert abs((title.x + title.right) / 2 - PAGE_WIDTH / 2) < 1
    assert all(title.y > box.y + box.height for box in page.boxes)


@pytest.mark.parametrize(("label", "value"), [*FIELDS.items(), ("签字人", "王工"), ("日期", "2026-12-05 14:30")])
def test_each_label_has_its_own_box_with_the_value_in_the_box_beside_it(label, value):
    page = Page(render_acceptance_pdf(form(), SIGNATURE))
    label_box = page.box_around(page.text(label))
    value_box = page.box_right_of(label_box)
    assert value_box.holds(page.text(value).x, page.text(value).y, page.text(value).right)


@pytest.mark.parametrize("chosen", [0, 1, 2])
def test_the_chosen_satisfaction_is_ticked_in_the_square_before_it_and_only_that_one(chosen):
    page = Page(render_acceptance_pdf(form(chosen=chosen), SIGNATURE))
    [tick] = page.ticks
    for i, option in enumerate(OPTIONS):
        text = page.text(option)
        square = next(b for b in page.boxes if b.width == b.height and 0 < text.x - (b.x + b.width) < 10
                      and b.y <= text.y <= b.y + b.height)
        assert all(square.holds(x, y) for x, y in tick) == (i == chosen)


def test_an_unanswered_satisfaction_ticks_nothing_but_shows_the_three_squares():
    page = Page(render_acceptance_pdf(form(chosen=None), SIGNATURE))
    assert page.ticks == []
    assert all(page.text(option) for option in OPTIONS)


def test_the_company_seal_has_an_empty_box_of_its_own_at_the_right():
    page = Page(render_acceptance_pdf(form(), SIGNATURE))
    seal = page.box_around(page.text("单位盖章"))
    assert seal.width >= 120 and seal.height >= 100
    assert abs(seal.x + seal.width - (PAGE_WIDTH - 40)) < 0.01
    assert [t.text for t in page.texts if seal.holds(t.x, t.y)] == ["单位盖章"]


@pytest.mark.parametrize("image", [SIGNATURE, FormImage(600, 240, b"\x00" * 600 * 240 * 3),
                                   FormImage(100, 400, b"\x00" * 100 * 400 * 3)])
def test_the_signature_is_drawn_inside_its_box_keeping_its_proportions(image):
    page = Page(render_acceptance_pdf(form(), image))
    signature_box = page.box_right_of(page.box_around(page.text("客户签字")))
    [(width, height, x, y)] = page.images
    assert signature_box.holds(x, y, x + width, y + height)
    assert abs(width / height - image.width / image.height) < 0.01


def test_without_a_signature_no_image_is_placed():
    pdf = render_acceptance_pdf(form(), None)
    assert b"/XObject" not in pdf and Page(pdf).images == []


@pytest.mark.parametrize("fault", ["主轴异响，" * 400, "The spindle makes a grinding noise. " * 57, "x" * 2000])
def test_a_very_long_fault_description_stays_in_its_box_and_is_cut_with_an_ellipsis(fault):
    assert len(fault) >= 2000
    short_page = Page(render_acceptance_pdf(form(), SIGNATURE))
    page = Page(render_acceptance_pdf(form(fault=fault), SIGNATURE))
    fault_box = page.box_right_of(page.box_around(page.text("故障描述")))
    shown = [t for t in page.texts if fault_box.holds(t.x, t.y)]
    assert len(shown) == 6 and shown[-1].text.endswith("…")
    assert all(fault_box.holds(t.x, t.y, t.right) for t in shown)
    assert page.boxes == short_page.boxes  # the table keeps its shape
    for text in page.texts:
        assert text.x >= 0 and text.right <= PAGE_WIDTH and 0 <= text.y <= PAGE_HEIGHT
    assert min(b.y for b in page.boxes) > 40


def test_english_words_are_wrapped_whole():
    page = Page(render_acceptance_pdf(form(fault="The spindle makes a grinding noise when started. " * 6),
                                      SIGNATURE))
    fault_box = page.box_right_of(page.box_around(page.text("故障描述")))
    words = {"The", "spindle", "makes", "a", "grinding", "noise", "when", "started."}
    for text in (t for t in page.texts if fault_box.holds(t.x, t.y)):
        assert set(text.text.split()) <= words


def test_characters_the_font_cannot_show_become_question_marks():
    page = Page(render_acceptance_pdf(replace(form(), title="x\U0001F600\x07"), None))
    assert page.text("x??")


def test_the_font_is_embedded_as_a_subset_of_the_characters_on_the_form():
    pdf = render_acceptance_pdf(form(), SIGNATURE)
    assert b"/FontFile2" in pdf
    [name] = set(RenderedPage(pdf).fonts)
    assert re.fullmatch(r"[A-Z]{6}\+\w+", name)
    shown = set("".join(text.text for text in Page(pdf).texts))
    [font] = embedded_fonts(pdf)
    # Each character's glyph and the parts some are built of, out of the font's 30,000 and more.
    assert len(shown) < len(font.getGlyphOrder()) < 3 * len(shown)


def test_a_reader_gives_the_chinese_text_back():
    text = RenderedPage(render_acceptance_pdf(form(), SIGNATURE)).text
    for words in ("产品服务验收单", "苏州精密机械有限公司", "主轴异响，无法启动", "满意", "基本满意", "单位盖章"):
        assert words in text


def test_drawn_by_a_reader_each_box_of_the_table_has_its_text_in_it():
    pdf = render_acceptance_pdf(form(), SIGNATURE)
    page, drawn = Page(pdf), RenderedPage(pdf)
    for label in [*FIELDS, "签字人"]:
        label_box = page.box_around(page.text(label))
        for box in (label_box, page.box_right_of(label_box)):
            assert drawn.ink(box.x, box.y, box.width, box.height) > 0.005, label
    seal = page.box_around(page.text("单位盖章"))
    assert drawn.ink(seal.x, seal.y, seal.width, seal.height - 20) == 0  # left for the stamp


def embedded_fonts(pdf):
    from fontTools.ttLib import TTFont

    fonts = []
    for number in re.findall(rb"/FontFile2 (\d+) 0 R", pdf):
        found = re.search(rb"\n" + number + rb" 0 obj\n<< /Filter /FlateDecode /Length (\d+)[^>]*>>\nstream\n", pdf)
        fonts.append(TTFont(io.BytesIO(zlib.decompress(pdf[found.end():found.end() + int(found.group(1))]))))
    return fonts


def test_without_its_font_file_the_form_is_still_drawn_in_the_readers_standard_chinese_font(monkeypatch):
    monkeypatch.setattr(pdf_font_module, "FONT_FILES", ("/nowhere/font.ttc",))
    pdf_font_module.pdf_font.cache_clear()
    try:
        pdf = render_acceptance_pdf(form(), SIGNATURE)
    finally:
        pdf_font_module.pdf_font.cache_clear()
    assert b"/BaseFont /STSong-Light" in pdf and b"/FontFile2" not in pdf
    assert "产品服务验收单" in RenderedPage(pdf).text


def test_a_label_that_wraps_gets_a_row_tall_enough_to_keep_it_inside_its_box():
    costs = FormLine("Materials/labour/travel/transport", "1200 / 300 / 150 / 50 = 1700 CNY")
    page = Page(render_acceptance_pdf(replace(form(), rows=[[costs]]), None))
    label_lines = [t for t in page.texts if t.text in ("Materials/labour/", "travel/transport")]
    assert len(label_lines) == 2
    box = page.box_around(label_lines[0])
    for line in label_lines:
        assert box.holds(line.x, line.y - 2, line.right, line.y + line.size)  # descenders too
