import functools
import gzip
import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import jwt
import pytest
from chalice.test import Client
from moto.cognitoidp import models as cognito_models

from chalicelib import wiring
from chalicelib.adapters.clock import OffsetClock
from chalicelib.adapters.cognito import add_staff
from chalicelib.domain.staff import StaffRole
from chalicelib.settings import Settings, get_settings
from tests.fakes import FakeStaffTokens, fake_staff_token, fake_world
from tests.moto_world import MotoWorld

MOTO_KEYS = Path(cognito_models.__file__).parent / "resources"
PASSWORD = "Test-pass-123"


@pytest.fixture(scope="session")
def jwks_url():
    """The stand-in's signing keys over HTTP on loopback, fetched by the app as it fetches Cognito's."""
    keys = gzip.decompress((MOTO_KEYS / "jwks-public.json.gz").read_bytes())

    class Keys(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(keys)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Keys)
    # Polling at serve_forever's pace (twice a second): it runs beside every test of the process.
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}/.well-known/jwks.json"
    server.shutdown()


@pytest.fixture(scope="session")
def moto_world():
    """The resources made once per test process, emptied after each test (``tests/moto_world.py``)."""
    return MotoWorld()


@contextmanager
def desk_on_moto(monkeypatch: pytest.MonkeyPatch, moto_world: MotoWorld, jwks_url: str) -> Iterator[dict[str, str]]:
    """The shared moto entered for one test, the app's settings pointing at its resources."""
    monkeypatch.setenv("PUBLIC_BASE_URL", "https://desk.example.com")
    monkeypatch.setenv("LOCAL_MODE", "true")
    # moto in-process is not thread-safe (its backends copy dicts another thread is changing); the
    # parallel sweep and delivery are exercised over the in-memory world and the local stack instead.
    monkeypatch.setenv("SWEEP_WORKERS", "1")
    wiring.reset()
    with moto_world.entered(get_settings()) as resources:
        monkeypatch.setenv("COGNITO_USER_POOL_ID", resources["user_pool_id"])
        monkeypatch.setenv("COGNITO_CLIENT_ID", resources["user_pool_client_id"])
        monkeypatch.setenv("COGNITO_JWKS_URL", jwks_url)
        wiring.reset()
        yield resources


@pytest.fixture
def aws(monkeypatch, jwks_url, moto_world):
    """moto in-process with the table, bucket, sending identity, desk topic and staff pool there, and
    nothing stored in them by another test.

    Local mode, as on the local stand-in: the settings AWS must provide may keep their local defaults."""
    with desk_on_moto(monkeypatch, moto_world, jwks_url) as resources:
        yield resources


@pytest.fixture
def on_aws(monkeypatch, aws):
    """Outside local mode, with a placeholder for each setting AWS must provide that is still missing."""
    monkeypatch.setenv("LOCAL_MODE", "false")
    for name in Settings(local_mode=False).missing_on_aws():
        monkeypatch.setenv(name, f"set-on-aws-{name.lower()}")
    wiring.reset()


@pytest.fixture
def client(aws):
    from app import app

    with Client(app) as test_client:
        yield test_client


@pytest.fixture
def staff_token(aws, moto_world):
    """``staff_token("supervisor")``: a real ID token from the pool for a user in those roles (the account
    and its token are made once per test process and put back for each test that asks again)."""

    def issue(username: str, *roles: StaffRole) -> str:
        staff_roles = list(roles) or [StaffRole(username)]

        def make() -> str:
            add_staff(aws["user_pool_id"], username, staff_roles, password=PASSWORD)
            return wiring.services().staff_sign_in.sign_in(username, PASSWORD).id_token

        return moto_world.staff_account(aws["user_pool_id"], username, tuple(r.value for r in staff_roles), make)

    return issue


@pytest.fixture
def memory_world(monkeypatch):
    """The app over the in-memory adapters (``tests/fakes.py``), staff tokens checked by ``FakeStaffTokens``:
    for pages and role checks that need nothing of AWS. Each adapter keeps its own tests over moto."""
    monkeypatch.setenv("LOCAL_MODE", "true")
    monkeypatch.setenv("PUBLIC_BASE_URL", "https://desk.example.com")
    world = fake_world()
    world.services.staff_tokens = FakeStaffTokens()
    wiring.use(world.services)
    return world


@pytest.fixture
def memory_client(memory_world):
    from app import app

    with Client(app) as test_client:
        yield test_client


@pytest.fixture
def memory_staff_token(memory_world):
    """``memory_staff_token("supervisor")``, as ``staff_token`` issues it, for the in-memory app."""

    def issue(username: str, *roles: StaffRole) -> str:
        return fake_staff_token(username, list(roles) or [StaffRole(username)])

    return issue


@functools.cache
def _stand_in_signing_key() -> tuple[str, Any]:
    """The stand-in's private key and its id, read once per process: PyJWT recovers the key's primes from
    the JWK each time (some 40 ms; integrations' tokens are forged this way in many tests)."""
    private = json.loads(gzip.decompress((MOTO_KEYS / "jwks-private.json.gz").read_bytes()))
    return private["kid"], jwt.algorithms.RSAAlgorithm.from_jwk(json.dumps(private))


def forged_token(claims: dict) -> str:
    """A token signed with the stand-in's own private key, for expiry and audience cases."""
    kid, key = _stand_in_signing_key()
    return jwt.encode(claims, key, algorithm="RS256", headers={"kid": kid})


@pytest.fixture
def clock_file(tmp_path, monkeypatch, aws):
    """The app's clock moved by a file (local mode), as the local stack's clock page moves it."""
    path = tmp_path / "clock.json"
    path.write_text(json.dumps({"offset_seconds": 0}))
    monkeypatch.setenv("LOCAL_MODE", "true")
    monkeypatch.setenv("CLOCK_FILE", str(path))
    wiring.reset()
    return OffsetClock(str(path))
