"""Staff sign in on the running local stack, with the demo accounts `make run` creates."""

from __future__ import annotations

import re

import pytest

from tests.e2e.stack import LocalStack

pytestmark = pytest.mark.e2e


def test_a_supervisor_signs_in_from_a_phone_and_out_again(local_stack: LocalStack, phone_page) -> None:
    page = phone_page
    page.goto(local_stack.app_url + "/staff")
    page.wait_for_url(re.compile(r"/staff/sign-in\?next="))
    page.fill("#username", "supervisor")
    page.fill("#password", "wrong")
    page.click("#sign-in-button")
    assert "用户名或密码不正确" in page.inner_text("#sign-in-error")

    page.fill("#password", "Demo-pass-123")
    page.click("#sign-in-button")
    page.wait_for_url(re.compile(r"/staff$"))
    assert "调度张主管" in page.inner_text("#who")  # the account's name, not its login

    page.click("#sign-out")
    page.goto(local_stack.app_url + "/staff")
    page.wait_for_url(re.compile(r"/staff/sign-in\?next="))
