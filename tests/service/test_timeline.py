"""Every move's event reads in the page's language: a job and a complaint taken through every ``Action`` by
the real use cases (over in-memory adapters), each event then said in Chinese and in English from the facts
the move recorded — never by its English summary — with what people typed shown as typed."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from chalicelib.domain.aftercare import CallbackInput, Problem, SurveyInput
from chalicelib.domain.billing import BillingReason, PaymentMethod
from chalicelib.domain.closure import ArrivalReport, Departure, Location
from chalicelib.domain.complaints import Approver, CapaKind, CapaStatus, Cause, Severity
from chalicelib.domain.events import PauseReason
from chalicelib.domain.intake import CustomerAdditionInput, ServiceRequestInput
from chalicelib.domain.loaners import Condition
from chalicelib.domain.notification import MessageChannel
from chalicelib.domain.parts import PartLine, Shipment
from chalicelib.domain.permissions import SystemActor
from chalicelib.domain.ticket import Action, Billing, Priority, TicketEvent
from chalicelib.i18n import events
from chalicelib.services.intake import PublicOrigin
from tests.fakes import fake_world, valid_report
from tests.service.test_aftercare import survey_token
from tests.service.test_billing import LINES
from tests.service.test_complaints import complaint
from tests.service.test_field_work import WANG, WORK, form_key

ZONE = "Asia/Shanghai"
# What people typed in this story, shown as typed in both languages.
TYPED = ["约好明早到", "电话关机", "含税", "柜体烧损", "园区宾馆", "已拆下断路器", "断路器", "急", "同意", "顺丰",
         "王工", "客户不在", "回公司", "验收单缺少公章", "更换断路器，试运行正常", "轻微划痕", "很好", "仍有异响",
         "重复报修", "价格太高", "生产部", "来料不良", "退换并整改", "金额过高", "换货", "返工", "退换不良品",
         "已完成返工", "苏州精密机械有限公司", "柜门也有异响",
         "张主管", "李总工", "王总经理", "赵值班", "钱值班总工"]  # the roster's people, told of steps
# Latin words a Chinese line may hold: user names, the plan's name, codes and numbers typed or issued.
LATIN = {"sup", "desk", "tech", "wang", "chief", "wh", "customer", "quality", "gm", "li", "standard", "complaint",
         "KYN", "SF", "TX", "PO", "SD", "CNY"}


@pytest.fixture(scope="module")
def story() -> list[TicketEvent]:
    world = fake_world()
    s = world.services
    receipt = s.intake.submit(ServiceRequestInput.model_validate(valid_report()), language="zh-CN")
    number = receipt.number
    s.tracking.add_information(receipt.tracking_token, CustomerAdditionInput(note="柜门也有异响"),
                               origin=PublicOrigin(ip="203.0.113.9"), submission="add-1")
    s.desk.classify(number, actor=SystemActor("sup"), priority=Priority.CRITICAL)
    world.clock.advance(timedelta(hours=2))
    s.sla.sweep()  # the supervisor's dispatch deadline missed: the level above him is told
    mail = next(m for m in world.notifier.sent if "breach:dispatched" in m.purpose)
    s.sla.acknowledge(mail.text.split("/escalations/")[1].split()[0])
    s.desk.record_contact(number, actor=SystemActor("desk"), note="约好明早到")
    s.desk.classify(number, actor=SystemActor("sup"), priority=Priority.URGENT)
    s.desk.dispatch(number, actor=SystemActor("sup"), technicians=("tech-wang",))
    saturday = datetime(2026, 11, 28, 1, tzinfo=UTC)  # 09:00 on a Saturday: approved before it is made
    s.field_work.request_overtime(number, WANG, starts_at=saturday, ends_at=saturday + timedelta(hours=6))
    s.field_work.decide_overtime(number, "O1", actor=SystemActor("sup"), approve=True)
    s.desk.pause(number, actor=SystemActor("sup"), reason=PauseReason.CUSTOMER_UNREACHABLE, note="电话关机")
    s.desk.resume(number, actor=SystemActor("sup"))
    s.billing.decide_billing(number, actor=SystemActor("sup"), billing_kind=Billing.PAID, reason=BillingReason.MISUSE)
    s.billing.draft_quote(number, actor=SystemActor("sup"), lines=LINES, valid_until=date(2026, 12, 31), note="含税")
    s.billing.send_quote(number, actor=SystemActor("sup"))
    s.billing.answer_quote(receipt.tracking_token, approve=True, revision=1)
    s.field_work.set_out(number, WANG)
    s.field_work.check_in(number, WANG, Location(lat=31.3, lon=120.6, accuracy_m=12))
    s.field_work.report_arrival(number, WANG, ArrivalReport(situation="柜体烧损", lodging="园区宾馆",
                                                            contact_phone="13900000000"))
    s.field_work.report_progress(number, WANG, "已拆下断路器", [])
    s.field_work.start_repair(number, WANG)
    s.billing.request_parts(number, actor=SystemActor("tech-wang"), items=[PartLine(part_number="P-1", name="断路器", quantity=2)],
                            note="急")
    s.billing.review_parts(number, "R1", actor=SystemActor("chief"), approve=True, note="同意")
    s.billing.parts_lead_time(number, "R1", actor=SystemActor("wh"), expected_on=date(2026, 3, 20))
    s.billing.ship_parts(number, "R1", actor=SystemActor("wh"),
                         shipment=Shipment(carrier="顺丰", tracking_number="SF123", shipped_on=date(2026, 3, 20)))
    s.billing.receive_parts(number, "R1", actor=SystemActor("tech-wang"), received_on=date(2026, 3, 21))
    today = s.billing.today()
    s.billing.issue_loaner(number, actor=SystemActor("sup"), model="KYN28", serial_number="L-9", issued_to="王工", issued_on=today)
    s.field_work.resolve(number, WANG)
    s.field_work.refuse_signature(number, WANG, "客户不在")
    s.field_work.report_departure(number, WANG, Departure(planned_return=date(2026, 3, 30), note="回公司"))
    s.field_work.file_uploaded_form(number, WANG, WORK, form_key(world, number))
    s.field_work.reject(number, actor=SystemActor("sup"), reason="验收单缺少公章")
    s.field_work.file_uploaded_form(number, WANG, WORK, form_key(world, number))
    s.billing.return_loaner(number, "L1", actor=SystemActor("sup"), returned_on=today, condition=Condition.WORN, note="轻微划痕")
    s.field_work.approve(number, actor=SystemActor("sup"))
    s.billing.invoice(number, actor=SystemActor("sup"), amount=Decimal("1730"), invoice_number="88001", on=today)
    s.billing.record_payment(number, actor=SystemActor("sup"), received_on=today, amount=Decimal("1730"),
                             method=PaymentMethod.BANK_TRANSFER, reference="TX-1")
    s.aftercare.job_closed(number)
    s.aftercare.answer(survey_token(world, number),
                       SurveyInput(overall=5, timeliness=4, attitude=5, quality=3, comment="很好"))
    world.clock.advance(timedelta(days=6))
    [task] = s.aftercare.due_callbacks()
    s.aftercare.record_callback(task.id, CallbackInput(reached=True, satisfied=False, problem=Problem.FOLLOW_UP,
                                                       notes="仍有异响"), actor=SystemActor("desk"))

    declined = s.intake.submit(ServiceRequestInput.model_validate(valid_report()), language="zh-CN")
    s.billing.decide_billing(declined.number, actor=SystemActor("sup"), billing_kind=Billing.PAID,
                             reason=BillingReason.OUT_OF_WARRANTY)
    s.billing.draft_quote(declined.number, actor=SystemActor("sup"), lines=LINES, valid_until=date(2026, 12, 31))
    s.billing.send_quote(declined.number, actor=SystemActor("sup"))
    s.billing.answer_quote(declined.tracking_token, approve=False, revision=1)
    s.desk.cancel(declined.number, actor=SystemActor("sup"), reason="价格太高")

    case = complaint(world, severity=Severity.SEVERE)
    s.complaints.commit_reply(case, world.clock.now() + timedelta(days=1), actor=SystemActor("desk"))
    s.complaints.analyse(case, Cause.QUALITY, "生产部", "来料不良", actor=SystemActor("quality"))
    s.complaints.propose(case, "退换并整改", Decimal("5000"), actor=SystemActor("desk"))
    s.complaints.decide(case, Approver.SUPERVISOR, False, actor=SystemActor("sup"), note="金额过高")
    s.complaints.propose(case, "换货", None, actor=SystemActor("desk"))
    s.complaints.decide(case, Approver.SUPERVISOR, True, actor=SystemActor("sup"))
    s.complaints.decide(case, Approver.GENERAL_MANAGER, True, actor=SystemActor("gm"))
    s.complaints.agree(case, actor=SystemActor("desk"))
    s.complaints.plan_capa(case, CapaKind.CORRECTIVE, "返工", "li", date(2026, 12, 10), actor=SystemActor("quality"))
    for status in (CapaStatus.IN_PROGRESS, CapaStatus.IMPLEMENTED):
        s.complaints.update_capa(case, "1", status, actor=SystemActor("li"), verifier=False, note="已完成返工")
    s.complaints.update_capa(case, "1", CapaStatus.VERIFIED, actor=SystemActor("quality"), verifier=True)
    s.complaints.close(case, actor=SystemActor("desk"))
    assert any(m.channel == MessageChannel.SMS for m in world.notifier.sent)
    return [e for n in (number, declined.number, case) for e in world.tickets.events(n)]


def test_the_story_takes_every_action(story):
    assert {e.action for e in story} == set(Action)


def typed_removed(text: str) -> str:
    for typed in sorted(TYPED, key=len, reverse=True):
        text = text.replace(typed, "")
    return text


def test_in_chinese_every_event_reads_in_chinese_from_its_facts(story):
    for event in story:
        line = events.describe("zh-CN", event, timezone=ZONE)
        assert line.text.startswith(events.action_label("zh-CN", event.action))
        plain = re.sub(r"\S+@\S+|arn:\S+", "", typed_removed(line.text))
        assert set(re.findall(r"[A-Za-z]{2,}", plain)) <= LATIN, (event.action, line.text)


def test_in_english_every_event_reads_in_english_with_typed_text_as_typed(story):
    for event in story:
        line = events.describe("en", event, timezone=ZONE)
        assert line.text.startswith(events.action_label("en", event.action))
        assert not re.search(r"[\u3000-\u9fff\uff00-\uffef]", typed_removed(line.text)), (event.action, line.text)


def said(story, action, lang="zh-CN", *, index=0, customer=False):
    event = [e for e in story if e.action == action][index]
    return events.describe(lang, event, timezone=ZONE, customer=customer).text


def test_a_notice_to_the_staff_topic_names_who_reads_it_not_the_topics_arn(story):
    topic = [e for e in story if e.action == Action.NOTIFY and e.payload.recipient.startswith("arn:aws:sns:")]
    assert topic, "the desk topic was told of the new ticket"
    for lang, words in (("zh-CN", "订阅新服务单通知的员工"), ("en", "the staff subscribed to new tickets")):
        text = events.describe(lang, topic[0], timezone=ZONE).text
        assert words in text and "arn:" not in text


def test_what_each_move_recorded_is_said(story):
    assert said(story, Action.CLASSIFY, index=1) == "分类定级：等级：A 特急 → B 紧急"
    assert said(story, Action.DISPATCH) == "派工：服务人员：tech-wang"
    assert said(story, Action.PAUSE) == "暂停计时：原因：联系不上客户；说明：电话关机"
    assert said(story, Action.RESUME) == "恢复计时：状态：等待客户 → 已派工"
    assert said(story, Action.DECIDE_BILLING) == "收费判定：收费：有偿服务；收费依据：使用不当"
    escalations = [events.describe("zh-CN", e, timezone=ZONE).text for e in story if e.action == Action.ESCALATE]
    assert "时限预警/升级：通报领导：已通报第 2 级（总工/技术部经理）；已通知 李总工" in escalations
    assert "时限预警/升级：派工超时：已升级到第 2 级（总工/技术部经理）；已通知 李总工" in escalations
    assert "时限预警/升级：联系报修人超时 1 小时：已升级到第 3 级（总经理）；已通知 王总经理" in escalations
    assert re.fullmatch(r"认领：第 2 级（总工/技术部经理）认领了“派工”的超时（截止 \d{4}-\d\d-\d\d \d\d:\d\d）",
                        said(story, Action.ACKNOWLEDGE))
    assert said(story, Action.DRAFT_QUOTE) == (
        "拟定报价：第 1 版；明细：3 行；合计：1,730.00 元；有效期至：2026-12-31；说明：含税")
    assert said(story, Action.RECORD_PAYMENT).startswith("收款：金额：1,730.00 元；付款方式：银行转账；")
    assert said(story, Action.REQUEST_PARTS) == "申请备件：申请单：R1；备件：P-1 断路器 ×2；说明：急"
    assert said(story, Action.SHIP_PARTS) == "备件发货：申请单：R1；发货日期：2026-03-20；承运商：顺丰；运单号：SF123"
    assert said(story, Action.RETURN_LOANER).startswith("归还备用机：型号：KYN28；序列号：L-9；归还状况：正常磨损；")
    assert said(story, Action.REJECT_CLOSURE) == "退回现场：原因：验收单缺少公章"
    assert said(story, Action.ANSWER_SURVEY) == (
        "客户提交满意度评价：总体满意度：5/5；响应及时性：4/5；服务态度：5/5；服务质量：3/5；意见和建议：很好")
    assert re.fullmatch(r"回访：客户提出问题；问题：需再次服务（开立服务单）；记录：仍有异响；后续服务单：SD-\d{4}-\d{6}",
                        said(story, Action.RECORD_CALLBACK))
    assert said(story, Action.ANALYSE_COMPLAINT) == "投诉原因分析：原因分类：质量原因；责任部门：生产部；原因分析：来料不良"
    assert said(story, Action.PROPOSE_RESOLUTION) == "提出处理方案：处理方案：退换并整改；赔偿：5,000.00 元"
    assert said(story, Action.REJECT_RESOLUTION) == "驳回处理方案：审批人：售后服务主管；说明：金额过高"
    assert said(story, Action.PLAN_CAPA) == "新增纠正/预防措施：措施 1：纠正措施 · 返工；责任人：li；期限：2026-12-10"
    assert said(story, Action.UPDATE_CAPA, index=1) == "更新纠正/预防措施：措施 1：已完成；说明：已完成返工"
    assert said(story, Action.UPDATE_CAPA, index=2) == "更新纠正/预防措施：措施 1：已验证"
    assert said(story, Action.CANCEL) == "取消服务单：原因：价格太高"
    assert said(story, Action.CLASSIFY, "en", index=1) == "Classified: priority: A critical → B urgent"
    assert said(story, Action.PAUSE, "en") == "Clock paused: reason: customer unreachable; note: 电话关机"


def test_the_customer_reads_the_words_of_the_tracking_page_without_the_offices_own_notes(story):
    assert said(story, Action.SUBMIT, customer=True) == "报修已受理（网页）"
    assert said(story, Action.APPROVE_QUOTE, customer=True) == "客户已确认报价（服务协议已签订）：第 1 版"
    assert said(story, Action.SET_OUT, customer=True) == "出发前往现场"
    assert said(story, Action.CHECK_IN, customer=True) == "到达现场签到"
    assert "位置" in said(story, Action.CHECK_IN)
