"""Fixtures that start the local stack for end-to-end tests (see tests/e2e/stack.py)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from chalicelib import wiring
from chalicelib.adapters import aws
from tests.e2e.browser import chromium
from tests.e2e.stack import LocalStack


@pytest.fixture(scope="session")
def local_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalStack]:
    """The running system, shared by the end-to-end tests of a session."""
    base = tmp_path_factory.mktemp("local-stack")
    stack = LocalStack(base / "state", base / "run.log")
    stack.start()
    yield stack
    stack.stop()


@pytest.fixture
def start_private_stack(tmp_path: Path) -> Iterator[Callable[[], LocalStack]]:
    """Starts a second, isolated stack for a test that must stop or break it."""
    started: list[LocalStack] = []

    def start() -> LocalStack:
        stack = LocalStack(tmp_path / f"state{len(started)}", tmp_path / f"run{len(started)}.log")
        started.append(stack)
        stack.start()
        return stack

    yield start
    for stack in started:
        stack.stop()


@pytest.fixture
def desk(local_stack: LocalStack, monkeypatch):
    """The desk's use cases in this process, talking to the stack's AWS and sharing its clock."""
    for name, value in local_stack.services_environment().items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_SESSION_TOKEN", raising=False)
    monkeypatch.delenv("AWS_SECURITY_TOKEN", raising=False)
    wiring.reset()
    aws.reset()
    yield wiring.services().desk
    wiring.reset()
    aws.reset()


@pytest.fixture(scope="session")
def browser():
    with chromium() as running:
        yield running


@pytest.fixture
def phone_page(browser):
    """A phone-sized page, as most customers and technicians use it."""
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    page = context.new_page()
    yield page
    context.close()
