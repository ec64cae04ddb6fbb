"""A roster level's team chat hears of each step once; the desk's chat hears of each new ticket; both by
the ticket's region, over the in-memory fakes."""

from datetime import timedelta

from chalicelib.domain.escalation import Roster, TeamChat
from chalicelib.domain.intake import ServiceRequestInput
from chalicelib.domain.notification import MessageChannel
from chalicelib.domain.permissions import SystemActor
from chalicelib.domain.plans import Role
from chalicelib.domain.ticket import Action, Priority
from ops.config import DEMO_ROSTER
from tests.fakes import fake_world, valid_report

SUPERVISORS = TeamChat(name="主管群", vendor="dingtalk", secret="service-desk/chat/supervisors")
CHIEF = TeamChat(name="总工群", vendor="feishu", secret="service-desk/chat/chief")
LEADERS = TeamChat(name="管理层群", vendor="wecom", secret="service-desk/chat/leaders")
DESK = TeamChat(name="客服群", vendor="wecom", secret="service-desk/chat/desk")
GD_SUPERVISORS = TeamChat(name="华南主管群", vendor="dingtalk", secret="service-desk/chat/gd-supervisors")


def world_with_chats():
    world = fake_world()
    world.services.config.put_roster(Roster(
        scope="default", levels=DEMO_ROSTER.levels,
        chats={Role.SUPERVISOR: (SUPERVISORS,), Role.CHIEF_ENGINEER: (CHIEF,), Role.GENERAL_MANAGER: (LEADERS,),
               "desk": (DESK,)},
    ))
    # Guangdong has its own supervisors' group and keeps the default roster's people and other groups.
    world.services.config.put_roster(Roster(scope="region:CN-GD", levels={}, chats={Role.SUPERVISOR: (GD_SUPERVISORS,)}))
    return world


def chat_messages(world):
    return [m for m in world.notifier.sent if m.channel == MessageChannel.TEAM_CHAT]


def submit(world, **report):
    return world.services.intake.submit(ServiceRequestInput.model_validate(valid_report(**report)), language="zh-CN")


def critical_job_swept_after(world, hours: float, **report) -> str:
    """A job classified critical and left alone for ``hours``, then swept once."""
    number = submit(world, **report).number
    world.services.desk.classify(number, actor=SystemActor("supervisor"), priority=Priority.CRITICAL)
    world.clock.advance(timedelta(hours=hours))
    world.services.sla.sweep()
    return number


def test_each_level_of_an_untouched_critical_job_hears_in_its_team_chat_once_per_step():
    world = world_with_chats()
    number = submit(world).number
    world.services.desk.classify(number, actor=SystemActor("supervisor"), priority=Priority.CRITICAL)
    for _ in range(0, 5 * 60, 10):
        world.services.sla.sweep()
        world.clock.advance(timedelta(minutes=10))
    world.services.sla.sweep()

    heard = [(m.recipient, m.purpose.split(":", 1)[1]) for m in chat_messages(world) if m.purpose != "desk_new_ticket"]
    assert len(heard) == len(set(heard)), "no step reaches a group twice"
    dispatch = [(to, key.split(":")[0], key.rsplit(":", 1)[-1]) for to, key in heard if "dispatched@" in key]
    assert dispatch == [
        (SUPERVISORS.address, "warn", "dispatched@20261127T043000Z"),
        (CHIEF.address, "breach", "L2"),
        (LEADERS.address, "breach", "L3"),
    ]
    notices = sorted(to for to, key in heard if key.startswith("notice:"))
    assert notices == sorted([CHIEF.address, LEADERS.address]), "leaders' groups hear of the critical job at once"
    breach = next(m for m in chat_messages(world) if m.purpose.endswith("dispatched@20261127T043000Z:L2"))
    assert number in breach.text and "派工" in breach.text and "已超时" in breach.text
    assert "https://desk.example.com/escalations/" in breach.text
    assert len(breach.text) < 400, "the SMS's short words, not the email's"


def test_whoever_takes_the_breach_from_the_groups_link_is_recorded_as_the_group():
    world = world_with_chats()
    number = critical_job_swept_after(world, 2)
    breach = next(m for m in chat_messages(world) if m.purpose.endswith("dispatched@20261127T043000Z:L2"))

    world.services.sla.acknowledge(breach.text.rsplit("/escalations/", 1)[1])

    [taken] = [e for e in world.tickets.events(number) if e.action == Action.ACKNOWLEDGE]
    assert taken.actor == CHIEF.name


def test_a_regions_own_group_replaces_the_default_one_for_that_level_only():
    world = world_with_chats()
    critical_job_swept_after(world, 0.75, province="CN-GD", city="广州")  # the supervisor warned of the contact

    groups = {m.recipient for m in chat_messages(world)}
    assert GD_SUPERVISORS.address in groups and SUPERVISORS.address not in groups
    assert CHIEF.address in groups, "the chief's group comes from the default roster"
    emails = {m.recipient for m in world.notifier.sent if m.channel == MessageChannel.EMAIL}
    assert "supervisor@service-desk.local" in emails, "the region names no people: the default's are told"


def test_the_desks_group_hears_of_each_new_ticket_with_the_staff_link():
    world = world_with_chats()
    number = submit(world).number

    [notice] = chat_messages(world)
    assert notice.recipient == DESK.address and notice.purpose == "desk_new_ticket"
    assert number in notice.text and f"https://desk.example.com/staff/tickets/{number}" in notice.text
    assert "苏州精密机械有限公司" in notice.text


def test_without_team_chats_in_the_roster_nothing_goes_to_one():
    world = fake_world()
    critical_job_swept_after(world, 3)
    assert chat_messages(world) == []
