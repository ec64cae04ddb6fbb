"""A roster names team chats by the secret that holds their webhook URL, never by the URL itself."""

import pytest
from pydantic import ValidationError

from chalicelib.domain.escalation import ChatVendor, Roster, RosterBook, TeamChat, chat_address
from chalicelib.domain.plans import Role


@pytest.mark.parametrize("secret", [
    "https://oapi.dingtalk.com/robot/send?access_token=abc",
    "service-desk/chat/x?key=abc",
    "arn:aws:secretsmanager:cn-north-1:123456789012:secret:service-desk/chat/x",
    "other/secret",
])
def test_a_team_chat_is_named_by_a_secret_under_the_apps_prefix_only(secret):
    with pytest.raises(ValidationError):
        TeamChat(name="群", vendor="dingtalk", secret=secret)


def test_a_chats_outbox_address_says_vendor_and_secret_and_nothing_else_is_taken_for_one():
    chat = TeamChat(name="群", vendor="feishu", secret="service-desk/chat/gd")
    assert chat_address(chat.address) == (ChatVendor.FEISHU, "service-desk/chat/gd")
    for other in ("wang@example.cn", "+8613800138000", "arn:aws:sns:us-east-1:1:desk"):
        assert chat_address(other) is None


def test_chats_resolve_product_line_then_region_then_default_apart_from_the_people():
    default = TeamChat(name="默认", vendor="wecom", secret="service-desk/chat/default")
    region = TeamChat(name="广东", vendor="wecom", secret="service-desk/chat/gd")
    book = RosterBook([
        Roster(scope="default", levels={}, chats={Role.SUPERVISOR: (default,), "desk": (default, default)}),
        Roster(scope="region:CN-GD", levels={}, chats={Role.SUPERVISOR: (region,)}),
    ])
    assert book.chats(Role.SUPERVISOR, province="CN-GD") == (region,)
    assert book.chats(Role.SUPERVISOR, province="CN-JS") == (default,)
    assert book.chats("desk", province="CN-GD") == (default,), "named twice, told once"
    assert book.chats(Role.GENERAL_MANAGER, province="CN-GD") == ()
