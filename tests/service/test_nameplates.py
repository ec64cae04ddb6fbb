"""Nameplate QR codes over in-memory adapters: a code names its product without spelling its serial,
opens what the archive knows, and a withdrawn code stops working without becoming an error."""

import re
import zlib
from datetime import date

import pytest
import segno

from chalicelib.adapters.memory import FixedClock, MemoryFiles
from chalicelib.adapters.memory_archive import MemoryArchive, MemoryLabels
from chalicelib.adapters.signed_links import HmacLabelSigner
from chalicelib.domain.archive import Customer, InstalledProduct
from chalicelib.domain.permissions import SystemActor
from chalicelib.domain.warranty import WarrantyStatus
from chalicelib.services.archive import UnknownProduct
from chalicelib.services.label_sheet import Label, label_sheet_pdf
from chalicelib.services.nameplates import CodeWithdrawn, ForgedCode, NameplateConfig, NameplateService

SECRET = "test-secret-that-is-long-enough-for-hs256"


@pytest.fixture
def archive():
    archive = MemoryArchive()
    archive.save_customer(Customer(id="C001", name="苏州精密机械", contact_person="王工", phones=("+8613800138000",),
                                   province="CN-JS", city="苏州", address="工业园区 1 号"), None)
    for serial, model in (("SN-2026-0042", "KYN28-12"), ("SN-2026-0043", "GCS-1")):
        archive.save_product(InstalledProduct(serial_number=serial, customer_id="C001", model=model,
                                              acceptance_date=date(2026, 1, 10), warranty_months=12), None)
    return archive


@pytest.fixture
def files():
    return MemoryFiles()


def service(archive, files=None, secret=SECRET, labels=None):
    return NameplateService(archive, labels if labels is not None else MemoryLabels(), HmacLabelSigner(secret),
                            files or MemoryFiles(), FixedClock(),
                            NameplateConfig(public_base_url="https://desk.example.com", timezone="Asia/Shanghai"))


def token_of(url: str) -> str:
    return url.rsplit("/q/", 1)[1]


def test_a_product_gets_one_code_that_does_not_spell_its_serial(archive):
    nameplates = service(archive)
    url = nameplates.code_url("sn-2026-0042", actor=SystemActor("desk"))
    assert re.fullmatch(r"https://desk\.example\.com/q/[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{16}", url)
    assert "0042" not in url and "2026" not in url
    assert nameplates.code_url("SN-2026-0042", actor=SystemActor("supervisor")) == url  # issued once, then reused
    assert nameplates.code_url("SN-2026-0043", actor=SystemActor("desk")) != url
    assert nameplates.label_in_use("SN-2026-0042").issued_by == "desk"


def test_scanning_a_code_opens_its_product_customer_and_warranty(archive):
    nameplates = service(archive)
    scanned = nameplates.scan(token_of(nameplates.code_url("SN-2026-0042", actor=SystemActor("desk"))))
    assert scanned.product.serial_number == "SN-2026-0042" and scanned.customer.name == "苏州精密机械"
    assert scanned.warranty.status == WarrantyStatus.IN_WARRANTY and scanned.warranty.until == date(2027, 1, 9)


@pytest.mark.parametrize("forge", [
    lambda token: token[:-1] + ("A" if token[-1] != "A" else "B"),  # one character of the signature changed
    lambda token: token.split(".")[0],  # no signature
    lambda token: "x" * 22 + "." + token.split(".")[1],  # another id under a real signature
    lambda token: "SN-2026-0042",  # a serial typed in
    lambda token: "",
])
def test_a_forged_code_is_told_apart(archive, forge):
    nameplates = service(archive)
    token = token_of(nameplates.code_url("SN-2026-0042", actor=SystemActor("desk")))
    with pytest.raises(ForgedCode):
        nameplates.scan(forge(token))


def test_a_code_signed_with_another_secret_is_forged(archive):
    labels = MemoryLabels()
    token = token_of(service(archive, labels=labels, secret="another-secret").code_url("SN-2026-0042", actor=SystemActor("d")))
    with pytest.raises(ForgedCode):
        service(archive, labels=labels).scan(token)


def test_a_withdrawn_code_stops_working_and_the_next_download_issues_a_new_one(archive):
    nameplates = service(archive)
    old = token_of(nameplates.code_url("SN-2026-0042", actor=SystemActor("desk")))
    assert nameplates.withdraw("SN-2026-0042", actor=SystemActor("supervisor")) is True
    assert nameplates.withdraw("SN-2026-0042", actor=SystemActor("supervisor")) is False  # nothing left to withdraw
    with pytest.raises(CodeWithdrawn):
        nameplates.scan(old)
    assert nameplates.label_in_use("SN-2026-0042") is None
    new = token_of(nameplates.code_url("SN-2026-0042", actor=SystemActor("desk")))
    assert new != old
    assert nameplates.scan(new).product.serial_number == "SN-2026-0042"
    with pytest.raises(CodeWithdrawn):
        nameplates.scan(old)


def test_a_code_whose_product_left_the_archive_is_withdrawn_not_forged(archive):
    nameplates = service(archive)
    token = token_of(nameplates.code_url("SN-2026-0042", actor=SystemActor("desk")))
    del archive.stored_products["SN-2026-0042"]
    with pytest.raises(CodeWithdrawn):
        nameplates.scan(token)


def test_codes_of_unknown_products_are_refused(archive):
    with pytest.raises(UnknownProduct):
        service(archive).code_url("SN-NOPE", actor=SystemActor("desk"))


def test_the_png_and_svg_files_carry_the_scan_url(archive, files):
    nameplates = service(archive, files)
    url = nameplates.code_url("SN-2026-0042", actor=SystemActor("desk"))
    png_link = nameplates.code_file("SN-2026-0042", "png", actor=SystemActor("desk"))
    svg_link = nameplates.code_file("SN-2026-0042", "svg", actor=SystemActor("desk"))
    png = files.objects[png_link.removeprefix("memory://")]
    svg = files.objects[svg_link.removeprefix("memory://")].decode()
    assert png.startswith(b"\x89PNG") and png_link.endswith("/SN-2026-0042.png")
    assert svg_link.endswith("/SN-2026-0042.svg") and 'width="' in svg and "mm" in svg
    assert modules_of_png(png) == [list(row) for row in segno.make(url, error="q").matrix]


def modules_of_png(png: bytes, scale: int = 10, border: int = 4) -> list[list[int]]:
    """The dark modules of a greyscale/bilevel PNG as segno writes it (one bit per pixel)."""
    chunks, pos = {}, 8
    while pos < len(png):
        length = int.from_bytes(png[pos:pos + 4], "big")
        kind = png[pos + 4:pos + 8]
        chunks.setdefault(kind, b"")
        chunks[kind] += png[pos + 8:pos + 8 + length]
        pos += 12 + length
    width = int.from_bytes(chunks[b"IHDR"][0:4], "big")
    assert chunks[b"IHDR"][8] == 1  # one bit per pixel
    raw = zlib.decompress(chunks[b"IDAT"])
    stride = (width + 7) // 8 + 1
    rows, previous = [], bytes(stride)
    for i in range(width):
        row = raw[i * stride:(i + 1) * stride]
        assert row[0] in (0, 2)  # segno writes rows as they are, or "same as above"
        if row[0] == 2:
            row = bytes([2]) + bytes((a + b) & 0xFF for a, b in zip(row[1:], previous[1:], strict=True))
        rows.append(row)
        previous = row
    size = width // scale - 2 * border

    def dark(x: int, y: int) -> int:
        px, py = (x + border) * scale, (y + border) * scale
        return 0 if rows[py][1 + px // 8] >> (7 - px % 8) & 1 else 1

    return [[dark(x, y) for x in range(size)] for y in range(size)]


def test_a_customers_label_sheet_has_every_product_with_model_and_serial(archive, files):
    nameplates = service(archive, files)
    link = nameplates.sheet_file("C001", actor=SystemActor("desk"), footer="C001")
    pdf = files.objects[link.removeprefix("memory://")]
    assert pdf.startswith(b"%PDF-1.4") and link.endswith("/labels-C001.pdf")
    text = b"".join(zlib.decompress(s) for s in re.findall(rb"stream\n(.*?)\nendstream", pdf, re.S))
    for words in ("KYN28-12", "SN-2026-0042", "GCS-1", "SN-2026-0043"):
        assert words.encode("utf-16-be").hex().upper().encode() in text
    assert service(archive).sheet_file("C-NONE", actor=SystemActor("desk")) is None


def test_a_sheet_of_many_labels_runs_over_pages_with_a_correct_cross_reference():
    pdf = label_sheet_pdf([Label(f"https://desk.example.com/q/{i}", ("M", f"SN-{i}")) for i in range(25)])
    assert pdf.count(b"/Type /Page ") == 3 and b"/Count 3" in pdf
    start = int(pdf.rsplit(b"startxref\n", 1)[1].split(b"\n")[0])
    assert pdf[start:start + 4] == b"xref"
    offsets = [int(line[:10]) for line in pdf[start:].split(b"\n")[3:] if line.endswith(b" n ")]
    for number, offset in enumerate(offsets, start=1):
        assert pdf[offset:].startswith(f"{number} 0 obj".encode())
