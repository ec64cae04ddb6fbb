"""The archive's pages under moto: the office imports, edits and searches; nobody else may change it."""

from datetime import datetime, timedelta
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

import pytest

from chalicelib.adapters.aws import client as aws_client
from chalicelib.domain.staff import StaffRole
from chalicelib.settings import get_settings
from tests.fakes import valid_report

FORM = {"Content-Type": "application/x-www-form-urlencoded"}
# Dates from today's date, so the products are in warranty whenever the tests run: accepted about two
# months ago with 12 months of warranty; a product delivered about a year ago, then given 36 months.
TODAY = datetime.now(ZoneInfo("Asia/Shanghai")).date()
ACCEPTED = (TODAY - timedelta(days=60)).replace(day=10)
UNTIL = ACCEPTED.replace(year=ACCEPTED.year + 1) - timedelta(days=1)
DELIVERED = (TODAY - timedelta(days=365)).replace(day=1)
UNTIL_36 = DELIVERED.replace(year=DELIVERED.year + 3) - timedelta(days=1)
CSV = (
    "客户编号,客户名称,联系人,联系电话,省份,服务方案,重点客户,产品编号,产品型号,发货日期,终验收日期,保修期（月）\n"
    f"C001,苏州精密机械有限公司,王工,13800138000,江苏,premium,是,SN-2026-0042,KYN28-12,{ACCEPTED - timedelta(days=40)},"
    f"{ACCEPTED},12\n"
    "C002,深圳电气,李工,13900139000,广东,,否,SN-GD-7,GCS-1,2024-03-01,,12\n"
)


def cookie(token):
    return {"Cookie": f"sd_staff={token}"}


def get(client, path, token=None):
    return client.http.get(path, headers=cookie(token) if token else {})


def post(client, path, data, token=None):
    return client.http.post(path, body=urlencode(data), headers={**FORM, **(cookie(token) if token else {})})


def import_csv(client, token, text=CSV, lang="zh-CN"):
    upload = client.http.post(
        f"/staff/archive/import/upload?lang={lang}", body='{"filename": "客户档案.csv"}',
        headers={"Content-Type": "application/json", **cookie(token)},
    )
    assert upload.status_code == 200, upload.body
    key = upload.json_body["key"]
    # What the browser does with the presigned POST: the file lands in the private bucket.
    aws_client("s3").put_object(Bucket=get_settings().bucket_name, Key=key, Body=text.encode("utf-8"))
    return post(client, f"/staff/archive/import?lang={lang}", {"key": key}, token)


@pytest.fixture
def desk(staff_token):
    return staff_token("desk")


def test_the_desk_imports_a_csv_and_sees_customers_products_and_warranty(client, desk):
    response = import_csv(client, desk, lang="en")
    assert response.status_code == 200
    body = response.body.decode()
    assert "Imported 2 rows." in body and "Customers: 2 new, 0 updated, 0 unchanged" in body

    listing = get(client, "/staff/archive", desk).body.decode()
    assert "苏州精密机械有限公司" in listing and "深圳电气" in listing

    page = get(client, "/staff/archive/customers/C001?lang=en", desk).body.decode()
    assert "SN-2026-0042" in page and f"In warranty (until {UNTIL})" in page
    other = get(client, "/staff/archive/customers/C002?lang=en", desk).body.decode()
    assert "Out of warranty (ended 2025-02-28)" in other


def test_importing_the_same_file_again_updates_rather_than_duplicates(client, desk):
    import_csv(client, desk)
    again = import_csv(client, desk, lang="en").body.decode()
    assert "Customers: 0 new, 0 updated, 2 unchanged" in again
    assert "Products: 0 new, 0 updated, 2 unchanged" in again


def test_a_bad_file_is_reported_row_by_row_in_the_pages_language_and_nothing_is_imported(client, desk):
    bad = CSV.replace("13900139000", "139").replace(str(ACCEPTED), ACCEPTED.strftime("%d/%m/%Y"))
    response = import_csv(client, desk, text=bad, lang="en")
    assert response.status_code == 400
    body = response.body.decode()
    assert "nothing was imported" in body
    assert "<td>2</td><td>终验收日期</td><td class=\"wrap\">Not a date" in body
    assert "<td>3</td><td>联系电话</td><td class=\"wrap\">Not a valid phone number." in body
    assert "苏州精密机械有限公司" not in get(client, "/staff/archive", desk).body.decode()
    zh = import_csv(client, desk, text=bad).body.decode()
    assert "没有导入任何内容" in zh and "电话号码格式不正确" in zh


def test_an_import_names_only_keys_it_handed_out(client, desk):
    response = post(client, "/staff/archive/import?lang=en", {"key": "uploads/photos/abc/x.png"}, desk)
    assert response.status_code == 400 and "did not upload" in response.body.decode()


def test_only_spreadsheets_may_be_uploaded(client, desk):
    response = client.http.post(
        "/staff/archive/import/upload?lang=en", body='{"filename": "virus.exe"}',
        headers={"Content-Type": "application/json", **cookie(desk)},
    )
    assert response.status_code == 400 and "CSV or Excel" in response.json_body["message"]


def test_search_finds_a_customer_by_phone_serial_or_name(client, desk):
    import_csv(client, desk)
    for text in ("139 0013 9000", "sn-gd-7", "深圳"):
        body = get(client, "/staff/archive?" + urlencode({"q": text}), desk).body.decode()
        assert "深圳电气" in body and "苏州精密" not in body, text


def test_a_new_customer_with_a_bad_phone_is_shown_again_with_the_message_by_the_field(client, desk):
    response = post(client, "/staff/archive/customers?lang=en",
                    {"customer_id": "C9", "name": "无锡电机厂", "phones": "12345", "province": "CN-JS",
                     "plan": "standard"}, desk)
    assert response.status_code == 400
    body = response.body.decode()
    assert 'id="phones-error">Not a valid phone number.' in body
    assert 'value="无锡电机厂"' in body, "the input is kept"


def test_a_customer_is_created_and_edited_and_an_old_edit_is_refused(client, desk):
    created = post(client, "/staff/archive/customers",
                   {"customer_id": "C9", "name": "无锡电机厂", "phones": "13700137000", "province": "CN-JS",
                    "plan": "basic", "key_customer": "yes"}, desk)
    assert created.status_code == 303 and created.headers["Location"].endswith("/staff/archive/customers/C9?saved=1")
    edit = {"name": "无锡电机厂", "phones": "13700137000, 0510-88886666", "province": "CN-JS", "plan": "basic",
            "version": "1"}
    assert post(client, "/staff/archive/customers/C9", edit, desk).status_code == 303
    stale = post(client, "/staff/archive/customers/C9?lang=en", edit, desk)
    assert stale.status_code == 409 and "Someone else just changed" in stale.body.decode()
    page = get(client, "/staff/archive/customers/C9", desk).body.decode()
    assert "+8651088886666" in page


def test_a_serial_number_can_be_filed_only_once(client, desk):
    import_csv(client, desk)
    product = {"serial_number": "sn-gd-7", "model": "X", "warranty_months": "12", "plan": ""}
    response = post(client, "/staff/archive/customers/C001/products?lang=en", product, desk)
    assert response.status_code == 409 and "already on file" in response.body.decode()


def test_a_product_is_edited_on_its_page(client, desk):
    import_csv(client, desk)
    page = get(client, "/staff/archive/product?serial=SN-GD-7", desk)
    assert page.status_code == 200 and 'value="GCS-1"' in page.body.decode()
    changed = post(client, "/staff/archive/product",
                   {"customer_id": "C002", "serial_number": "SN-GD-7", "model": "GCS-1", "delivery_date": str(DELIVERED),
                    "warranty_months": "36", "plan": "premium", "version": "1"}, desk)
    assert changed.status_code == 303
    body = get(client, "/staff/archive/product?serial=SN-GD-7&lang=en", desk).body.decode()
    assert f"In warranty (until {UNTIL_36})" in body


def test_a_report_with_a_known_serial_is_linked_and_shows_its_warranty(client, desk):
    import_csv(client, desk)
    report = valid_report(serial_number="sn-2026-0042", phone="13600136000")
    response = client.http.post("/requests?lang=en", body=urlencode(report), headers=FORM)
    assert response.status_code == 303
    tracking = client.http.get(response.headers["Location"].split("desk.example.com", 1)[-1] + "&lang=en")
    assert f"In warranty until {UNTIL}" in tracking.body.decode()
    page = get(client, "/staff/archive/customers/C001?lang=en", desk).body.decode()
    assert "SD-" in page and page.count(f"In warranty (until {UNTIL})") == 2  # the product and the ticket


# ---- who may do what ------------------------------------------------------------------------------


def test_without_signing_in_the_archive_sends_you_to_sign_in(client):
    assert get(client, "/staff/archive").status_code == 303
    assert post(client, "/staff/archive/customers", {"name": "x"}).status_code == 303


@pytest.mark.parametrize("method, path", [
    ("GET", "/staff/archive"),
    ("GET", "/staff/archive/customers/C001"),
    ("GET", "/staff/archive/product?serial=SN-GD-7"),
    ("GET", "/staff/archive/import"),
    ("POST", "/staff/archive/import"),
    ("POST", "/staff/archive/import/upload"),
    ("POST", "/staff/archive/customers"),
    ("POST", "/staff/archive/customers/C001"),
    ("POST", "/staff/archive/customers/C001/products"),
    ("POST", "/staff/archive/product"),
])
def test_a_technician_may_neither_read_nor_change_the_archive(client, staff_token, desk, method, path):
    import_csv(client, desk)
    tech = staff_token("wang", StaffRole.TECHNICIAN)
    if method == "GET":
        response = get(client, path, tech)
    elif path.endswith("/upload"):
        response = client.http.post(path, body='{"filename": "a.csv"}',
                                    headers={"Content-Type": "application/json", **cookie(tech)})
    else:
        response = post(client, path, {"name": "x", "key": "imports/x.csv"}, tech)
    assert response.status_code == 403


@pytest.mark.parametrize("role", [StaffRole.QUALITY, StaffRole.GENERAL_MANAGER])
def test_managers_and_quality_may_read_but_not_change_the_archive(client, staff_token, desk, role):
    import_csv(client, desk)
    reader = staff_token(f"reader-{role.value}".replace("_", "-"), role)
    assert get(client, "/staff/archive/customers/C001", reader).status_code == 200
    assert get(client, "/staff/archive/import", reader).status_code == 403
    assert post(client, "/staff/archive/customers/C001", {"name": "x"}, reader).status_code == 403
    assert 'id="edit-customer"' not in get(client, "/staff/archive/customers/C001", reader).body.decode()


def test_a_customers_tracking_token_grants_nothing_in_the_archive(client, desk):
    import_csv(client, desk)
    response = client.http.post("/requests", body=urlencode(valid_report()), headers=FORM)
    token = response.headers["Location"].rsplit("/t/", 1)[1].split("?")[0]
    for headers in ({"Cookie": f"sd_staff={token}"}, {"Authorization": f"Bearer {token}"}):
        assert client.http.get("/staff/archive/customers/C001", headers=headers).status_code == 303
        assert client.http.post("/staff/archive/import", body="key=x", headers={**FORM, **headers}).status_code == 303


def test_a_report_on_a_product_out_of_warranty_is_proposed_as_paid_with_its_reason(client, desk, staff_token):
    from chalicelib import wiring

    import_csv(client, desk)
    report = valid_report(serial_number="sn-gd-7", phone="13600136001")
    response = client.http.post("/requests", body=urlencode(report), headers=FORM)
    token = response.headers["Location"].split("/t/", 1)[1].split("?", 1)[0]
    number = wiring.services().tracking.find(token).number
    page = get(client, f"/staff/tickets/{number}", staff_token("supervisor")).body.decode()
    assert '<option value="paid" selected>' in page
    assert '<option value="out_of_warranty" selected>' in page
