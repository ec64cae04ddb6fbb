"""The JSON API: same rules as the form, machine-readable answers, and an OpenAPI document."""

import json
import re
import threading

from openapi_spec_validator import validate as validate_openapi

from chalicelib.adapters.aws import client as aws_client
from tests.fakes import PNG, valid_report

JSON = {"Content-Type": "application/json"}


def post(client, path, body, **headers):
    raw = body if isinstance(body, str) else json.dumps(body)
    return client.http.post(path, body=raw, headers={**JSON, **headers})


def test_creating_a_request_returns_201_with_the_number_and_link(client):
    response = post(client, "/api/requests", valid_report(), **{"Idempotency-Key": "k1"})
    assert response.status_code == 201
    assert response.json_body["number"] == "SD-2026-000001"
    assert response.json_body["tracking_url"].startswith("https://desk.example.com/t/")


def test_the_same_idempotency_key_returns_the_first_result(client):
    first = post(client, "/api/requests", valid_report(), **{"Idempotency-Key": "k1"}).json_body
    second = post(client, "/api/requests", valid_report(), **{"Idempotency-Key": "k1"}).json_body
    assert first == second


def test_the_same_key_with_different_content_is_refused(client):
    post(client, "/api/requests", valid_report(), **{"Idempotency-Key": "k1"})
    response = post(client, "/api/requests", valid_report(description="other"), **{"Idempotency-Key": "k1"})
    assert response.status_code == 422
    assert response.json_body["error"] == "idempotency_mismatch"


def test_concurrent_retries_with_one_key_open_exactly_one_ticket(aws):
    from chalice.test import Client

    from app import app

    results = []

    def submit():
        with Client(app) as c:
            results.append(post(c, "/api/requests", valid_report(), **{"Idempotency-Key": "same"}).json_body)

    threads = [threading.Thread(target=submit) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len({r["number"] for r in results}) == 1
    items = aws_client("dynamodb").scan(TableName="service-desk")["Items"]
    assert len([i for i in items if i["sk"]["S"] == "TICKET"]) == 1


def test_invalid_fields_are_listed_with_messages_in_the_requested_language(client):
    response = post(client, "/api/requests?lang=en", {"customer_name": "x", "phone": "1"})
    assert response.status_code == 400
    fields = response.json_body["fields"]
    assert fields["phone"].startswith("This is not a valid phone number")
    assert fields["description"] == "This field is required."


def test_malformed_json_is_a_400_not_a_500(client):
    for body in ("{not json", "[1, 2]", "null", "\xff"):
        response = post(client, "/api/requests", body)
        assert response.status_code == 400, body
        assert response.json_body["error"] == "bad_json"


def test_a_huge_body_is_refused_with_413(client):
    response = post(client, "/api/requests", valid_report(description="x" * 300_000))
    assert response.status_code == 413


def test_upload_is_offered_only_for_images(client):
    response = post(client, "/api/uploads/photos", {"filename": "a.exe", "content_type": "application/x-msdownload"})
    assert response.status_code == 400
    ok = post(client, "/api/uploads/photos", {"filename": "a.png", "content_type": "image/png"})
    assert ok.status_code == 201
    fields = ok.json_body["fields"]
    assert fields["Content-Type"] == "image/png" and "policy" in fields


def test_oversized_and_wrong_type_uploads_are_deleted_by_the_check(client):
    s3 = aws_client("s3")
    for body, error in ((PNG + b"\0" * (10 * 1024 * 1024), "photo_too_large"), (b"%PDF-1.7 nope", "photo_not_image")):
        upload = post(client, "/api/uploads/photos", {"filename": "a.png", "content_type": "image/png"}).json_body
        s3.put_object(Bucket="service-desk-files", Key=upload["key"], Body=body)
        response = post(client, "/api/uploads/photos/check", {"key": upload["key"], "filename": "a.png"})
        assert response.status_code == 400
        assert response.json_body["error"] == error
        assert s3.list_objects_v2(Bucket="service-desk-files", Prefix=upload["key"]).get("KeyCount") == 0


def test_a_good_upload_passes_the_check(client):
    upload = post(client, "/api/uploads/photos", {"filename": "a.png", "content_type": "image/png"}).json_body
    aws_client("s3").put_object(Bucket="service-desk-files", Key=upload["key"], Body=PNG)
    assert post(client, "/api/uploads/photos/check", {"key": upload["key"]}).json_body == {"ok": True, "key": upload["key"]}


def test_tracking_by_token_shows_status_and_timeline(client):
    receipt = post(client, "/api/requests?lang=en", valid_report()).json_body
    tracked = client.http.get(f"/api/track/{receipt['tracking_token']}?lang=en").json_body
    assert tracked["number"] == receipt["number"]
    assert tracked["status_label"] == "Received, awaiting dispatch"
    assert [e["action"] for e in tracked["timeline"]] == ["submit"]
    assert client.http.get("/api/track/wrong").status_code == 404


def test_the_openapi_document_is_valid_and_lists_every_operation(client):
    document = client.http.get("/api/openapi.json").json_body
    validate_openapi(document)
    from app import app

    documented = {(path, method) for path, operations in document["paths"].items() for method in operations}
    routed = {(path, method.lower()) for path, methods in app.routes.items() if path.startswith("/api/")
              for method in methods}
    assert documented == routed
    assert {"/api/requests", "/api/track/{token}", "/api/v1/tickets", "/api/v1/webhooks"} <= set(document["paths"])
    assert "ServiceRequestInput" in document["components"]["schemas"]


def test_the_outbox_page_does_not_exist_outside_local_mode(on_aws, client):
    assert client.http.get("/local/outbox").status_code == 404


def test_the_document_states_what_a_valid_report_needs(client):
    """A client built from the document alone can fill in a report: the provinces, the phone's form,
    photo keys and types, and an example report that opens a ticket."""
    schemas = client.http.get("/api/openapi.json").json_body["components"]["schemas"]
    report = schemas["ServiceRequestInput"]
    fields = report["properties"]
    assert "CN-JS" in fields["province"]["enum"] and len(fields["province"]["enum"]) == 34
    assert fields["phone"]["pattern"] and fields["phone"]["maxLength"] == 32
    assert fields["photos"]["items"]["pattern"].startswith("^uploads/photos/")
    assert schemas["PhotoUploadRequest"]["properties"]["content_type"]["enum"][0] == "image/gif"
    [example] = report["examples"]
    response = client.http.post("/api/requests", body=json.dumps(example), headers=JSON)
    assert response.status_code == 201, response.body


def test_the_document_states_the_tracking_tokens_and_idempotency_keys_form(client):
    paths = client.http.get("/api/openapi.json").json_body["paths"]
    [token] = paths["/api/track/{token}"]["get"]["parameters"][:1]
    assert token["schema"] == {"type": "string", "pattern": "^[A-Za-z0-9_-]{32}$", "minLength": 32, "maxLength": 32}
    receipt = client.http.post("/api/requests", body=json.dumps(valid_report()), headers=JSON).json_body
    assert re.match(token["schema"]["pattern"], receipt["tracking_token"]), "the tokens handed out fit it"
    [key] = [p for p in paths["/api/requests"]["post"]["parameters"] if p["name"] == "Idempotency-Key"]
    assert key["schema"]["maxLength"] == 100
