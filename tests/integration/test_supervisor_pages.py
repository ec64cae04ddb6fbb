"""The office's pages under moto with real Cognito tokens: who may see and do what, and that every bad
input is a 4xx with the problem next to the field."""

import html
import json
import re
from datetime import datetime, timedelta
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

import pytest

from chalicelib import wiring
from chalicelib.domain.staff import StaffRole
from chalicelib.domain.ticket import Action, Channel, Priority, Status
from chalicelib.i18n.deadlines import explain
from tests.fakes import valid_report

FORM = {"Content-Type": "application/x-www-form-urlencoded"}
# "The future" for dates a form must refuse in the past: a month from today, in China.
IN_A_MONTH = datetime.now(ZoneInfo("Asia/Shanghai")).date() + timedelta(days=30)
S = StaffRole


def new_ticket(client, **overrides):
    response = client.http.post("/api/requests", body=json.dumps(valid_report(**overrides)),
                                headers={"Content-Type": "application/json"})
    assert response.status_code == 201, response.body
    return response.json_body


def get(client, path, token=None):
    return client.http.get(path, headers={"Cookie": f"sd_staff={token}"} if token else {})


def post(client, path, token=None, body=None, bearer=False):
    headers = dict(FORM)
    if token and bearer:
        headers["Authorization"] = f"Bearer {token}"
    elif token:
        headers["Cookie"] = f"sd_staff={token}"
    return client.http.post(path, body=urlencode(body or {}, doseq=True), headers=headers)


def ticket(number):
    return wiring.services().queue.get(number)


class Tokens(dict):
    """``tokens["supervisor"]``: a token for a user named after the role; ``wang`` and ``li`` are
    technicians. Made on first use. The technician group always has both, so they can be dispatched."""

    def __init__(self, issue):
        super().__init__()
        self._issue = issue
        self["wang"] = issue("wang", S.TECHNICIAN)
        self["li"] = issue("li", S.TECHNICIAN)

    def __missing__(self, name):
        self[name] = self._issue(name)
        return self[name]


@pytest.fixture
def tokens(staff_token):
    return Tokens(staff_token)


CLASSIFY_A = {"kind": "fault", "priority": "A", "billing": "free", "warranty": "in", "plan": "standard",
              "in_province": "yes"}


# -- the queue ----------------------------------------------------------------------------------


def test_the_queue_shows_open_tickets_with_their_sla_state(client, tokens):
    receipt = new_ticket(client)
    body = get(client, "/staff/queue", tokens["supervisor"]).body.decode()
    assert receipt["number"] in body
    assert 'data-sla="on_time"' in body and "联系报修人" in body
    english = get(client, "/staff/queue?lang=en", tokens["supervisor"]).body.decode()
    assert "Ticket queue" in english and "on time" in english


@pytest.mark.parametrize("who", ["desk", "supervisor", "admin", "chief_engineer", "general_manager"])
def test_the_office_and_the_managers_may_read_the_queue(client, tokens, who):
    assert get(client, "/staff/queue", tokens[who]).status_code == 200


@pytest.mark.parametrize("who", ["quality", "wang"])
def test_quality_and_technicians_may_not_read_the_queue(client, tokens, who):
    assert get(client, "/staff/queue", tokens[who]).status_code == 403


def test_without_a_staff_token_the_queue_sends_you_to_sign_in(client):
    receipt = new_ticket(client)
    for token in (None, receipt["tracking_token"]):
        response = get(client, "/staff/queue", token)
        assert response.status_code == 303 and "/staff/sign-in" in response.headers["Location"]


def test_queue_filters_narrow_the_list_and_bad_filters_are_a_400_not_a_500(client, tokens):
    jiangsu, guangdong = new_ticket(client), new_ticket(client, province="CN-GD")
    body = get(client, "/staff/queue?province=CN-GD", tokens["supervisor"]).body.decode()
    assert guangdong["number"] in body and jiangsu["number"] not in body
    blank = get(client, "/staff/queue?status=&priority=&province=&technician=", tokens["supervisor"])
    assert blank.status_code == 200 and guangdong["number"] in blank.body.decode()
    bad = get(client, "/staff/queue?status=bogus&lang=en", tokens["supervisor"])
    assert bad.status_code == 400 and "Please choose one of the options" in bad.body.decode()


# -- the ticket page ----------------------------------------------------------------------------


def test_the_ticket_page_shows_facts_schedule_timeline_and_the_supervisors_forms(client, tokens):
    receipt = new_ticket(client)
    body = get(client, f"/staff/tickets/{receipt['number']}", tokens["supervisor"]).body.decode()
    for part in ('id="schedule"', 'id="timeline"', 'id="classify-form"', 'id="dispatch-form"', 'id="pause-form"',
                 'id="cancel-form"', 'id="contact-form"', "苏州精密机械有限公司", 'name="technicians" value="wang"'):
        assert part in body, part


def schedule_table(page: str) -> str:
    start = page.index('id="schedule"')
    return page[start : page.index("</table>", start)]


def test_a_chinese_ticket_page_explains_every_deadline_in_chinese_and_an_english_one_in_english(client, tokens):
    number = new_ticket(client)["number"]
    sup = tokens["supervisor"]
    assert post(client, f"/staff/tickets/{number}/classify", sup, CLASSIFY_A).status_code == 303
    pause = {"pause_reason": "customer_unreachable", "pause_note": "电话关机"}
    assert post(client, f"/staff/tickets/{number}/pause", sup, pause).status_code == 303

    chinese = schedule_table(get(client, f"/staff/tickets/{number}", sup).body.decode())
    for words in (
        "派工截止时间", "自报修受理", "起计 2 小时", "（standard 方案，A 特急，省内，7×24 小时）", "最迟",
        "起暂停计时（联系不上客户：电话关机）", "定级为 A 特急", "到场汇报：到达现场后开始计时",
        "2 小时（最迟 6 小时）", "5 个工作日",
    ):
        assert words in chinese, words
    schedule = wiring.services().queue.ticket_file(number).schedule
    assert schedule is not None
    english = [html.escape(line) for d in schedule.deadlines
               for line in explain("en", d, timezone="Asia/Shanghai", now=schedule.computed_at)]
    assert not [line for line in english if line in chinese], "no English explanation on a Chinese page"
    why = re.sub(r"<[^>]+>", " ", "".join(re.findall(r'<ul class="why">(.*?)</ul>', chinese, re.DOTALL)))
    assert why.strip() and set(re.findall(r"[A-Za-z]{2,}", why)) == {"standard"}, "Latin: only the plan's name"

    english_page = schedule_table(get(client, f"/staff/tickets/{number}?lang=en", sup).body.decode())
    for words in (
        "dispatch due", "= created", "+ 2 h (standard plan, A critical, in-province, 24/7)", "clock stopped since",
        "(customer unreachable: 电话关机)", "classified A critical at", "2 h (6 h at the latest)", "5 working days",
    ):
        assert words in english_page, words
    assert "派工截止时间" not in english_page


def timeline_of(page: str) -> str:
    """The timeline's text: one line per event, tags dropped."""
    start = page.index('id="timeline"')
    items = re.findall(r"<li>(.*?)</li>", page[start : page.index("</ol>", start)], re.DOTALL)
    return "\n".join(html.unescape(" ".join(re.sub(r"<[^>]+>", " ", item).split())) for item in items)


def test_the_timeline_reads_in_the_pages_language_with_what_each_move_recorded(client, tokens):
    number = new_ticket(client)["number"]
    sup = tokens["supervisor"]
    assert post(client, f"/staff/tickets/{number}/classify", sup, CLASSIFY_A).status_code == 303
    assert post(client, f"/staff/tickets/{number}/dispatch", sup, {"technicians": ["wang"]}).status_code == 303
    pause = {"pause_reason": "customer_unreachable", "pause_note": "电话关机"}
    assert post(client, f"/staff/tickets/{number}/pause", sup, pause).status_code == 303
    timeline = wiring.services().queue.ticket_file(number).timeline
    assert any(e.action == Action.CLASSIFY and e.payload.after.priority == "A" for e in timeline)
    summaries = [e.summary for e in timeline if e.summary]

    chinese = timeline_of(get(client, f"/staff/tickets/{number}", sup).body.decode())
    for words in (
        "客户: 报修受理：渠道：网页；服务类型：故障维修",
        "supervisor: 分类定级：等级：A 特急；服务方案：standard；省内/省外：省内；服务类型：故障维修；"
        "收费：免费（质保期内）；收费依据：合同质保期内；质保：在质保期内",
        "supervisor: 派工：服务人员：wang",
        "supervisor: 暂停计时：原因：联系不上客户；说明：电话关机",
        "系统: 通知：", "时限监控: 时限预警/升级：通报领导：已通报第 2 级（总工/技术部经理）",
    ):
        assert words in chinese, words
    assert not [s for s in summaries if s in chinese], "no English summary on a Chinese page"
    latin = set(re.findall(r"[A-Za-z]{2,}", re.sub(r"\S+@\S+|arn:\S+", "", chinese)))
    assert latin <= {"supervisor", "wang", "standard"}, latin  # user names and the plan's name

    english = timeline_of(get(client, f"/staff/tickets/{number}?lang=en", sup).body.decode())
    for words in (
        "customer: Request received: channel: web; type: Fault / repair",
        "supervisor: Classified: priority: A critical; plan: standard; province: in-province",
        "supervisor: Dispatched: technicians: wang",
        "supervisor: Clock paused: reason: customer unreachable; note: 电话关机",
        "deadline monitor: Deadline warning / escalation: leaders told: level 2 (chief engineer)",
    ):
        assert words in english, words
    assert not re.search(r"[\u4e00-\u9fff]", english.replace("电话关机", "")), "Chinese only where it was typed"


@pytest.mark.parametrize("who", ["quality", "chief_engineer", "general_manager"])
def test_others_in_the_office_read_the_ticket_without_forms(client, tokens, who):
    receipt = new_ticket(client)
    response = get(client, f"/staff/tickets/{receipt['number']}", tokens[who])
    assert response.status_code == 200
    assert 'id="classify-form"' not in response.body.decode()


def test_the_desk_may_record_contact_but_not_classify(client, tokens):
    receipt = new_ticket(client)
    body = get(client, f"/staff/tickets/{receipt['number']}", tokens["desk"]).body.decode()
    assert 'id="contact-form"' in body and 'id="classify-form"' not in body
    number = receipt["number"]
    assert post(client, f"/staff/tickets/{number}/contact", tokens["desk"], {"contact_note": "called"}).status_code == 303
    assert post(client, f"/staff/tickets/{number}/classify", tokens["desk"], CLASSIFY_A).status_code == 403


def test_a_technician_sees_only_tickets_dispatched_to_them(client, tokens):
    number = new_ticket(client)["number"]
    assert get(client, f"/staff/tickets/{number}", tokens["wang"]).status_code == 403
    post(client, f"/staff/tickets/{number}/classify", tokens["supervisor"], CLASSIFY_A)
    post(client, f"/staff/tickets/{number}/dispatch", tokens["supervisor"], {"technicians": ["wang"]})
    page = get(client, f"/staff/tickets/{number}", tokens["wang"])
    assert page.status_code == 200 and 'id="dispatch-form"' not in page.body.decode()
    assert get(client, f"/staff/tickets/{number}", tokens["li"]).status_code == 403


def test_an_unknown_ticket_is_a_404(client, tokens):
    assert get(client, "/staff/tickets/SD-2026-999999", tokens["supervisor"]).status_code == 404
    assert get(client, "/staff/tickets/" + "X" * 100, tokens["supervisor"]).status_code == 404


# -- the supervisor's moves ---------------------------------------------------------------------


def test_classify_then_dispatch_two_technicians(client, tokens):
    number = new_ticket(client)["number"]
    response = post(client, f"/staff/tickets/{number}/classify", tokens["supervisor"], CLASSIFY_A)
    assert response.status_code == 303 and response.headers["Location"].endswith(f"/staff/tickets/{number}?done=classify")
    classified = ticket(number)
    assert (classified.priority, classified.billing.value, classified.warranty) == (Priority.CRITICAL, "free", True)

    response = post(client, f"/staff/tickets/{number}/dispatch", tokens["supervisor"], {"technicians": ["wang", "li"]})
    assert response.status_code == 303
    assert ticket(number).assignees == ("wang", "li") and ticket(number).status == Status.DISPATCHED
    jobs = wiring.services().queue._tickets.tickets_for_technician("li")  # noqa: SLF001 (the technician pages' read)
    assert [t.number for t in jobs] == [number]
    page = get(client, f"/staff/tickets/{number}?done=dispatch", tokens["supervisor"]).body.decode()
    assert "已派工" in page and "派工：服务人员：wang、li" in page and "dispatched wang, li" not in page


def test_a_wrong_classification_is_a_400_with_the_message_next_to_the_field(client, tokens):
    number = new_ticket(client)["number"]
    for wrong, field in (({"priority": ""}, "priority"), ({"plan": "no-such-plan"}, "plan"),
                         ({"billing": "maybe"}, "billing")):
        response = post(client, f"/staff/tickets/{number}/classify?lang=en", tokens["supervisor"],
                        {**CLASSIFY_A, **wrong})
        assert response.status_code == 400
        assert f'id="{field}-error"' in response.body.decode()
    assert ticket(number).priority is None


def test_dispatch_needs_a_classified_ticket_and_real_technicians(client, tokens):
    number = new_ticket(client)["number"]
    early = post(client, f"/staff/tickets/{number}/dispatch?lang=en", tokens["supervisor"], {"technicians": ["wang"]})
    assert early.status_code == 409 and "is not possible now" in early.body.decode()
    post(client, f"/staff/tickets/{number}/classify", tokens["supervisor"], CLASSIFY_A)
    nobody = post(client, f"/staff/tickets/{number}/dispatch", tokens["supervisor"], {})
    assert nobody.status_code == 400 and 'id="technicians-error"' in nobody.body.decode()
    stranger = post(client, f"/staff/tickets/{number}/dispatch", tokens["supervisor"], {"technicians": ["desk"]})
    assert stranger.status_code == 400 and "不是服务人员：desk" in stranger.body.decode()
    assert ticket(number).assignees == ()


def test_the_agreed_date_is_china_time_stored_in_utc_and_a_past_date_is_refused(client, tokens):
    number = new_ticket(client)["number"]
    ok = post(client, f"/staff/tickets/{number}/agreed-date", tokens["supervisor"], {"agreed_date": f"{IN_A_MONTH}T09:30"})
    assert ok.status_code == 303
    assert ticket(number).agreed_date.isoformat() == f"{IN_A_MONTH}T01:30:00+00:00"
    for bad in ("2020-01-01T09:30", "tomorrow"):
        refused = post(client, f"/staff/tickets/{number}/agreed-date", tokens["supervisor"], {"agreed_date": bad})
        assert refused.status_code == 400 and 'id="agreed_date-error"' in refused.body.decode()
        assert f'value="{bad}"' in refused.body.decode(), "the input is kept"


def test_pause_resume_and_cancel(client, tokens):
    number = new_ticket(client)["number"]
    sup = tokens["supervisor"]
    no_note = post(client, f"/staff/tickets/{number}/pause", sup, {"pause_reason": "other"})
    assert no_note.status_code == 400 and 'id="pause_note-error"' in no_note.body.decode()
    assert post(client, f"/staff/tickets/{number}/pause", sup, {"pause_reason": "customer_unreachable"}).status_code == 303
    assert ticket(number).status == Status.WAITING_ON_CUSTOMER
    assert 'id="resume-form"' in get(client, f"/staff/tickets/{number}", sup).body.decode()
    assert post(client, f"/staff/tickets/{number}/resume", sup).status_code == 303
    assert ticket(number).status == Status.NEW

    assert post(client, f"/staff/tickets/{number}/cancel", sup, {"cancel_reason": " "}).status_code == 400
    assert post(client, f"/staff/tickets/{number}/cancel", sup, {"cancel_reason": "duplicate"}).status_code == 303
    assert ticket(number).status == Status.CANCELLED
    assert number not in get(client, "/staff/queue", sup).body.decode()


MOVES = [("classify", CLASSIFY_A), ("agreed-date", {"agreed_date": f"{IN_A_MONTH}T09:30"}),
         ("dispatch", {"technicians": ["wang"]}), ("pause", {"pause_reason": "site_not_ready"}), ("resume", {}),
         ("cancel", {"cancel_reason": "x"})]


# Who may make which move is the same whatever stores the ticket: the role matrices run over the
# in-memory world; the moves themselves, and a refusal and an admin's move, over moto above and below.
@pytest.mark.parametrize("move, body", MOVES)
@pytest.mark.parametrize("who", ["desk", "wang", "quality", "chief_engineer", "general_manager"])
def test_only_the_supervisor_and_admin_make_the_supervisors_moves(memory_client, memory_staff_token, move, body, who):
    client, tokens = memory_client, Tokens(memory_staff_token)
    number = new_ticket(client)["number"]
    assert post(client, f"/staff/tickets/{number}/{move}", tokens[who], body).status_code == 403
    assert ticket(number).version == 1


@pytest.mark.parametrize("move, body", MOVES + [("contact", {"contact_note": "x"})])
def test_no_token_or_a_customers_tracking_token_never_moves_a_ticket(memory_client, move, body):
    client = memory_client
    receipt = new_ticket(client)
    number = receipt["number"]
    for token, bearer in ((None, False), (receipt["tracking_token"], False), (receipt["tracking_token"], True)):
        response = post(client, f"/staff/tickets/{number}/{move}", token, body, bearer=bearer)
        assert response.status_code == 303 and "/staff/sign-in" in response.headers["Location"]
    assert ticket(number).version == 1


def test_a_technician_may_not_record_contact(client, tokens):
    number = new_ticket(client)["number"]
    assert post(client, f"/staff/tickets/{number}/contact", tokens["wang"], {"contact_note": "x"}).status_code == 403


def test_admin_may_act_as_supervisor(client, tokens):
    number = new_ticket(client)["number"]
    assert post(client, f"/staff/tickets/{number}/classify", tokens["admin"], CLASSIFY_A).status_code == 303


# -- the desk's entry ---------------------------------------------------------------------------


def entry(**overrides):
    return {**valid_report(), "channel": "phone", "idempotency_key": "k-1", **overrides}


def test_the_desk_enters_a_phoned_in_request_and_lands_on_its_ticket(client, tokens):
    assert get(client, "/staff/requests/new", tokens["desk"]).status_code == 200
    response = post(client, "/staff/requests/new", tokens["desk"], entry())
    assert response.status_code == 303
    number = response.headers["Location"].rsplit("/", 1)[-1].split("?")[0]
    entered = ticket(number)
    assert entered.channel == Channel.PHONE
    events = wiring.services().queue.ticket_file(number).timeline
    assert events[0].actor == "desk" and events[0].payload.channel == "phone"


def test_the_entry_refuses_the_web_channel_and_keeps_what_was_typed(client, tokens):
    response = post(client, "/staff/requests/new?lang=en", tokens["desk"], entry(channel="web", customer_name=""))
    body = response.body.decode()
    assert response.status_code == 400
    assert 'id="channel-error"' in body and 'id="customer_name-error"' in body
    assert "工业园区星湖街 328 号" in body


@pytest.mark.parametrize("who", ["wang", "quality", "chief_engineer", "general_manager"])
def test_only_the_office_enters_requests(client, tokens, who):
    assert get(client, "/staff/requests/new", tokens[who]).status_code == 403
    assert post(client, "/staff/requests/new", tokens[who], entry()).status_code == 403


def test_customers_still_always_come_in_by_web(client):
    number = new_ticket(client, channel="phone")["number"]
    assert ticket(number).channel == Channel.WEB


def test_the_staff_home_lists_the_pages_each_role_may_open(client, tokens):
    supervisor = get(client, "/staff", tokens["supervisor"]).body.decode()
    assert "/staff/queue" in supervisor and "/staff/requests/new" in supervisor
    chief = get(client, "/staff", tokens["chief_engineer"]).body.decode()
    assert "/staff/queue" in chief and "/staff/requests/new" not in chief
    assert "/staff/queue" not in get(client, "/staff", tokens["quality"]).body.decode()
    assert "/staff/parts" in supervisor and "/staff/receivables" in supervisor
    assert "/staff/receivables" not in get(client, "/staff", tokens["desk"]).body.decode()


@pytest.mark.parametrize("path", ["/staff/callbacks", "/staff/maintenance", "/staff/complaints", "/staff/queue",
                                  "/staff/approvals", "/staff/reports"])
def test_every_staff_page_leads_back_to_the_staff_home(client, tokens, path):
    page = get(client, path, tokens["admin"]).body.decode()
    assert page.count('id="staff-home-link"') == 1
    assert 'id="staff-home-link"' not in get(client, "/staff", tokens["admin"]).body.decode()


def test_a_paid_classification_needs_a_reason_that_fits_and_records_it(client, tokens):
    number = new_ticket(client)["number"]
    path = f"/staff/tickets/{number}/classify"
    assert post(client, path, tokens["supervisor"], {**CLASSIFY_A, "billing": "paid"}).status_code == 400
    wrong = post(client, path, tokens["supervisor"], {**CLASSIFY_A, "billing": "paid", "billing_reason": "in_warranty"})
    assert wrong.status_code == 400 and 'id="billing_reason-error"' in wrong.body.decode()
    ok = post(client, path, tokens["supervisor"], {**CLASSIFY_A, "billing": "paid", "billing_reason": "misuse"})
    assert ok.status_code == 303
    assert (ticket(number).billing.value, ticket(number).billing_reason.value) == ("paid", "misuse")


def test_a_free_classification_records_that_it_is_inside_the_warranty(client, tokens):
    number = new_ticket(client)["number"]
    post(client, f"/staff/tickets/{number}/classify", tokens["supervisor"], CLASSIFY_A)
    assert ticket(number).billing_reason.value == "in_warranty"


def test_an_unchosen_reason_from_the_browser_is_no_reason(client, tokens):
    number = new_ticket(client)["number"]
    response = post(client, f"/staff/tickets/{number}/classify", tokens["supervisor"], {**CLASSIFY_A, "billing_reason": ""})
    assert response.status_code == 303
    assert ticket(number).billing_reason.value == "in_warranty"
