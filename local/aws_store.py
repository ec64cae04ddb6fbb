"""The local AWS stand-in: moto in server mode whose state survives restarts, crashes and ``kill -9``.

moto keeps everything in memory. The state is kept on disk as a snapshot of moto's backends plus a
short log of the requests that changed something since (``local/snapshots.py`` has the files):

- A request is appended to the log only after moto has answered it, and before the answer is sent.
  A client that saw success therefore finds its write in the log; a request cut off by a crash was
  never acknowledged. The log is in moto's recording format, written through moto's recorder.
- The log is fsync'ed before an answer leaves, so a write also survives the loss of the whole machine,
  not only of the process — grouped: one fsync covers every line written by then, so concurrent
  requests share it instead of queueing for one each (and no request waits for an fsync while it
  holds the lock). A request marked ``X-Local-Durability: deferred`` is answered once its line is
  written (it survives ``kill -9`` of any process, being in the kernel's page cache), and is made
  durable by the next fsync: the app's dev server marks its requests so and asks for one fsync
  (``POST /_local/sync``) before its own answer leaves (``local/app_server.py``), so a form post
  costs one fsync, not one per request it makes here.
- Requests are serialised by one lock (moto's backends are not thread-safe anyway), so the order in
  the log is the order they took effect. This matters for conditional writes: replaying two racing
  ``attribute_not_exists`` puts in another order would pick another winner. Any answer not marked
  deferred waits until everything written before it is durable, reads included: no client is shown
  a write that a power cut could still take back.
- Connections are kept open between requests (HTTP/1.1), so a client making many small requests
  does not open a connection and start a thread for each.
- Every ``SNAPSHOT_EVERY`` logged writes the store starts a new log and forks: the child pickles the
  backends as they are at that instant (copy-on-write memory, so the server does not wait for it) and
  writes the snapshot atomically (temporary file, fsync, rename). Once it is in place the older
  snapshot and logs are deleted. Start-up loads the newest snapshot and replays only the logs after
  it, so restarting takes about as long whether the store holds a hundred tickets or ten thousand.
- Reads (GET/HEAD, ``Get*``/``List*``/``Describe*``/``Query``/``Scan``…) and refused requests (HTTP
  4xx/5xx, which change nothing in moto) are not logged.
- A half-written last line, left by a crash in the middle of an append, is cut off before replaying.
- SQS is neither logged, replayed nor snapshotted: queues hold work in flight (the monthly report's
  parts), not data. Replaying a recorded SendMessage would hand out a part finished long ago again
  at every start-up, and the consumer's once-a-second ReceiveMessage would grow the log without end.
  ``ensure_resources`` creates the queues afresh at each start-up; messages waiting at a crash are
  gone, while what their work wrote (the report run in the table, files in S3) stays.
- moto's DynamoDB runs with ``local/moto_speedups.py``: without it a transaction copies the whole
  table for each of its items, and every form post is slower than the last.

Run: ``python -m local.aws_store`` (env ``LOCAL_AWS_PORT``, default 5000; ``LOCAL_STATE_DIR``, default
``.local`` in the repository). ``GET /_local/health`` answers 200 once the state is restored, and says
whether a snapshot is being written (``snapshotting``);
``GET /_local/sent-messages`` lists the emails and text messages sent, oldest first (``?limit=&skip=``:
one page counted from the newest; the header ``X-Total-Count`` says how many there are);
``POST /_local/sync`` makes every request answered so far durable and says how many lines the logs
have been written and fsync'ed (``GET`` only says, without an fsync).
"""

from __future__ import annotations

import base64
import email.parser
import http.client
import io
import json
import logging
import os
import re
import signal
import socket
import stat
import sys
import threading
import time
import traceback
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any, BinaryIO
from urllib.parse import parse_qs, urlsplit

from local import snapshots

REPO_ROOT = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"
HEALTH_PATH = "/_local/health"
SENT_MESSAGES_PATH = "/_local/sent-messages"
SYNC_PATH = "/_local/sync"
# A client that makes its writes durable itself, with ``POST /_local/sync``, before it tells anyone.
DEFERRED_HEADER = "X-Local-Durability"
DEFERRED_VALUE = "deferred"
_DEFERRED_ENVIRON_KEY = "HTTP_" + DEFERRED_HEADER.upper().replace("-", "_")
# An idle kept-open connection holds a thread: it is closed after this long.
KEEP_ALIVE_SECONDS = 120
# Logged writes between snapshots: what a restart replays at most (a few seconds' worth), against
# the cost of a snapshot (a fork, and a few seconds of CPU in the child at 10,000 tickets).
SNAPSHOT_EVERY = int(os.environ.get("LOCAL_AWS_SNAPSHOT_EVERY") or 1000)
# Files up to this size stay in memory rather than in a temporary file moto shares with the
# snapshot's child process (a file offset shared across a fork is not safe to read from both).
S3_KEY_BUFFER_BYTES = 256 * 1024 * 1024
# A clean stop waits this long for a snapshot being written, then as long for one of what was logged
# since: within the 10 s ``local.run`` gives the stand-in to stop.
STOP_SNAPSHOT_SECONDS = 4.5

# An action whose name starts like this only reads (DynamoDB GetItem/Query/Scan/BatchGetItem/
# TransactGetItems/Describe*, SES/SNS Get*/List*, STS GetCallerIdentity, ...).
READ_ONLY_ACTION_PREFIXES = ("Get", "List", "Describe", "Query", "Scan", "BatchGet", "TransactGet", "Head")
READ_ONLY_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
ENVIRON_ENTRY_KEY = "local.aws_store.entry"
# Services whose state does not outlive the stand-in (see the module's docstring).
TRANSIENT_SERVICES = frozenset({"sqs"})
# The service a SigV4 request is signed for: "Credential=KEY/20260101/us-east-1/sqs/aws4_request".
_SIGNED_FOR = re.compile(r"Credential=[^/,\s]+/\d{8}/[^/]+/([^/]+)/aws4_request")
_TRANSIENT_TARGET_PREFIXES = ("AmazonSQS.",)


def state_dir() -> Path:
    return Path(os.environ.get("LOCAL_STATE_DIR") or REPO_ROOT / ".local").resolve()


def action_of(method: str, environ: dict[str, Any], body: bytes) -> str | None:
    """The AWS action a request performs, for JSON-protocol (X-Amz-Target) and query-protocol APIs."""
    target = environ.get("HTTP_X_AMZ_TARGET")
    if target:
        return str(target).rsplit(".", 1)[-1]
    query = parse_qs(environ.get("QUERY_STRING", ""))
    if "Action" in query:
        return query["Action"][0]
    if method == "POST" and environ.get("CONTENT_TYPE", "").startswith("application/x-www-form-urlencoded"):
        form = parse_qs(body.decode("utf-8", errors="replace"))
        if "Action" in form:
            return form["Action"][0]
    return None


def is_read_only(method: str, path: str, environ: dict[str, Any], body: bytes) -> bool:
    if path.startswith("/moto-api/recorder/"):
        return True  # moto never records its recorder's own endpoints either
    action = action_of(method, environ, body)
    if action is not None:
        return action.startswith(READ_ONLY_ACTION_PREFIXES)
    # REST APIs (S3, /moto-api/...): the method says it.
    return method in READ_ONLY_METHODS


def is_transient(headers: Mapping[str, str]) -> bool:
    """Whether a request (its headers, any case) goes to a service whose state is not kept."""
    lowered = {name.lower(): value for name, value in headers.items()}
    signed_for = _SIGNED_FOR.search(lowered.get("authorization", ""))
    if signed_for:
        return signed_for.group(1) in TRANSIENT_SERVICES
    return lowered.get("x-amz-target", "").startswith(_TRANSIENT_TARGET_PREFIXES)


def _request_headers(environ: dict[str, Any]) -> dict[str, str]:
    return {
        "authorization": str(environ.get("HTTP_AUTHORIZATION", "")),
        "x-amz-target": str(environ.get("HTTP_X_AMZ_TARGET", "")),
    }


def repair_recording(path: Path) -> list[dict[str, Any]]:
    """Loads the recording, first cutting off a partial last line a crash may have left behind. The
    file is fsync'ed first: after a ``kill -9`` its last lines may still be only in the page cache,
    and they are about to be built upon."""
    if not path.exists():
        return []
    with open(path, "rb") as file:
        os.fsync(file.fileno())
    data = path.read_bytes()
    if data and not data.endswith(b"\n"):
        keep = data.rfind(b"\n") + 1
        print(f"aws-store: dropping a half-written last request ({len(data) - keep} bytes)", flush=True)
        with open(path, "r+b") as file:
            file.truncate(keep)
            file.flush()
            os.fsync(file.fileno())
        data = data[:keep]
    entries = []
    for number, raw in enumerate(data.splitlines(), start=1):
        if not raw.strip():
            continue
        try:
            entries.append(json.loads(raw))
        except ValueError:
            print(f"aws-store: skipping unreadable line {number} of the recording", flush=True)
    return entries


class DurableRecordingMiddleware:
    """WSGI middleware around moto's dispatcher: serialises requests, logs the writes, snapshots."""

    def __init__(self, app: Callable[..., Iterable[bytes]], directory: Path) -> None:
        self._app = app
        self._directory = directory
        self._lock = threading.Lock()
        # Lines written to the logs, and how many of them are fsync'ed (both count across logs). One
        # thread at a time fsyncs, holding this lock but not the request lock: whoever waits here
        # meanwhile is usually covered by that fsync or the next one (a group commit).
        self._written = 0
        self._durable = 0
        self._fsync_lock = threading.Lock()
        self._log_number = 0
        self._log: BinaryIO | None = None  # the current log, open for appending (once restored)
        self._since_snapshot = 0
        self._snapshotting = False
        self._last_snapshot_ended = 0.0
        self._last_snapshot_took = 0.0
        self.in_snapshot_child: Callable[[], None] = lambda: None
        self.ready = threading.Event()
        self.replay_summary: dict[str, int] = {}
        # moto keeps emails and text messages in separate lists: the order they were sent in across
        # both is noted here as they are sent, so the outbox can show the newest first.
        self._sent_order: dict[str, int] = {}
        self._sent_seen = (0, 0)

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        body = _read_body(environ)
        if path == HEALTH_PATH or not self.ready.is_set():
            # Until the state is restored nobody may read half of it or write in between.
            status = "200 OK" if self.ready.is_set() else "503 Service Unavailable"
            start_response(status, [("Content-Type", "application/json"), ("Retry-After", "1")])
            return [json.dumps({"ready": self.ready.is_set(), **self.replay_summary,
                                "snapshotting": self._snapshotting}).encode()]
        if path == SYNC_PATH:
            if environ.get("REQUEST_METHOD") == "POST":
                self.sync(self._written)
            start_response("200 OK", [("Content-Type", "application/json")])
            return [json.dumps({"written": self._written, "durable": self._durable}).encode()]
        if path == SENT_MESSAGES_PATH:
            with self._lock:
                sent = sorted(sent_messages(), key=lambda m: self._sent_order.get(m["message_id"], 0))
                owed = self._written
            self.sync(owed)
            total = len(sent)
            sent = newest_slice(sent, parse_qs(environ.get("QUERY_STRING") or ""))
            start_response("200 OK", [("Content-Type", "application/json"), ("X-Total-Count", str(total))])
            return [json.dumps(sent).encode()]
        if path.startswith("/moto-api/recorder/"):
            # The replay endpoint sends requests to this very server: holding the lock would deadlock.
            return self._app(environ, start_response)

        with self._lock:
            captured: dict[str, Any] = {}

            def capture_start_response(status: str, headers: Any, exc_info: Any = None) -> Any:
                captured["status"] = int(status.split(" ", 1)[0])
                return start_response(status, headers, exc_info)

            result = self._app(environ, capture_start_response)
            if (
                captured.get("status", 500) < 400
                and action_of(environ.get("REQUEST_METHOD", "GET"), environ, body) in SEND_ACTIONS
            ):
                self._note_sent()
            entry = environ.get(ENVIRON_ENTRY_KEY)
            if (
                entry is not None
                and captured.get("status", 500) < 400
                and not is_read_only(environ.get("REQUEST_METHOD", "GET"), path, environ, body)
                and not is_transient(_request_headers(environ))
            ):
                entry["body"], entry["body_encoded"] = _encode_body(body)
                entry["headers"].pop(DEFERRED_HEADER, None)
                assert self._log is not None
                self._log.write(json.dumps(entry).encode() + b"\n")
                self._log.flush()  # in the page cache from here: it survives the process
                self._written += 1
                self._since_snapshot += 1
                if self._snapshot_due():
                    self._snapshot()
            owed = self._written
        if environ.get(_DEFERRED_ENVIRON_KEY) != DEFERRED_VALUE:
            self.sync(owed)
        return result

    def sync(self, owed: int) -> None:
        """Returns once the first ``owed`` lines written are fsync'ed, fsyncing them if nobody has."""
        if self._durable >= owed:
            return
        with self._fsync_lock:
            if self._durable >= owed:  # the fsync this thread waited for covered it
                return
            written = self._written  # each of these lines is already written to the current log
            assert self._log is not None
            os.fsync(self._log.fileno())
            self._durable = written

    def _note_sent(self) -> None:
        emails, texts = sent_message_ids()
        seen_emails, seen_texts = self._sent_seen
        for message_id in emails[seen_emails:] + texts[seen_texts:]:
            self._sent_order[message_id] = len(self._sent_order) + 1
        self._sent_seen = (len(emails), len(texts))

    def restore(self) -> None:
        """Loads the newest snapshot and replays the logs written after it; then logs go on where
        the last one ended."""
        import moto

        directory = self._directory
        started = time.monotonic()
        taken = snapshots.snapshots(directory)
        number = 0
        if taken:
            number, path = taken[-1]
            snapshots.restore(snapshots.read_snapshot(path, moto.__version__))
        loaded = time.monotonic() - started
        entries: list[dict[str, Any]] = []
        logs = [(n, path) for n, path in snapshots.logs(directory) if n >= number]
        for _, path in logs:
            entries.extend(repair_recording(path))
        kept = [entry for entry in entries if not is_transient(entry.get("headers") or {})]
        if len(kept) < len(entries):  # written by an older version of this store
            print(f"aws-store: not replaying {len(entries) - len(kept)} recorded queue requests", flush=True)
        refused = self.replay(kept)
        snapshots.forget_before(directory, number)
        if logs:
            self._log_number, path = logs[-1]
        else:
            self._log_number, path = number, snapshots.create_log(directory, number)
        self._log = open(path, "ab")  # noqa: SIM115 - open for the life of the log
        self._since_snapshot = len(entries)
        self.replay_summary = {"snapshot": number, "restored": len(kept), "refused": refused}
        # Messages sent before this start keep moto's order (emails, then texts), before any new one.
        emails, texts = sent_message_ids()
        self._sent_seen = (len(emails), len(texts))
        print(
            f"aws-store: restored snapshot {number} in {loaded:.1f}s and {len(kept)} logged requests "
            f"({refused} refused), in {time.monotonic() - started:.1f}s; state in {directory}",
            flush=True,
        )

    def _snapshot_due(self) -> bool:
        """Every ``SNAPSHOT_EVERY`` logged writes, unless the last snapshot ended less than twice its
        own time ago: a snapshot's CPU grows with the whole state (~8 s at 10,000 tickets), and under
        a burst of posts, one every 1,000 writes would keep a core busy pickling; this keeps it to a
        third of one, and the log gets longer instead (a few seconds more to replay at a restart)."""
        if self._snapshotting or self._since_snapshot < SNAPSHOT_EVERY:
            return False
        return time.monotonic() >= self._last_snapshot_ended + 2 * self._last_snapshot_took

    def logged_since_snapshot(self) -> int:
        return self._since_snapshot

    def snapshot_now(self) -> None:
        with self._lock:
            if not self._snapshotting:
                self._snapshot()

    def _snapshot(self) -> None:
        """Starts a new log and forks; the child writes the state as of this instant. Called with
        the lock held, so no request is half-applied in the copy."""
        import moto

        number = self._log_number + 1
        log = snapshots.create_log(self._directory, number)
        target = snapshots.snapshot_path(self._directory, number)
        pid = os.fork()
        if pid == 0:  # the child: only this thread exists here; touch no lock another thread held
            code = 1
            try:
                os.nice(10)  # the server's requests first: the snapshot is in no hurry
                self.in_snapshot_child()
                snapshots.write_snapshot(target, snapshots.collect(TRANSIENT_SERVICES), moto.__version__)
                code = 0
            except BaseException as error:  # noqa: BLE001 - reported by the exit code; the parent carries on
                os.write(2, f"aws-store: snapshot {number} failed: {error!r}\n".encode())
            finally:
                os._exit(code)
        self._snapshotting = True
        with self._fsync_lock:  # the old log is closed whole: everything in it durable
            if self._log is not None:
                os.fsync(self._log.fileno())
                self._log.close()
            self._durable = self._written
            self._log_number, self._log, self._since_snapshot = number, open(log, "ab"), 0  # noqa: SIM115
        threading.Thread(target=self._await_snapshot, args=(pid, number), name="snapshot", daemon=True).start()

    def finish_snapshot(self, seconds: float) -> None:
        deadline = time.monotonic() + seconds
        while self._snapshotting and time.monotonic() < deadline:
            time.sleep(0.1)

    def _await_snapshot(self, pid: int, number: int) -> None:
        started = time.monotonic()
        _, status = os.waitpid(pid, 0)
        self._last_snapshot_took, self._last_snapshot_ended = time.monotonic() - started, time.monotonic()
        if os.waitstatus_to_exitcode(status) == 0:
            snapshots.forget_before(self._directory, number)
        else:  # the logs stay, so nothing is lost; the next threshold tries again
            print(f"aws-store: snapshot {number} was not written (status {status})", flush=True)
        with self._lock:
            self._snapshotting = False

    def replay(self, entries: list[dict[str, Any]]) -> int:
        """Runs each recorded request through moto in-process, in order (three times faster than over
        HTTP). Returns how many moto refused, which should be none."""
        refused = 0
        from werkzeug.test import run_wsgi_app

        for entry in entries:
            environ = _replay_environ(entry, f"{HOST}:{self.port}")
            with self._lock:
                app_iter, status, _headers = run_wsgi_app(self._app, environ, buffered=True)
                answer = b"".join(app_iter)
            if int(status.split(" ", 1)[0]) >= 400:
                refused += 1
                print(
                    f"aws-store: replayed {entry.get('method')} {entry.get('url')} was refused: {status} {answer[:200]!r}",
                    flush=True,
                )
        return refused

    port = 0


def _moto_sent() -> tuple[list[Any], list[tuple[str, tuple[str, str]]]]:
    """moto's own lists of what it took: SES messages, and SNS text messages as (id, (phone, text)),
    each in the order sent (the outbox never needs the whole state, ``/moto-api/data.json``)."""
    from moto.backends import get_backend
    from moto.core.base_backend import BackendDict

    in_use = {backends.service_name for backends in BackendDict._instances}  # type: ignore[misc]
    emails: list[Any] = []
    texts: list[tuple[str, tuple[str, str]]] = []
    if "ses" in in_use:
        ses: Any
        for _, _, ses in get_backend("ses").iter_backends():
            emails.extend(ses.sent_messages)
    if "sns" in in_use:
        sns: Any
        for _, _, sns in get_backend("sns").iter_backends():
            texts.extend(sns.sms_messages.items())
    return emails, texts


def sent_messages() -> list[dict[str, str]]:
    """The emails (SES) and text messages (SNS) moto took, each in the order sent."""
    emails, texts = _moto_sent()
    found: list[dict[str, str]] = []
    for m in emails:
        if hasattr(m, "raw_data"):
            # The app sends a raw email to one recipient at a time (Destinations=[recipient]);
            # moto then appends the message's own To/Cc addresses, which SES would not send to.
            to = (m.destinations or [""])[0]
            found.append(_sent("email", to, m.source, "", m.raw_data, m.id))
        elif hasattr(m, "subject"):
            destinations = m.destinations or {}
            to = ", ".join(destinations.get("ToAddresses", []) + destinations.get("CcAddresses", []))
            found.append(_sent("email", to, m.source, m.subject, m.body, m.id))
    for message_id, (phone, text) in texts:
        found.append(_sent("sms", phone, "", "", text, message_id))
    return found


SEND_ACTIONS = frozenset({"SendEmail", "SendRawEmail", "SendTemplatedEmail", "Publish"})


def sent_message_ids() -> tuple[list[str], list[str]]:
    """The ids of the emails and of the text messages moto took, each list in the order sent."""
    emails, texts = _moto_sent()
    return [m.id for m in emails], [message_id for message_id, _ in texts]


def newest_slice(sent: list[dict[str, str]], query: Mapping[str, list[str]]) -> list[dict[str, str]]:
    """``?limit=N&skip=M``: the N messages after the M newest, still oldest first; a page of a desk
    that has sent tens of thousands of messages, not all of them."""

    def number(name: str) -> int | None:
        value = (query.get(name) or [""])[0]
        return int(value) if value.isdigit() else None

    limit, skip = number("limit"), number("skip") or 0
    if limit is None and not skip:
        return sent
    end = max(len(sent) - skip, 0)
    return sent[max(end - limit, 0) : end] if limit is not None else sent[:end]


def _sent(kind: str, to: str, source: str, subject: str, body: str, message_id: str) -> dict[str, str]:
    return {"kind": kind, "to": to, "source": source, "subject": subject, "body": body, "message_id": message_id}


def _replay_environ(entry: dict[str, Any], host: str) -> dict[str, Any]:
    """The WSGI environ moto's server would have built for the recorded request."""
    from moto.core.request import (
        PRESERVED_HEADER_NAMES_ENVIRON_KEY,
        environ_key_for_header,
        should_preserve_original_header_name,
    )
    from werkzeug.test import EnvironBuilder

    body = base64.b64decode(entry.get("body") or "") if entry.get("body_encoded") else entry.get("body") or ""
    if isinstance(body, str):
        body = body.encode("utf-8")
    parts = urlsplit(entry["url"])
    raw_path = parts.path or "/"
    headers = {
        name: value
        for name, value in (entry.get("headers") or {}).items()
        if name.lower() not in {"host", "content-length", "transfer-encoding", "connection"}
    }
    environ = EnvironBuilder(
        path=raw_path + (f"?{parts.query}" if parts.query else ""),
        base_url=f"http://{host}",
        method=entry["method"],
        headers=list(headers.items()),
        data=body,
    ).get_environ()
    # What MotoRequestHandler.make_environ adds: S3 metadata names keep their underscores.
    preserved = {environ_key_for_header(name): name for name in headers if should_preserve_original_header_name(name)}
    for key, name in preserved.items():
        environ[key] = headers[name]
    environ[PRESERVED_HEADER_NAMES_ENVIRON_KEY] = preserved
    return dict(environ)


def _read_body(environ: dict[str, Any]) -> bytes:
    """Reads the whole request body and puts it back, so moto and the recording see the same bytes."""
    stream = environ.get("wsgi.input")
    if stream is None:
        return b""
    length = environ.get("CONTENT_LENGTH")
    if length:
        body = stream.read(int(length))
    elif environ.get("wsgi.input_terminated"):  # chunked transfer encoding, already de-chunked
        body = stream.read()
    else:
        body = b""
    environ["wsgi.input"] = io.BytesIO(body)
    return bytes(body)


def _encode_body(body: bytes) -> tuple[str, bool]:
    # Like moto's recorder in server mode: always base64, so binary uploads and non-ASCII text
    # come back byte for byte (moto's replay would send a plain str body as Latin-1).
    return base64.b64encode(body).decode("ascii"), True


def keep_alive_handler(base: type[Any], verbose: bool) -> type[Any]:
    """moto's request handler (werkzeug's, which closes every connection after one answer) serving
    HTTP/1.1 persistent connections: the request body is read whole before the app sees it and the
    answer is sent with its length, so the next request on the connection starts where this one ended."""

    class KeepAliveRequestHandler(base):  # type: ignore[misc,valid-type]
        protocol_version = "HTTP/1.1"
        timeout = KEEP_ALIVE_SECONDS

        def setup(self) -> None:
            super().setup()
            self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

        def run_wsgi(self) -> None:
            if self.headers.get("Expect", "").lower().strip(" \t") == "100-continue":
                self.wfile.write(b"HTTP/1.1 100 Continue\r\n\r\n")
            environ = self.make_environ()
            environ["wsgi.input"] = io.BytesIO(_read_body(environ))
            environ.pop("wsgi.input_terminated", None)
            environ["CONTENT_LENGTH"] = str(len(environ["wsgi.input"].getbuffer()))
            answer: list[Any] = []
            chunks: list[bytes] = []

            def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
                answer[:] = [status, headers]
                return chunks.append

            try:
                iterable = self.server.app(environ, start_response)
                try:
                    chunks.extend(iterable)
                finally:
                    if hasattr(iterable, "close"):
                        iterable.close()
            except Exception:  # noqa: BLE001 - as werkzeug does: log it, answer 500, drop the connection
                self.log_error("error on request:\n%s", traceback.format_exc())
                answer[:] = ["500 Internal Server Error", [("Content-Type", "text/plain")]]
                chunks[:] = [b"Internal Server Error"]
                self.close_connection = True
            status, headers = answer
            code, _, reason = status.partition(" ")
            payload = b"".join(chunks)
            self.send_response(int(code), reason)
            for name, value in headers:
                lowered = name.lower()
                if lowered in {"connection", "transfer-encoding"}:
                    continue
                if lowered == "content-length" and self.command != "HEAD":
                    continue  # HEAD keeps what the object's length is; others get the body's
                self.send_header(name, value)
            bodiless = self.command == "HEAD" or int(code) in {204, 304} or int(code) < 200
            if not bodiless:
                self.send_header("Content-Length", str(len(payload)))
            # Headers and body in one write: in two, the body would wait for the client's delayed
            # acknowledgement of the headers (Nagle), ~40 ms an answer on a kept-open connection.
            self._headers_buffer.append(b"\r\n" + (b"" if bodiless else payload))
            self.flush_headers()

        def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
            if verbose:  # one line per request is noise (and its date costs time)
                super().log_request(code, size)

    return KeepAliveRequestHandler


_HEADER_NAME = re.compile(rb"[!-9;-~]+")  # what the email package's parser takes for a header's name


def parse_headers_quickly(fp: Any, _class: type[http.client.HTTPMessage] = http.client.HTTPMessage) -> Any:
    """``http.client.parse_headers`` without the email package's feed parser, which took about a third
    of the stand-in's time per request. Each ``name: value`` line is stored as that parser stores it
    (the value without its leading blanks and line end); a header block with anything else in it (a
    folded line, a line with no name) still goes through the email package."""
    lines = http.client._read_headers(fp)  # type: ignore[attr-defined]
    message = _class()
    for line in lines:
        if line in (b"\r\n", b"\n", b""):
            break
        name, colon, value = line.partition(b":")
        if not colon or not _HEADER_NAME.fullmatch(name):
            return email.parser.Parser(_class=_class).parsestr(b"".join(lines).decode("iso-8859-1"))
        message.set_raw(name.decode("iso-8859-1"), value.lstrip(b" \t").rstrip(b"\r\n").decode("iso-8859-1"))
    return message


def close_sockets() -> None:
    """Closes every socket this process holds (in the snapshot's child: the listening one, and the
    clients' kept-open connections, which must end when the server does, not when the child does)."""
    for name in os.listdir("/proc/self/fd") if os.path.isdir("/proc/self/fd") else []:
        fd = int(name)
        try:
            if stat.S_ISSOCK(os.fstat(fd).st_mode):
                os.close(fd)
        except OSError:
            continue


def install_recorder_hook() -> None:
    """Replaces moto's ``_record_request``: instead of appending at once, it leaves the entry for the
    middleware, which writes it only once moto has accepted the request."""
    from moto.moto_api import recorder

    def record_later(request: Any, body: bytes | None = None) -> None:
        if not recorder._user_enabled:
            return
        request.environ[ENVIRON_ENTRY_KEY] = {
            "headers": dict(request.headers),
            "method": request.method,
            "url": request.raw_url,
        }

    recorder._record_request = record_later  # type: ignore[method-assign]


def main() -> int:
    port = int(os.environ.get("LOCAL_AWS_PORT", "5000"))
    directory = state_dir()
    directory.mkdir(parents=True, exist_ok=True)

    # moto reads these when it is imported; recording starts only once the state is restored. The
    # recorder's own file is never written: the middleware writes each entry to the current log.
    os.environ["MOTO_RECORDER_FILEPATH"] = str(directory / "moto-recorder-unused.jsonl")
    os.environ.pop("MOTO_ENABLE_RECORDING", None)
    os.environ.setdefault("MOTO_S3_DEFAULT_KEY_BUFFER_SIZE", str(S3_KEY_BUFFER_BYTES))

    from moto.moto_api import recorder
    from moto.moto_server.werkzeug_app import (
        DomainDispatcherApplication,
        MotoRequestHandler,
        create_backend_app,
    )
    from werkzeug.serving import make_server

    from local import moto_speedups

    mismatches = moto_speedups.install()
    for mismatch in mismatches:
        print(f"aws-store: running plain moto, without local/moto_speedups.py: {mismatch}", flush=True)
    snapshots.register_reducers()
    install_recorder_hook()
    verbose = bool(os.environ.get("LOCAL_AWS_VERBOSE"))
    if not verbose:
        logging.getLogger("werkzeug").setLevel(logging.WARNING)  # one log line per request is noise
    from local.file_headers import StoredFileHeaders

    # Stored files get the headers CloudFront adds on AWS (nosniff, a CSP that runs nothing).
    middleware = DurableRecordingMiddleware(StoredFileHeaders(DomainDispatcherApplication(create_backend_app)), directory)
    middleware.port = port
    handler = keep_alive_handler(MotoRequestHandler, verbose)
    http.client.parse_headers = parse_headers_quickly  # type: ignore[assignment]  # for http.server
    try:
        server = make_server(HOST, port, middleware, threaded=True, request_handler=handler)
    except OSError as error:
        print(f"aws-store: cannot listen on {HOST}:{port} ({error.strerror}); set LOCAL_AWS_PORT", flush=True)
        return 2

    def in_snapshot_child() -> None:
        # The child must not hold the port: a stand-in started while it writes could not listen.
        # It may outlive a killed parent by the seconds it takes to finish, which is harmless: the
        # snapshot it writes stands for the logs before its number, whoever appends to later ones.
        server.socket.close()
        close_sockets()

    middleware.in_snapshot_child = in_snapshot_child

    stop = threading.Event()

    def on_signal(signum: int, frame: Any) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    if signal.getsignal(signal.SIGINT) is not signal.SIG_IGN:  # under local.run, Ctrl-C is its business
        signal.signal(signal.SIGINT, on_signal)

    # Serve at once, so the health check answers (503) while the state is restored. A stop is then
    # answered within 50 ms, not the half second serve_forever waits by default.
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, name="moto-server", daemon=True
    )
    thread.start()

    recorder.stop_recording()
    middleware.restore()
    recorder.start_recording()
    middleware.ready.set()
    print(f"aws-store: listening on http://{HOST}:{port}", flush=True)

    parent = os.getppid()
    while not stop.wait(1.0):
        if os.getppid() != parent:  # our parent died without stopping us: do not linger as an orphan
            break
    server.shutdown()
    middleware.finish_snapshot(seconds=STOP_SNAPSHOT_SECONDS)  # a finished snapshot makes the next start shorter
    if middleware.logged_since_snapshot():
        # And one of everything logged since, so the next start replays nothing. Unfinished when
        # time is up, the child finishes it alone (as after a kill), or it is lost: the logs stay.
        middleware.snapshot_now()
        middleware.finish_snapshot(seconds=STOP_SNAPSHOT_SECONDS)
    print("aws-store: stopped", flush=True)
    # Everything is on disk: skip freeing millions of objects one by one at interpreter exit.
    sys.stderr.flush()
    os._exit(0)


if __name__ == "__main__":
    sys.exit(main())
