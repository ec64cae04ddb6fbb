"""``make run``: the whole service desk on this machine, stopped cleanly by Ctrl-C.

Starts, in order:
1. the local AWS stand-in (``local.aws_store``: moto with durable state under ``LOCAL_STATE_DIR``),
2. the table, bucket, sending identity, staff topic, queues, staff pool and link-signing secret, made
   like the ``dev`` stage on AWS (``ensure_resources``, idempotent),
3. the Chalice dev server (``chalice local --stage local`` through ``local.dev_server``, without
   autoreload: its reloader child would outlive it); after the first start it starts together with
   the stand-in, with the resources' settings saved last time (``provisioned.json`` in the state
   directory), and is started again only if they changed,
4. the scheduler (``local.scheduler``), which runs the ``@app.schedule`` functions chalice local ignores
   and consumes the ``on_sqs_message`` queues as Lambda's event source mappings would.

All three children share this process's process group, so ``kill -9`` of the group takes everything
down at once (nothing acknowledged is lost: the app answers once what it wrote is on disk). They ignore
the terminal's SIGINT: on Ctrl-C or SIGTERM this process stops them itself, newest first, so the app
never talks to a store that has already gone. On Linux they also get SIGTERM if this process dies.

Environment: ``APP_PORT`` (8000), ``LOCAL_AWS_PORT`` (5000), ``LOCAL_STATE_DIR`` (``.local``).
"""

from __future__ import annotations

import contextlib
import ctypes
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import traceback
import urllib.error
import urllib.request
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"
STOP_GRACE_SECONDS = 10
# The app's settings that come from the resources (pool ids, queue URLs), as found at the last start.
PROVISIONED_FILE = "provisioned.json"
_PR_SET_PDEATHSIG = 1


class StartupError(Exception):
    pass


def port_is_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        # Like the servers themselves: a port left in TIME_WAIT by the last run is free to use.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((HOST, port))
        except OSError:
            return False
    return True


def _child_setup() -> None:  # runs in the child between fork and exec
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # inherited across exec: Ctrl-C is ours to handle
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError, AttributeError):
            ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


def seed_demo_roster(settings: object) -> None:
    """A fresh local stack gets demo holders of the escalation levels, so escalations reach the outbox."""
    from chalicelib.adapters.dynamodb_config import DynamoConfig
    from ops.config import DEMO_ROSTER

    store = DynamoConfig(settings.table_name)  # type: ignore[attr-defined]
    if not store.rosters():
        store.put_roster(DEMO_ROSTER)
        print("run: stored the demo escalation roster (python -m ops.config rosters list)", flush=True)


# Meets the pool's password policy (provision.STAFF_PASSWORD_POLICY: 12+ characters), as on AWS.
DEMO_PASSWORD = "Demo-pass-123"


def seed_demo_staff(pool_id: str) -> None:
    """One demo account per role (user name = role, e.g. ``supervisor``), local only."""
    from ops.staff import DEMO_STAFF, add_demo_staff

    add_demo_staff(pool_id, DEMO_PASSWORD)
    print(f"run: demo staff {', '.join(DEMO_STAFF)} (password {DEMO_PASSWORD})", flush=True)


class Stack:
    def __init__(self, app_port: int, aws_port: int, state_dir: Path) -> None:
        self.app_port = app_port
        self.aws_port = aws_port
        self.state_dir = state_dir
        self.app_url = f"http://{HOST}:{app_port}"
        self.aws_url = f"http://{HOST}:{aws_port}"
        self.children: list[tuple[str, subprocess.Popen[bytes]]] = []
        self.stopping = threading.Event()
        # Settings known only once the resources exist (the staff pool's ids, the queue's URL).
        self.provisioned: dict[str, str] = {}

    def environment(self) -> dict[str, str]:
        env = dict(os.environ)
        env.update(
            {
                "AWS_ENDPOINT_URL": self.aws_url,
                "AWS_ACCESS_KEY_ID": "testing",
                "AWS_SECRET_ACCESS_KEY": "testing",
                "LOCAL_MODE": "true",
                "LOCAL_AWS_PORT": str(self.aws_port),
                "LOCAL_STATE_DIR": str(self.state_dir),
                # One clock for the app and the scheduler; tests and /local/clock move it forward.
                "CLOCK_FILE": str(self.state_dir / "clock.json"),
                # Cognito ids derived from names, not random: replaying the saved requests after a
                # restart must recreate the same pool, or the saved staff accounts would be lost.
                "MOTO_COGNITO_IDP_USER_POOL_ID_STRATEGY": "HASH",
                "MOTO_COGNITO_IDP_USER_POOL_CLIENT_ID_STRATEGY": "HASH",
                # Authenticator codes are checked, as Cognito does (moto takes any code unless told).
                "MOTO_COGNITO_IDP_USER_POOL_ENABLE_TOTP": "true",
                "PYTHONUNBUFFERED": "1",
            }
        )
        env.pop("AWS_SESSION_TOKEN", None)
        env.pop("AWS_PROFILE", None)  # a real profile must never be used against the stand-in
        env.setdefault("AWS_DEFAULT_REGION", "us-east-1")
        env.setdefault("PUBLIC_BASE_URL", self.app_url)
        env.update(self.provisioned)
        return env

    def spawn(self, name: str, args: list[str]) -> subprocess.Popen[bytes]:
        process = subprocess.Popen(args, cwd=REPO_ROOT, env=self.environment(), preexec_fn=_child_setup)
        self.children.append((name, process))
        return process

    def wait_for(self, name: str, url: str, process: subprocess.Popen[bytes], healthy_only: bool) -> None:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if self.stopping.is_set():
                raise StartupError("stopped during start-up")
            if process.poll() is not None:
                raise StartupError(f"{name} exited during start-up (exit code {process.returncode})")
            try:
                with urllib.request.urlopen(url, timeout=2):
                    return
            except urllib.error.HTTPError:
                if not healthy_only:
                    return  # it answers; what it answers is the app's business
            except (urllib.error.URLError, OSError):
                pass
            time.sleep(0.2)
        raise StartupError(f"{name} did not answer {url} within 120 s")

    def start(self) -> None:
        store = self.spawn("local AWS", [sys.executable, "-m", "local.aws_store"])
        # The app starts while the stand-in loads its state (seconds for a large one), with what the
        # resources were last time; its requests wait until the stand-in is ready (local.dev_server).
        saved = self.saved_provisioned()
        chalice = self.spawn_app(saved) if saved else None

        os.environ.update(self.environment())
        from botocore import handlers

        from chalicelib.adapters.provision import LINK_SIGNING_SECRET, ensure_resources, local_environment
        from chalicelib.settings import Settings
        from local.dev_server import mark_deferred
        from local.scheduler import apply_stage_environment

        # The resources' and demo accounts' writes (a few dozen at every start) are made durable by one
        # fsync once they are all in, as the app's are (local/dev_server.py), not one fsync each.
        handlers.BUILTIN_HANDLERS.append(("before-send", mark_deferred))

        self.wait_for("local AWS", f"{self.aws_url}/_local/health", store, healthy_only=True)
        # What chalice local and the scheduler add from .chalice/config.json, so the settings read here
        # are the app's.
        apply_stage_environment("local")
        resources = ensure_resources(Settings())
        print(f"run: resources ready: {resources}", flush=True)
        pool_id = resources["user_pool_id"]
        provisioned = {
            # Every variable each Lambda function gets from the stack, with the local resources' values
            # (the report-parts queue included: the monthly report fans out here as on AWS).
            **local_environment(Settings(), resources, region=os.environ["AWS_DEFAULT_REGION"]),
            # The stand-in serves the pool's keys here; its tokens still name the AWS issuer.
            "COGNITO_JWKS_URL": f"{self.aws_url}/{pool_id}/.well-known/jwks.json",
            # By name, not ARN: a CreateSecret replayed from the log gets a new random ARN suffix, which
            # would change the app's settings at each start until a snapshot holds the secret.
            "LINK_SIGNING_SECRET_NAME": LINK_SIGNING_SECRET,
        }
        os.environ.update(provisioned)
        seed_demo_roster(Settings())
        seed_demo_staff(pool_id)
        with urllib.request.urlopen(urllib.request.Request(f"{self.aws_url}/_local/sync", method="POST"), timeout=60):
            pass
        if provisioned != saved:  # a new state directory, or other ports: the app must know
            if chalice is not None:
                print("run: the resources' settings changed since the last start; restarting the app", flush=True)
                self.stop_child(chalice)
            chalice = self.spawn_app(provisioned)
            self.save_provisioned(provisioned)
        assert chalice is not None
        self.wait_for("chalice local", f"{self.app_url}/", chalice, healthy_only=False)
        self.spawn("scheduler", [sys.executable, "-m", "local.scheduler", "--stage", "local"])

    def spawn_app(self, provisioned: dict[str, str]) -> subprocess.Popen[bytes]:
        self.provisioned = provisioned
        return self.spawn(
            "chalice local",
            [
                sys.executable,
                "-m",
                "local.dev_server",  # chalice's CLI: a deeper backlog, 4xx for any method, durable answers
                "local",
                "--no-autoreload",
                "--host",
                HOST,
                "--port",
                str(self.app_port),
                "--stage",
                "local",
            ],
        )

    def saved_provisioned(self) -> dict[str, str]:
        try:
            saved = json.loads((self.state_dir / PROVISIONED_FILE).read_text())
        except (OSError, ValueError):
            return {}
        return saved if isinstance(saved, dict) else {}

    def save_provisioned(self, provisioned: dict[str, str]) -> None:
        path = self.state_dir / PROVISIONED_FILE
        temporary = path.with_name(f"{path.name}.tmp")
        temporary.write_text(json.dumps(provisioned, sort_keys=True))
        os.replace(temporary, path)  # a torn file would only cost the next start its head start

    def stop_child(self, process: subprocess.Popen[bytes]) -> None:
        process.terminate()
        try:
            process.wait(STOP_GRACE_SECONDS)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        self.children = [(name, child) for name, child in self.children if child is not process]

    def banner(self) -> str:
        try:
            shown = self.state_dir.relative_to(REPO_ROOT)
        except ValueError:
            shown = self.state_dir
        return "\n".join(
            [
                "",
                "Service desk is running. Ctrl-C stops everything.",
                f"  Customer form     {self.app_url}/",
                f"  Local outbox      {self.app_url}/local/outbox",
                f"  API docs          {self.app_url}/api/openapi.json",
                f"  Staff sign-in     {self.app_url}/staff/sign-in  (user = role, e.g. supervisor; password {DEMO_PASSWORD})",
                f"  Local clock       {self.app_url}/local/clock",
                f"  Local AWS (moto)  {self.aws_url}  (sent messages: {self.aws_url}/_local/sent-messages)",
                f"  Saved state       {shown}/  (make reset-local deletes it)",
                "",
            ]
        )

    def first_dead_child(self) -> tuple[str, int] | None:
        for name, process in self.children:
            if process.poll() is not None:
                return name, process.returncode
        return None

    def stop(self) -> None:
        for _, process in reversed(self.children):
            if process.poll() is None:
                process.terminate()
        deadline = time.monotonic() + STOP_GRACE_SECONDS
        for name, process in reversed(self.children):
            try:
                process.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                print(f"run: {name} did not stop within {STOP_GRACE_SECONDS} s; killing it", flush=True)
                process.kill()
                process.wait()


def main() -> int:
    app_port = int(os.environ.get("APP_PORT", "8000"))
    aws_port = int(os.environ.get("LOCAL_AWS_PORT", "5000"))
    state_dir = Path(os.environ.get("LOCAL_STATE_DIR") or REPO_ROOT / ".local").resolve()

    taken = [
        (name, port) for name, port in (("APP_PORT", app_port), ("LOCAL_AWS_PORT", aws_port)) if not port_is_free(port)
    ]
    if taken or app_port == aws_port:
        for name, port in taken:
            print(
                f"run: port {port} on {HOST} is already in use (another `make run`?). "
                f"Stop whatever holds it, or choose another port: {name}=<port> make run",
                file=sys.stderr,
            )
        if app_port == aws_port:
            print("run: APP_PORT and LOCAL_AWS_PORT must differ", file=sys.stderr)
        return 2

    stack = Stack(app_port, aws_port, state_dir)
    received: list[int] = []

    def on_signal(signum: int, frame: object) -> None:
        received.append(signum)
        stack.stopping.set()

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)

    exit_code = 0
    try:
        stack.start()
        print(stack.banner(), flush=True)
        while not stack.stopping.wait(0.5):
            dead = stack.first_dead_child()
            if dead is not None:
                print(f"run: {dead[0]} stopped unexpectedly (exit code {dead[1]}); stopping the rest", file=sys.stderr)
                exit_code = 1
                break
    except StartupError as error:
        if not received:
            print(f"run: {error}", file=sys.stderr)
            exit_code = 1
    except Exception as error:  # e.g. ensure_resources failed: stop the children before reporting it
        traceback.print_exc()
        print(f"run: start-up failed: {error!r}", file=sys.stderr)
        exit_code = 1
    finally:
        print("run: stopping…", flush=True)
        stack.stop()
        print("run: stopped", flush=True)
    return exit_code


if __name__ == "__main__":
    sys.exit(main())
