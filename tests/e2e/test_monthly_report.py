"""On the running local stack: the monthly report job, run as the scheduler runs it, emails this month's
report (run with a clock moved into next month) and the email lands in the local outbox with its charts
and attachments."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import urllib.request
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from chalicelib.domain.reports import ReportMonth
from tests.e2e.stack import LocalStack
from tests.fakes import valid_report

pytestmark = pytest.mark.e2e
REPO_ROOT = Path(__file__).resolve().parents[2]


def open_ticket(stack: LocalStack) -> str:
    request = urllib.request.Request(
        stack.app_url + "/api/requests", data=json.dumps(valid_report(product_model="MNS-E2E")).encode(),
        headers={"Content-Type": "application/json"}, method="POST",
    )
    with urllib.request.urlopen(request) as response:
        return json.load(response)["number"]


def test_the_report_job_run_by_the_scheduler_lands_in_the_outbox_with_charts_and_attachments(
    local_stack: LocalStack, tmp_path: Path
) -> None:
    number = open_ticket(local_stack)
    this_month = ReportMonth.of(datetime.now(UTC))
    # The job reports the month before its "now": run it on a clock two days into next month. Its own
    # clock file, so the shared stack's clock (other tests) does not move.
    clock = tmp_path / "clock.json"
    run_at = this_month.end() + timedelta(days=2)
    clock.write_text(json.dumps({"offset_seconds": (run_at - datetime.now(UTC)).total_seconds()}))
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(
        AWS_ENDPOINT_URL=local_stack.aws_url, AWS_ACCESS_KEY_ID="local", AWS_SECRET_ACCESS_KEY="local",
        AWS_DEFAULT_REGION="us-east-1", CLOCK_FILE=str(clock), PUBLIC_BASE_URL=local_stack.app_url,
    )
    done = subprocess.run([sys.executable, "-m", "local.scheduler", "--run-now", "monthly_report"], cwd=REPO_ROOT,
                          env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr

    with urllib.request.urlopen(local_stack.app_url + "/local/outbox") as response:
        outbox = response.read().decode()
    label = this_month.label
    assert f"service-report-{label}.csv" in outbox
    assert f"service-report-{label}.xlsx" in outbox
    assert outbox.count("Content-Type: image/png") >= 2
    assert "Content-ID: &lt;" in outbox or "Content-ID:" in outbox
    assert "gm@service-desk.local" in outbox and "quality@service-desk.local" in outbox

    again = subprocess.run([sys.executable, "-m", "local.scheduler", "--run-now", "monthly_report"], cwd=REPO_ROOT,
                           env=env, capture_output=True, text=True, timeout=120)
    assert again.returncode == 0
    with urllib.request.urlopen(local_stack.app_url + "/local/outbox") as response:
        assert response.read().decode().count(f"service-report-{label}.csv") == outbox.count(
            f"service-report-{label}.csv"), "a second run sends nothing"
    assert number
