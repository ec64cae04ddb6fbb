"""The rendered acceptance form is a well-formed one-page PDF carrying the text and the signature."""

from __future__ import annotations

import re
import zlib

from chalicelib.services.acceptance_pdf import FormImage, FormLine, render_acceptance_pdf


def render(**kwargs):
    return render_acceptance_pdf(
        "产品服务验收单 Product Service Acceptance Form",
        [FormLine("客户 Customer", "苏州精密机械有限公司"), FormLine("完成工作 Work done", "更换断路器。" * 80)],
        kwargs.get("image", FormImage(4, 2, b"\xff\x00\x00" * 8)),
        "客户签字 Customer signature",
        footer="SD-2026-000001",
    )


def test_every_cross_reference_points_at_its_object():
    pdf = render()
    assert pdf.startswith(b"%PDF-1.4") and pdf.rstrip().endswith(b"%%EOF")
    start = int(re.search(rb"startxref\n(\d+)\n", pdf).group(1))
    assert pdf[start:].startswith(b"xref\n0 9\n")
    offsets = re.findall(rb"(\d{10}) 00000 n \n", pdf[start:])
    assert len(offsets) == 8
    for number, offset in enumerate(offsets, start=1):
        assert pdf[int(offset):].startswith(f"{number} 0 obj".encode())


def test_the_text_is_written_in_the_chinese_standard_font_and_the_signature_is_an_image():
    pdf = render()
    assert b"/BaseFont /STSong-Light" in pdf and b"/Encoding /UniGB-UCS2-H" in pdf
    assert b"/Subtype /Image /Width 4 /Height 2" in pdf
    content = re.search(rb"8 0 obj\n<<  /Filter /FlateDecode /Length (\d+) >>\nstream\n", pdf)
    stream = pdf[content.end():content.end() + int(content.group(1))]
    text = zlib.decompress(stream).decode("ascii")
    assert "苏州精密机械有限公司".encode("utf-16-be").hex().upper() in text
    assert "/Sig Do" in text
    assert text.count("Tj") > 10  # the long work report is wrapped over several lines


def test_characters_the_font_cannot_show_become_question_marks():
    pdf = render_acceptance_pdf("x\U0001F600\x07", [], None, "s")
    content = re.search(rb"8 0 obj\n<<  /Filter /FlateDecode /Length (\d+) >>\nstream\n", pdf)
    text = zlib.decompress(pdf[content.end():content.end() + int(content.group(1))]).decode("ascii")
    assert "x??".encode("utf-16-be").hex().upper() in text
    assert b"/XObject" not in pdf
