"""The administrator's webhooks page: a receiver is subscribed from the form, a wrong setup is answered
next to its field in the page's language, the delivery log is one click away, and only admins see it."""

import json
from urllib.parse import urlencode

import boto3

from chalicelib.domain.staff import StaffRole
from chalicelib.domain.webhooks import MOST_SUBSCRIPTIONS
from tests.fakes import valid_report
from tests.integration.test_staff_api import SECRET, SECRET_NAME, deliver

FORM = {"Content-Type": "application/x-www-form-urlencoded"}


def page(client, token, path="/staff/webhooks", body=None, lang="en"):
    headers = {"Cookie": f"sd_staff={token}"}
    if body is None:
        return client.http.get(f"{path}?lang={lang}", headers=headers)
    return client.http.post(f"{path}?lang={lang}", body=urlencode(body, doseq=True), headers={**headers, **FORM})


def subscription_form(**overrides):
    return {
        "name": "ERP",
        "url": "https://erp.example.com/hooks",
        "events": ["ticket.opened"],
        "secret_name": SECRET_NAME,
        **overrides,
    }


def test_one_subscription_too_many_is_answered_next_to_the_address_in_the_pages_language(client, staff_token):
    admin = staff_token("ops-admin", StaffRole.ADMIN)
    boto3.client("secretsmanager", region_name="us-east-1").create_secret(Name=SECRET_NAME, SecretString=SECRET)
    for _ in range(MOST_SUBSCRIPTIONS):
        assert page(client, admin, body=subscription_form()).status_code == 303
    refused = page(client, admin, body=subscription_form(), lang="zh-CN")
    assert refused.status_code == 400 and "这是上限" in refused.body.decode()
    api = client.http.post("/api/v1/webhooks?lang=en", body=json.dumps(subscription_form()),
                           headers={"Cookie": f"sd_staff={admin}", "Content-Type": "application/json"})
    assert api.status_code == 400 and "the most the desk can send to" in json.loads(api.body)["fields"]["url"]


def test_a_token_in_the_receivers_query_string_is_never_listed_back(client, staff_token):
    admin = staff_token("ops-admin", StaffRole.ADMIN)
    boto3.client("secretsmanager", region_name="us-east-1").create_secret(Name=SECRET_NAME, SecretString=SECRET)
    api = {"Cookie": f"sd_staff={admin}", "Content-Type": "application/json"}
    made = client.http.post("/api/v1/webhooks", headers=api, body=json.dumps(
        subscription_form(url="https://erp.example.com/hooks?token=k7Qw9zS3cret&v=2")))
    assert made.status_code == 201
    subscription = json.loads(made.body)
    listed = json.loads(client.http.get("/api/v1/webhooks", headers=api).body)["items"]
    shown = "https://erp.example.com/hooks?token=***&v=***"
    assert subscription["url"] == shown and [s["url"] for s in listed] == [shown]
    for path in ("/staff/webhooks", f"/staff/webhooks/{subscription['id']}"):
        body = page(client, admin, path).body.decode()
        assert "token=***" in body and "k7Qw9zS3cret" not in body


def test_an_admin_subscribes_a_receiver_and_reads_its_delivery_log(client, staff_token):
    admin = staff_token("ops-admin", StaffRole.ADMIN)
    boto3.client("secretsmanager", region_name="us-east-1").create_secret(Name=SECRET_NAME, SecretString=SECRET)
    assert "/staff/webhooks" in page(client, admin, "/staff").body.decode()

    # Nothing listens on port 1 of this machine: every attempt fails and is retried.
    added = page(client, admin, body=subscription_form(url="http://127.0.0.1:1/hooks"))
    assert added.status_code == 303 and "done=added" in added.headers["Location"]
    listed = page(client, admin).body.decode()
    assert "http://127.0.0.1:1/hooks" in listed and "Ticket opened" in listed
    subscription = listed.split('data-subscription="', 1)[1].split('"', 1)[0]

    client.http.post("/api/requests", body=json.dumps(valid_report()), headers={"Content-Type": "application/json"})
    deliver(client)
    log = page(client, admin, f"/staff/webhooks/{subscription}").body.decode()
    assert "failed, will retry" in log and "SD-2026-000001" in log

    removed = page(client, admin, f"/staff/webhooks/{subscription}/remove", body={})
    assert removed.status_code == 303
    assert "No subscriptions yet." in page(client, admin).body.decode()


def test_a_wrong_setup_is_answered_next_to_its_field(client, staff_token):
    admin = staff_token("ops-admin", StaffRole.ADMIN)
    plain = page(client, admin, body=subscription_form(url="http://erp.example.com/hooks", events=[]))
    text = plain.body.decode()
    assert plain.status_code == 400
    assert 'id="w-url-error"' in text and "https://" in text and 'id="w-events-error"' in text
    missing = page(client, admin, body=subscription_form(), lang="zh-CN")
    assert missing.status_code == 400 and "签名密钥不可用" in missing.body.decode()


def test_only_admins_open_the_page(client, staff_token):
    supervisor = staff_token("sup-1", StaffRole.SUPERVISOR)
    assert "/staff/webhooks" not in page(client, supervisor, "/staff").body.decode()
    assert page(client, supervisor).status_code == 403
    assert page(client, supervisor, body=subscription_form()).status_code == 403
