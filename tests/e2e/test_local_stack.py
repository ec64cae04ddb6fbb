"""`make run` as a newcomer meets it: tickets survive a crash of the whole stack, Ctrl-C leaves
nothing behind, and a busy port is reported rather than half-started around."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from collections.abc import Callable
from typing import Any

import boto3
import pytest

from tests.e2e.stack import REPO_ROOT, LocalStack, free_port, processes_in_group

pytestmark = pytest.mark.e2e

TABLE_NAME = "service-desk"


def table(stack: LocalStack) -> Any:
    return boto3.resource(
        "dynamodb",
        endpoint_url=stack.aws_url,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    ).Table(TABLE_NAME)


def test_a_stored_ticket_survives_kill_9_of_the_whole_stack(local_stack: LocalStack) -> None:
    # Given a ticket the local stack has accepted
    key = {"pk": "TICKET#SD-2026-999999", "sk": "TICKET"}
    table(local_stack).put_item(Item={**key, "name": "张三", "status": "new"})

    # When every process of the stack is killed without warning, and the stack is started again
    local_stack.restart(kill9=True)

    # Then the ticket is still there
    item = table(local_stack).get_item(Key=key).get("Item")
    assert item is not None and item["name"] == "张三"


def test_ctrl_c_stops_every_process(start_private_stack: Callable[[], LocalStack]) -> None:
    stack = start_private_stack()
    children = [pid for pid in processes_in_group(stack.pgid) if pid != stack.pgid]
    assert len(children) >= 3, "expected the AWS stand-in, chalice local and the scheduler"

    assert stack.interrupt() == 0, stack.log()

    assert processes_in_group(stack.pgid) == []
    assert [pid for pid in children if os.path.exists(f"/proc/{pid}")] == []
    assert "run: stopped" in stack.log()


def test_a_busy_port_is_reported_and_nothing_starts(tmp_path: Any) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
        env.update(APP_PORT=str(port), LOCAL_AWS_PORT=str(free_port()), LOCAL_STATE_DIR=str(tmp_path / "state"))

        result = subprocess.run(
            [sys.executable, "-m", "local.run"], cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=60
        )

    assert result.returncode == 2
    assert f"port {port}" in result.stderr
    assert not (tmp_path / "state").exists()
