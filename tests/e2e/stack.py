"""The whole system started the way the README does (``python -m local.run``), on free ports and with
its own state directory, so the tests never touch a developer's running stack or saved tickets."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
BANNER = "Service desk is running"
START_TIMEOUT_SECONDS = 120
STOP_TIMEOUT_SECONDS = 30
# A safety net only: a job run on demand finishes in seconds on a quiet machine.
RUN_NOW_TIMEOUT_SECONDS = 300


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def processes_in_group(pgid: int) -> list[int]:
    """Live (non-zombie) processes whose process group is ``pgid``, read from /proc."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # Fields after the parenthesised command name: state, ppid, pgrp, ...
        state, _ppid, pgrp = stat.rsplit(")", 1)[1].split()[:3]
        if int(pgrp) == pgid and state != "Z":
            found.append(int(entry.name))
    return found


class LocalStack:
    """One ``python -m local.run`` in its own process group, as a terminal would start it."""

    def __init__(self, state_dir: Path, log_path: Path) -> None:
        self.state_dir = state_dir
        self.log_path = log_path
        self.app_port = free_port()
        self.aws_port = free_port()
        self.app_url = f"http://127.0.0.1:{self.app_port}"
        self.aws_url = f"http://127.0.0.1:{self.aws_port}"
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def pgid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def environment(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_") and k != "PYTEST_CURRENT_TEST"}
        env.update(
            APP_PORT=str(self.app_port),
            LOCAL_AWS_PORT=str(self.aws_port),
            LOCAL_STATE_DIR=str(self.state_dir),
            PUBLIC_BASE_URL=self.app_url,
        )
        # The suite sends far more reports from one address and one number than any customer would.
        for limit in ("INTAKE_LIMIT_PHONE_PER_HOUR", "INTAKE_LIMIT_IP_PER_HOUR", "CONFIRMATION_SMS_PER_PHONE_PER_DAY"):
            env.setdefault(limit, "100000")
        return env

    def start(self) -> None:
        # Output goes to a file, not a pipe: nobody reads the pipe, so it would fill up and block.
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "local.run"],
                cwd=REPO_ROOT,
                env=self.environment(),
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group, like a shell job
            )
        deadline = time.monotonic() + START_TIMEOUT_SECONDS
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"local.run exited with {self.process.returncode}:\n{self.log()}")
            if BANNER in self.log() and self._answers(self.app_url + "/"):
                return
            time.sleep(0.2)
        raise AssertionError(f"the local stack did not start within {START_TIMEOUT_SECONDS} s:\n{self.log()}")

    @staticmethod
    def _answers(url: str) -> bool:
        try:
            with urllib.request.urlopen(url, timeout=2):
                return True
        except urllib.error.HTTPError:
            return True
        except (urllib.error.URLError, OSError):
            return False

    def services_environment(self) -> dict[str, str]:
        """What the app's use cases need to run in a test's own process against this stack: its AWS, its
        clock, its address, and the staff pool it made (technicians' contacts are read from it)."""
        import boto3

        idp = boto3.client("cognito-idp", endpoint_url=self.aws_url, region_name="us-east-1",
                           aws_access_key_id="testing", aws_secret_access_key="testing")
        [pool] = idp.list_user_pools(MaxResults=10)["UserPools"]
        return {
            "AWS_ENDPOINT_URL": self.aws_url, "LOCAL_MODE": "true", "CLOCK_FILE": str(self.state_dir / "clock.json"),
            "PUBLIC_BASE_URL": self.app_url, "COGNITO_USER_POOL_ID": pool["Id"],
        }

    def run_now(self, name: str) -> None:
        """Runs one scheduled function of the app now (``POST /local/jobs/<name>``, in the app's process
        and with its clock) and returns when it has finished: a test then looks for what the job did
        instead of waiting for the scheduler's next tick, however busy the machine is."""
        request = urllib.request.Request(self.app_url + f"/local/jobs/{name}", data=b"{}", method="POST",
                                         headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=RUN_NOW_TIMEOUT_SECONDS) as response:
            assert response.status == 200, f"{name} answered {response.status}"

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def kill9(self) -> None:
        """A crash of everything at once: SIGKILL to the whole process group."""
        os.killpg(self.pgid, signal.SIGKILL)
        assert self.process is not None
        self.process.wait()
        self._wait_until_group_is_gone()

    def interrupt(self) -> int:
        """Ctrl-C in the terminal: SIGINT to the whole foreground process group. Returns the exit code."""
        os.killpg(self.pgid, signal.SIGINT)
        assert self.process is not None
        code = self.process.wait(STOP_TIMEOUT_SECONDS)
        self._wait_until_group_is_gone()
        return code

    def _wait_until_group_is_gone(self) -> None:
        deadline = time.monotonic() + STOP_TIMEOUT_SECONDS
        while processes_in_group(self.pgid) and time.monotonic() < deadline:
            time.sleep(0.1)

    def restart(self, kill9: bool) -> None:
        if kill9:
            self.kill9()
        else:
            assert self.interrupt() == 0, self.log()
        self.start()

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        try:
            self.interrupt()
        except subprocess.TimeoutExpired:
            self.kill9()
