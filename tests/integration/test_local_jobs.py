"""Running a scheduled function now, on the local stack only (what ``python -m ops.smoke`` does there;
on AWS it invokes the Lambda function)."""

import json

from chalicelib import wiring

JSON = {"Content-Type": "application/json"}


def run(client, name, body=None):
    return client.http.post(f"/local/jobs/{name}", body=json.dumps(body or {}), headers=JSON)


def test_a_scheduled_function_runs_now_and_answers_what_it_returned(client):
    response = run(client, "sla_sweep")
    assert response.status_code == 200
    assert response.json_body == {"job": "sla_sweep", "result": None}


def test_the_monthly_reports_dry_run_builds_it_and_the_real_run_still_sends_it(client, monkeypatch):
    monkeypatch.setenv("REPORT_RECIPIENTS", "gm@example.com")
    wiring.reset()
    rehearsal = run(client, "monthly_report", {"dry_run": True}).json_body["result"]
    assert rehearsal["outcome"] == "rehearsed"

    assert run(client, "monthly_report").json_body["result"]["outcome"] == "sent"
    assert run(client, "monthly_report").json_body["result"]["outcome"] == "already_sent"


def test_only_scheduled_functions_can_be_run(client):
    assert run(client, "report_part").status_code == 404
    assert run(client, "blueprint").status_code == 404
    assert run(client, "nothing").status_code == 404


def test_outside_local_mode_there_are_no_jobs_to_run(on_aws, client):
    assert run(client, "sla_sweep").status_code == 404
