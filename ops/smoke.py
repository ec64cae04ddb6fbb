"""Smoke test of a running stage: what a customer, a supervisor and the scheduled jobs do, once, end to end.

    python -m ops.smoke --base-url https://desk.example.com --stack-name ServiceDesk-prod --phone 13912345678
    python -m ops.smoke --base-url http://127.0.0.1:8000          # the local stack (make run)

Checks, one line each (``ok`` or ``FAIL`` with the reason; a check whose input failed is ``skip``):

1. the app answers (not 503: every setting AWS must provide is there);
2. a photo is uploaded the way the form does it (presigned POST straight to the bucket) and checked;
3. a report with that photo opens a ticket (the JSON API);
4. its tracking page and ``/api/track/<token>`` show it;
5. a smoke-test staff account (made now with a temporary password, role supervisor) signs in as a new
   member of staff does: the temporary password replaced, an authenticator app enrolled and its code
   answered (TOTP) when the pool asks for it;
6. the ticket's staff page links the photo, and the link returns the bytes uploaded;
7. the SLA sweep and 8. the notification delivery run once without error;
9. the monthly report is built in dry-run mode (parts, assembly and its email; nothing is sent), the
   reports page shows it and its CSV downloads;
10. clean-up: the ticket (every item under it, its tracking link), its photo and the account are deleted.

The jobs run where the stage runs them. With ``--stack-name`` (AWS) they are the stack's Lambda functions,
invoked by name (``aws lambda invoke``), and the user pool, table and bucket come from the stack's
outputs: the caller's AWS credentials need ``cloudformation:DescribeStacks``/``DescribeStackResource``,
``lambda:InvokeFunction``, ``cognito-idp:Admin*`` on the pool, and delete rights on the table and
bucket. Without it the target is the local stack: the jobs run through its local-only
``POST /local/jobs/<name>`` and the stand-in is at ``--aws-endpoint-url``.

Exit status 0 when every check passed, 1 otherwise.
"""

from __future__ import annotations

import argparse
import html
import json
import os
import re
import secrets
import sys
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

import requests

from chalicelib.domain.staff import StaffRole

REQUEST_TIMEOUT = 30
SMOKE_ROLE = StaffRole.SUPERVISOR  # reads tickets and reports; nothing else is needed
ENROLLED = "enrolled an authenticator app (TOTP) and signed in with its code"
# A valid 4×4 PNG: the intake checks the bytes are an image.
PHOTO = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000004000000040802000000269309290000001049444154789c"
    "6338636c0c470cc47100fb1313212c5dcd230000000049454e44ae426082"
)
_HIDDEN = re.compile(r'<input type="hidden" name="(\w+)" value="([^"]*)">')
_PHOTO_LINKS = re.compile(r'<ul class="photos" id="photos">(.*?)</ul>', re.S)
_HREF = re.compile(r'href="([^"]+)"')


class CheckFailed(Exception):
    pass


class Jobs(Protocol):
    def run(self, name: str, *, dry_run: bool = False) -> Any: ...


@dataclass
class Target:
    """Where the stage keeps what the smoke test makes, and how its scheduled functions are run."""

    user_pool_id: str
    table: str
    bucket: str
    jobs: Jobs


def function_logical_id(name: str) -> str:
    """The stack keeps the logical id `chalice package` gives each function (``sla_sweep`` -> ``SlaSweep``)."""
    from chalice.utils import to_cfn_resource_name

    return str(to_cfn_resource_name(name))


class LambdaJobs:
    """The stack's scheduled functions, invoked synchronously by name with a scheduled event."""

    def __init__(self, stack_name: str) -> None:
        import boto3

        self._stack = stack_name
        self._cloudformation = boto3.client("cloudformation")
        self._lambda = boto3.client("lambda")

    def run(self, name: str, *, dry_run: bool = False) -> Any:
        function = self._cloudformation.describe_stack_resource(
            StackName=self._stack, LogicalResourceId=function_logical_id(name)
        )[
            "StackResourceDetail"
        ]["PhysicalResourceId"]
        event = {"detail-type": "Scheduled Event", "source": "aws.events", "resources": [],
                 "detail": {"dry_run": True} if dry_run else {}}
        response = self._lambda.invoke(FunctionName=function, Payload=json.dumps(event).encode())
        payload = response["Payload"].read().decode()
        if response.get("FunctionError"):
            raise CheckFailed(f"{function} failed: {payload[:500]} (see its log group)")
        return json.loads(payload) if payload else None


class LocalJobs:
    """The local stack runs a scheduled function on request (local mode only)."""

    def __init__(self, base_url: str) -> None:
        self._base_url = base_url

    def run(self, name: str, *, dry_run: bool = False) -> Any:
        response = requests.post(f"{self._base_url}/local/jobs/{name}", json={"dry_run": dry_run},
                                 timeout=REQUEST_TIMEOUT * 10)
        if response.status_code != 200:
            raise CheckFailed(f"{name}: HTTP {response.status_code} from /local/jobs (see the stack's log)")
        return response.json()["result"]


def deployed_target(stack_name: str) -> Target:
    import boto3

    stacks = boto3.client("cloudformation").describe_stacks(StackName=stack_name)["Stacks"]
    outputs = {o["OutputKey"]: o["OutputValue"] for o in stacks[0].get("Outputs", [])}
    return Target(user_pool_id=outputs["UserPoolId"], table=outputs["TableName"],
                  bucket=outputs["FilesBucketName"], jobs=LambdaJobs(stack_name))


def local_target(base_url: str, aws_endpoint_url: str) -> Target:
    # The stand-in accepts any credentials; a real profile must never be used against it.
    os.environ.update(AWS_ENDPOINT_URL=aws_endpoint_url, AWS_ACCESS_KEY_ID="local", AWS_SECRET_ACCESS_KEY="local")
    os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
    os.environ.pop("AWS_PROFILE", None)
    os.environ.pop("AWS_SESSION_TOKEN", None)
    from chalicelib.adapters.cognito import user_pool_named
    from chalicelib.adapters.provision import STAFF_POOL_NAME
    from chalicelib.settings import Settings

    settings = Settings(local_mode=True)
    pool_id = user_pool_named(STAFF_POOL_NAME)
    if pool_id is None:
        raise SystemExit(f"no user pool {STAFF_POOL_NAME!r} at {aws_endpoint_url}: is the local stack running?")
    return Target(user_pool_id=pool_id, table=settings.table_name, bucket=settings.bucket_name,
                  jobs=LocalJobs(base_url))


class _AnyLengthTotp:
    """The authenticator app. The local stand-in hands out a short secret that pyotp refuses by default."""

    def __init__(self, secret: str) -> None:
        import pyotp

        class Totp(pyotp.TOTP):
            min_secret_length_bits = 0

        self._totp = Totp(secret)

    def now(self) -> str:
        return str(self._totp.now())


@dataclass
class Smoke:
    base_url: str
    target: Target
    phone: str
    report_timeout: float = 300.0
    out: Callable[[str], None] = print
    http: requests.Session = field(default_factory=requests.Session)
    failed: bool = False
    # What the checks made, for the next checks and the clean-up.
    photo_key: str = ""
    number: str = ""
    token: str = ""
    username: str = ""

    # -- running checks ------------------------------------------------------------------------

    def check(self, name: str, run: Callable[[], str], needs: tuple[str, ...] = ()) -> None:
        missing = [need for need in needs if not getattr(self, need)]
        if missing:
            self.failed = True
            self.out(f"skip  {name}: an earlier check failed")
            return
        try:
            detail = run()
        except CheckFailed as error:
            self.failed = True
            self.out(f"FAIL  {name}: {error}")
        except (requests.RequestException, KeyError, ValueError) as error:
            self.failed = True
            self.out(f"FAIL  {name}: {type(error).__name__}: {error}")
        else:
            self.out(f"ok    {name}: {detail}")

    def run(self) -> int:
        try:
            self.check("the app answers", self.app_answers)
            self.check("photo upload", self.upload_photo)
            self.check("report with a photo", self.submit_report, needs=("photo_key",))
            self.check("tracking page", self.tracking_page, needs=("token",))
            self.check("staff sign-in", self.sign_in)
            self.check("photo viewed back", self.photo_viewed_back, needs=("number", "username"))
            self.check("SLA sweep", lambda: self.job("sla_sweep"))
            self.check("notification delivery", lambda: self.job("deliver_notifications"))
            self.check("monthly report (dry run)", self.monthly_report, needs=("username",))
        finally:
            self.check("clean-up", self.clean_up)
        return 1 if self.failed else 0

    # -- the checks ----------------------------------------------------------------------------

    def url(self, path: str) -> str:
        return self.base_url.rstrip("/") + path

    def expect(self, response: requests.Response, status: int, what: str) -> requests.Response:
        if response.status_code != status:
            hint = " (a setting AWS must provide is missing: see the function's log)" if response.status_code == 503 else ""
            raise CheckFailed(f"{what}: HTTP {response.status_code}, expected {status}{hint}")
        return response

    def app_answers(self) -> str:
        self.expect(self.http.get(self.url("/?lang=en"), timeout=REQUEST_TIMEOUT), 200, "the form")
        return "the report form is served"

    def upload_photo(self) -> str:
        upload = self.expect(
            self.http.post(self.url("/api/uploads/photos"), json={"filename": "smoke.png", "content_type": "image/png"},
                           timeout=REQUEST_TIMEOUT), 201, "presigned upload").json()
        stored = requests.post(upload["url"], data=upload["fields"],
                               files={"file": ("smoke.png", PHOTO, "image/png")}, timeout=REQUEST_TIMEOUT)
        if stored.status_code not in (200, 201, 204):
            raise CheckFailed(f"the bucket refused the upload: HTTP {stored.status_code} {stored.text[:300]}")
        self.expect(self.http.post(self.url("/api/uploads/photos/check"), json={"key": upload["key"]},
                                   timeout=REQUEST_TIMEOUT), 200, "photo check")
        self.photo_key = upload["key"]
        return f"stored and accepted as {upload['key']}"

    def submit_report(self) -> str:
        report = {
            "customer_name": "Smoke test (ops.smoke)", "phone": self.phone, "province": "CN-JS",
            "address": "ops.smoke", "product_model": "SMOKE-TEST", "description": "Smoke test after a deploy.",
            "photos": [self.photo_key],
        }
        receipt = self.expect(self.http.post(self.url("/api/requests?lang=en"), json=report, timeout=REQUEST_TIMEOUT),
                              201, "report").json()
        self.number, self.token = receipt["number"], receipt["tracking_token"]
        return f"ticket {self.number}"

    def tracking_page(self) -> str:
        page = self.expect(self.http.get(self.url(f"/t/{self.token}?lang=en"), timeout=REQUEST_TIMEOUT), 200,
                           "tracking page")
        if self.number not in page.text:
            raise CheckFailed("the tracking page does not name the ticket")
        tracked = self.expect(self.http.get(self.url(f"/api/track/{self.token}"), timeout=REQUEST_TIMEOUT), 200,
                              "tracking API").json()
        if tracked["number"] != self.number or tracked["photos"] != 1:
            raise CheckFailed(f"the tracking API shows {tracked['number']} with {tracked['photos']} photo(s)")
        return f"{self.number} shows as {tracked['status']}"

    def sign_in(self) -> str:
        """A new member of staff's first sign-in: the temporary password replaced, then an authenticator
        app enrolled with a code from it where the pool requires one (prod)."""
        from chalicelib.adapters.cognito import add_staff

        username = f"smoke-{uuid.uuid4().hex[:10]}"
        # Both meet the pool's policy (12+ characters, upper and lower case, a digit); used once.
        temporary, password = (f"Sm0ke-{secrets.token_urlsafe(18)}" for _ in range(2))
        add_staff(self.target.user_pool_id, username, [SMOKE_ROLE], temporary_password=temporary,
                  email=f"{username}@smoke-test.invalid")
        self.username = username
        form = {"username": username, "password": temporary, "next": "/staff"}
        response = self.http.post(self.url("/staff/sign-in?lang=en"), data=form, timeout=REQUEST_TIMEOUT)
        steps: list[str] = []
        for _ in range(4):  # a code refused at the turn of its 30 s window is followed by the next one
            hidden = {name: html.unescape(value) for name, value in _HIDDEN.findall(response.text)}
            step = hidden.get("step") or ("new_password" if 'id="new_password"' in response.text else None)
            if step == "new_password":
                steps.append("replaced its temporary password")
                form = {**hidden, "username": username, "new_password": password}
            elif step == "mfa_setup":
                steps += [] if ENROLLED in steps else [ENROLLED]
                form = {**hidden, "code": _AnyLengthTotp(hidden["secret"]).now()}
            elif step == "mfa":
                raise CheckFailed("the pool asks a new account for a code it never enrolled")
            else:
                break
            response = self.http.post(self.url("/staff/sign-in?lang=en"), data=form, timeout=REQUEST_TIMEOUT)
        home = self.expect(response, 200, "sign-in")
        if username not in home.text:
            raise CheckFailed("signed in, but the staff page does not name the account (is the cookie kept?)")
        if ENROLLED not in steps:
            steps.append("no MFA asked (MFA optional)")
        return f"{username} as {SMOKE_ROLE.value}, " + ", ".join(steps)

    def photo_viewed_back(self) -> str:
        page = self.expect(self.http.get(self.url(f"/staff/tickets/{self.number}?lang=en"), timeout=REQUEST_TIMEOUT),
                           200, "ticket page")
        listed = _PHOTO_LINKS.search(page.text)
        links = [html.unescape(href) for href in _HREF.findall(listed.group(1))] if listed else []
        if len(links) != 1:
            raise CheckFailed(f"the ticket page links {len(links)} photo(s), expected 1")
        photo = requests.get(links[0], timeout=REQUEST_TIMEOUT)
        if photo.status_code != 200 or photo.content != PHOTO:
            raise CheckFailed(f"the presigned photo link answered HTTP {photo.status_code} with other bytes")
        return "the presigned link returns the uploaded bytes"

    def job(self, name: str) -> str:
        started = time.monotonic()
        self.target.jobs.run(name)
        return f"ran once in {time.monotonic() - started:.1f} s"

    def monthly_report(self) -> str:
        run = self.target.jobs.run("monthly_report", dry_run=True) or {}
        if run.get("outcome") not in ("rehearsed", "dry_run_started"):
            raise CheckFailed(f"the job answered {run!r}, expected a dry run (is REPORT_RECIPIENTS set?)")
        month = run["month"]
        deadline = time.monotonic() + self.report_timeout
        while True:
            page = self.expect(self.http.get(self.url(f"/staff/reports?month={month}&lang=en"),
                                             timeout=REQUEST_TIMEOUT), 200, "reports page")
            if 'id="report-building"' not in page.text and 'id="download-csv"' in page.text:
                break
            if time.monotonic() > deadline:
                raise CheckFailed(f"{month} was not assembled within {self.report_timeout:.0f} s: see ReportPart's "
                                  "log group and the report-parts dead-letter queue")
            time.sleep(3)
        rows = self.expect(self.http.get(self.url(f"/staff/reports/{month}/csv?lang=en"), timeout=REQUEST_TIMEOUT),
                           200, "CSV download")
        return f"{month} built with its email, nothing sent; CSV of {len(rows.content)} bytes downloads"

    def clean_up(self) -> str:
        from chalicelib.adapters.cognito import remove_staff
        from chalicelib.adapters.ticket_purge import delete_files, purge_ticket

        done = []
        if self.number:
            done.append(f"{purge_ticket(self.target.table, self.number, self.token)} items of {self.number}")
        if self.photo_key:
            delete_files(self.target.bucket, [self.photo_key])
            done.append("the photo")
        if self.username:
            remove_staff(self.target.user_pool_id, self.username)
            done.append(f"account {self.username}")
        return "deleted " + (", ".join(done) if done else "nothing (nothing was made)")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m ops.smoke", description=__doc__.split("\n\n")[0])
    parser.add_argument("--base-url", required=True, help="the URL people open (PublicBaseUrl, or the local app)")
    parser.add_argument("--stack-name", help="the deployed stack (ServiceDesk-<stage>); omit for the local stack")
    parser.add_argument("--phone", help="mobile number the ticket's confirmation SMS goes to (required on AWS: "
                        "use your own)")
    parser.add_argument("--aws-endpoint-url", default=f"http://127.0.0.1:{os.environ.get('LOCAL_AWS_PORT', '5000')}",
                        help="the local AWS stand-in (local stack only)")
    parser.add_argument("--report-timeout", type=float, default=300.0,
                        help="seconds to wait for the monthly report's parts to be assembled")
    args = parser.parse_args(argv)
    if args.stack_name:
        if not args.phone:
            parser.error("--phone is required with --stack-name: a real SMS goes to it")
        target = deployed_target(args.stack_name)
    else:
        target = local_target(args.base_url.rstrip("/"), args.aws_endpoint_url)
    smoke = Smoke(args.base_url, target, phone=args.phone or "13800138000", report_timeout=args.report_timeout,
                  out=lambda line: print(line, flush=True))
    return smoke.run()


if __name__ == "__main__":
    sys.exit(main())
