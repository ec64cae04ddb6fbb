"""Nameplate QR codes under moto: the office downloads codes and label sheets, a scan opens the locked
report form, the ticket it makes is linked to the archived product, and bad codes are answered clearly."""

import re
from datetime import datetime
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest

from chalicelib.adapters.aws import client as aws_client
from chalicelib.adapters.dynamodb_archive import DynamoArchive
from chalicelib.adapters.dynamodb_tickets import DynamoTickets
from chalicelib.adapters.memory_archive import MemoryLabels
from chalicelib.domain.nameplates import new_label
from chalicelib.domain.staff import StaffRole
from chalicelib.settings import get_settings
from tests.integration.test_archive_pages import FORM, UNTIL, get, import_csv, post

AT = datetime(2026, 5, 1, 8, 0).astimezone()


@pytest.fixture
def desk(staff_token):
    return staff_token("desk")


@pytest.fixture
def filed(client, desk):
    assert import_csv(client, desk).status_code == 200


def s3_object(link: str) -> tuple[bytes, dict]:
    parts = urlsplit(link)
    key = parts.path.split("/", 2)[2] if parts.path.startswith(f"/{get_settings().bucket_name}/") else parts.path[1:]
    stored = aws_client("s3").get_object(Bucket=get_settings().bucket_name, Key=key)
    return stored["Body"].read(), parse_qs(parts.query)


def scan_url(client, desk, serial="SN-2026-0042") -> str:
    download = get(client, f"/staff/archive/product/code/png?serial={serial}", desk)
    assert download.status_code == 303
    page = get(client, f"/staff/archive/product?serial={serial}", desk).body.decode()
    return re.search(r'id="scan-url"[^>]* href="([^"]+)"', page).group(1)


def test_the_office_downloads_a_products_code_as_png_and_svg(client, desk, filed):
    page = get(client, "/staff/archive/product?serial=SN-2026-0042&lang=en", desk).body.decode()
    assert 'id="no-code"' in page and "/staff/archive/product/code/png?serial=SN-2026-0042" in page
    png = get(client, "/staff/archive/product/code/png?serial=SN-2026-0042", desk)
    assert png.status_code == 303
    body, query = s3_object(png.headers["Location"])
    assert body.startswith(b"\x89PNG") and query["response-content-type"] == ["image/png"]
    svg = get(client, "/staff/archive/product/code/svg?serial=SN-2026-0042", desk)
    body, query = s3_object(svg.headers["Location"])
    # Saved, never shown inline: an SVG opened from our storage's origin must not run anything.
    assert body.startswith(b"<?xml") and b"<svg" in body and query["response-content-disposition"][0].startswith(
        "attachment")
    page = get(client, "/staff/archive/product?serial=SN-2026-0042&lang=en", desk).body.decode()
    url = re.search(r'id="scan-url"[^>]* href="([^"]+)"', page).group(1)
    assert url.startswith("https://desk.example.com/q/") and "SN-2026" not in url
    assert get(client, "/staff/archive/product/code/gif?serial=SN-2026-0042", desk).status_code == 404
    assert get(client, "/staff/archive/product/code/png?serial=SN-NOPE", desk).status_code == 404


def test_a_customers_label_sheet_is_a_pdf_of_all_its_products(client, desk, filed):
    page = get(client, "/staff/archive/customers/C001", desk).body.decode()
    assert 'id="label-sheet"' in page
    sheet = get(client, "/staff/archive/customers/C001/labels", desk)
    assert sheet.status_code == 303
    body, query = s3_object(sheet.headers["Location"])
    assert body.startswith(b"%PDF") and query["response-content-type"] == ["application/pdf"]
    assert get(client, "/staff/archive/customers/NOPE/labels", desk).status_code == 404


def test_a_technician_gets_no_codes_and_only_the_office_withdraws_them(client, staff_token, desk, filed):
    tech = staff_token("wang", StaffRole.TECHNICIAN)
    assert get(client, "/staff/archive/product/code/png?serial=SN-2026-0042", tech).status_code == 403
    assert get(client, "/staff/archive/customers/C001/labels", tech).status_code == 403
    quality = staff_token("qa", StaffRole.QUALITY)
    assert post(client, "/staff/archive/product/withdraw-code", {"serial": "SN-2026-0042"}, quality).status_code == 403


def test_a_scan_opens_the_form_with_the_archive_filled_in_and_locked(client, desk, filed):
    path = urlsplit(scan_url(client, desk)).path
    page = client.http.get(path + "?lang=en")
    assert page.status_code == 200
    body = page.body.decode()
    for locked in ("苏州精密机械有限公司", "SN-2026-0042", "KYN28-12", f"In warranty (until {UNTIL})"):
        assert locked in body
    for name in ("customer_name", "serial_number", "product_model", "province"):
        assert f'name="{name}"' not in body  # shown, never posted
    assert 'name="description"' in body and 'id="photo-input"' in body
    assert 'name="address"' in body  # the archive has none for this customer, so it is asked for
    assert "+86138****8000" in body  # the number on file, masked
    assert "<script>" not in body


def test_a_scanned_report_becomes_a_ticket_linked_to_the_archived_product(client, desk, filed):
    path = urlsplit(scan_url(client, desk)).path
    response = client.http.post(path, headers=FORM, body=urlencode({
        "description": "合闸后跳闸", "idempotency_key": "a" * 32, "address": "工业园区 8 号",
        # Whatever else a scanner posts does not change what the archive says.
        "customer_name": "someone else", "serial_number": "SN-OTHER", "product_model": "X",
    }))
    assert response.status_code == 303, re.findall(r"class=\"error[^>]*>([^<]*)", response.body.decode())
    token = re.search(r"/t/([\w-]+)\?new=1$", response.headers["Location"]).group(1)
    tickets = DynamoTickets("service-desk")
    ticket = tickets.get(tickets.number_for_tracking_token(token))
    assert ticket.customer_id == "C001" and ticket.archived_serial == "SN-2026-0042" and ticket.warranty is True
    assert ticket.reporter.customer_name == "苏州精密机械有限公司" and ticket.product.model == "KYN28-12"
    assert ticket.reporter.phone == "+8613800138000" and ticket.reporter.contact_person == "王工"
    assert ticket.description == "合闸后跳闸" and ticket.reporter.address == "工业园区 8 号"
    customer_page = get(client, "/staff/archive/customers/C001", desk).body.decode()
    assert f'data-number="{ticket.number}"' in customer_page


def test_a_scanned_report_without_a_description_comes_back_with_what_was_typed(client, desk, filed):
    path = urlsplit(scan_url(client, desk)).path
    response = client.http.post(path + "?lang=en", headers=FORM, body=urlencode({
        "description": "", "phone": "13900139000", "idempotency_key": "b" * 32}))
    assert response.status_code == 400
    body = response.body.decode()
    assert 'id="description-error"' in body and 'value="13900139000"' in body and "SN-2026-0042" in body


def test_a_forged_code_is_a_clear_400(client, desk, filed):
    real = urlsplit(scan_url(client, desk)).path
    # A signature of letters no code has (typed, or mangled by a scanner app) is a forgery too, not a 500.
    unreadable = real.rsplit(".", 1)[0] + ".码"
    for path in (real[:-2] + ("xx" if not real.endswith("xx") else "yy"), "/q/SN-2026-0042", "/q/abc.def", unreadable):
        page = client.http.get(path + "?lang=en")
        assert page.status_code == 400 and "Not a valid code" in page.body.decode()
        posted = client.http.post(path, headers=FORM, body=urlencode({"description": "x"}))
        assert posted.status_code == 400


def test_a_withdrawn_code_shows_a_polite_notice_in_both_languages(client, desk, filed):
    path = urlsplit(scan_url(client, desk)).path
    withdrawn = post(client, "/staff/archive/product/withdraw-code?lang=en", {"serial": "SN-2026-0042"}, desk)
    assert withdrawn.status_code == 303 and "withdrawn=1" in withdrawn.headers["Location"]
    english = client.http.get(path + "?lang=en")
    assert english.status_code == 200 and "This code is no longer in use" in english.body.decode()
    chinese = client.http.get(path + "?lang=zh-CN")
    assert chinese.status_code == 200 and "此二维码已停用" in chinese.body.decode()
    assert client.http.post(path, headers=FORM, body=urlencode({"description": "x"})).status_code == 200
    assert scan_url(client, desk) != f"https://desk.example.com{path}"  # the next download issues a new code


@pytest.fixture(params=["memory", "dynamodb"])
def labels(request):
    if request.param == "memory":  # no moto for the in-memory one
        return MemoryLabels()
    request.getfixturevalue("aws")
    return DynamoArchive("service-desk")


def test_a_product_has_one_label_in_use_and_a_withdrawn_one_stays_on_file(labels):
    first, second = new_label("SN-1", AT, "desk"), new_label("SN-1", AT, "supervisor")
    assert labels.issue(first) is True
    assert labels.issue(second) is False  # two first downloads at once agree on one
    assert labels.in_use("SN-1") == first and labels.label(first.id) == first and labels.label(second.id) is None
    assert labels.withdraw(first.withdrawn(AT, "desk")) is True
    assert labels.withdraw(first.withdrawn(AT, "desk")) is False
    assert labels.in_use("SN-1") is None and labels.label(first.id).withdrawn_by == "desk"
    assert labels.issue(second) is True and labels.in_use("SN-1") == second
