"""Every test runs with fake AWS credentials, so nothing can ever reach a real account."""

import gc
import json
import os

import pytest

os.environ.update(
    AWS_ACCESS_KEY_ID="testing",
    AWS_SECRET_ACCESS_KEY="testing",
    AWS_SECURITY_TOKEN="testing",
    AWS_SESSION_TOKEN="testing",
    AWS_DEFAULT_REGION="us-east-1",
    POWERTOOLS_METRICS_DISABLED="true",
)
os.environ.pop("AWS_ENDPOINT_URL", None)
os.environ.pop("AWS_PROFILE", None)


def _moto_without_repeated_setup() -> None:
    """Two costs moto pays again on every start that tests need not: it makes a new boto3 session (every
    client then reads its service's model from disk again, ~0.1 s a client), and each user pool imports
    moto's one RSA signing key, recovering its primes (~1 s of CPU a pool). The credentials are fake either
    way and the key never changes, so the session is kept and the key imported once."""
    from types import SimpleNamespace

    from moto.cognitoidp import models as cognito
    from moto.core.config import default_user_config

    default_user_config["core"]["reset_boto3_session"] = False
    import_key = cognito.jwk.RSAKey.import_key
    imported: dict[str, object] = {}

    def import_once(value, *args, **kwargs):
        key = json.dumps(value, sort_keys=True)
        if key not in imported:
            imported[key] = import_key(value, *args, **kwargs)
        return imported[key]

    cognito.jwk = SimpleNamespace(**{**vars(cognito.jwk), "RSAKey": SimpleNamespace(import_key=import_once)})


_moto_without_repeated_setup()


def pytest_collection_finish(session):
    """Python's cycle collector, tuned for a test process: what is alive once the tests are collected (the
    modules, moto's, botocore's and hypothesis' tables, the test items) lives until the end, so it is set
    aside (``gc.freeze``) instead of being walked again by every full collection; and a collection starts
    after 10,000 new objects instead of 700. Collections had taken about a tenth of the tests' CPU time
    (11 s of make test-fast's ~120 s), now about 4 s."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(10_000, 10, 10)


# Tests that share one expensive thing per session run on one xdist worker: the end-to-end tests share
# a running local stack and a browser, the infra tests one `cdk synth`. Every other module is scheduled
# on its own, as xdist's "loadfile" does (scheduling each test on its own, make test-fast took 99 s
# instead of 73 s on two cores). (A scheduler of our own, because xdist's "loadgroup" marks do not reach
# its scheduler under pytest 9, whose node ids it can no longer rewrite.)
_SHARED = {"e2e": "local-stack", "infra": "cdk-synth"}
# Modules that start a stack or synthesize a stage of their own and share nothing: each runs beside the
# shared group of its folder instead of lengthening it.
_ON_THEIR_OWN = {
    "tests/e2e/test_queue_at_scale.py",
    "tests/e2e/test_escalation_clock.py",
    "tests/infra/test_sms_provider.py",
}


def shared_resource(nodeid: str) -> str | None:
    if nodeid.split("::")[0] in _ON_THEIR_OWN:
        return None
    parts = nodeid.split("/")
    return _SHARED.get(parts[1]) if len(parts) > 2 and parts[0] == "tests" else None


def pytest_xdist_make_scheduler(config, log):
    from xdist.scheduler import LoadScopeScheduling

    class SharedResourceScheduling(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            return shared_resource(nodeid) or nodeid.split("::")[0]

    return SharedResourceScheduling(config, log)


@pytest.fixture(autouse=True)
def _fresh_wiring():
    """Settings and services are cached per process; each test starts from nothing. boto3 clients are
    kept: each is made for the endpoint, region and credentials of its environment, and holds no data."""
    from chalicelib import wiring
    from chalicelib.adapters.secrets import forget_values_read
    from chalicelib.domain.calendars import use_holiday_book
    from chalicelib.domain.holidays import HolidayBook

    wiring.use(None)
    wiring.reset()
    forget_values_read()
    yield
    wiring.use(None)
    wiring.reset()
    forget_values_read()
    use_holiday_book(HolidayBook())  # a schedule one test stored must not move another's deadlines
