"""Who may take which step is the use case's own rule, whichever page or API calls it (SPEC "Who uses it"):
the supervisor classifies, dispatches, pauses and cancels (000 §4.4); the desk records the first contact;
money is the supervisor's (000 §4.3.1); the chief engineer reviews parts; a technician requests parts and
keeps loaners only on a job he is dispatched to; closures and visits outside working time are approved by
supervisors (000 §4.4.3). A system actor (a scheduled job, a subscriber) answers for itself; a bare name is
no actor."""

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from chalicelib.adapters.memory_archive import MemoryArchive
from chalicelib.domain.aftercare import CallbackInput, MaintenanceInput
from chalicelib.domain.archive import Customer, InstalledProduct
from chalicelib.domain.billing import BillingReason
from chalicelib.domain.closure import WorkReport
from chalicelib.domain.escalation import Person
from chalicelib.domain.events import PauseReason
from chalicelib.domain.intake import ServiceRequestInput
from chalicelib.domain.loaners import Condition
from chalicelib.domain.parts import PartLine
from chalicelib.domain.permissions import NotPermitted, SystemActor, Work
from chalicelib.domain.plans import Role
from chalicelib.domain.reports import ReportMonth
from chalicelib.domain.staff import StaffRole, StaffUser
from chalicelib.domain.ticket import Action, Billing, Priority, Status
from chalicelib.domain.webhooks import SubscriptionRequest
from chalicelib.services.api_clients import ApiClientsService
from chalicelib.services.archive import UnknownProduct
from tests.fakes import fake_world, valid_report
from tests.service.test_aftercare import archived_product
from tests.service.test_follow_up_subscribers import due_call
from tests.service.test_nameplates import service as nameplate_service
from tests.service.test_reports import World as ReportWorld

R = StaffRole


def staff(name: str, *roles: StaffRole) -> StaffUser:
    return StaffUser(username=name, roles=frozenset(roles))


SUPERVISOR = staff("sup-zhang", R.SUPERVISOR)
DESK = staff("desk-liu", R.DESK)
CHIEF = staff("chief-li", R.CHIEF_ENGINEER)
QUALITY = staff("quality-zhou", R.QUALITY)
WANG = staff("tech-wang", R.TECHNICIAN)
LI = staff("tech-li", R.TECHNICIAN)
SATURDAY_0900, SATURDAY_1500 = datetime(2026, 11, 28, 1, tzinfo=UTC), datetime(2026, 11, 28, 7, tzinfo=UTC)
PARTS = [PartLine(part_number="VS1-12", name="真空断路器", quantity=1)]


@pytest.fixture
def world():
    return fake_world()


def new_ticket(world) -> str:
    return world.services.intake.submit(ServiceRequestInput.model_validate(valid_report()), language="zh-CN").number


def dispatched_to_wang(world) -> str:
    number = new_ticket(world)
    world.services.desk.classify(number, actor=SUPERVISOR, priority=Priority.URGENT)
    world.services.desk.dispatch(number, actor=SUPERVISOR, technicians=("tech-wang",))
    return number


def refused(step, *args, **kwargs) -> NotPermitted:
    with pytest.raises(NotPermitted) as caught:
        step(*args, **kwargs)
    return caught.value


# -- the desk ------------------------------------------------------------------------------------


@pytest.mark.parametrize("who", [DESK, CHIEF, QUALITY, WANG])
def test_only_a_supervisor_classifies_dispatches_pauses_and_cancels(world, who):
    number = new_ticket(world)
    desk = world.services.desk
    assert refused(desk.classify, number, actor=who, priority=Priority.CRITICAL).action == Action.CLASSIFY
    refused(desk.dispatch, number, actor=who, technicians=("tech-wang",))
    refused(desk.pause, number, actor=who, reason=PauseReason.CUSTOMER_UNREACHABLE)
    refused(desk.cancel, number, actor=who, reason="duplicate")
    ticket = world.services.queue.get(number)
    assert ticket.status == Status.NEW and ticket.priority is None and ticket.version == 1


def test_a_refused_move_writes_nothing_and_the_supervisor_then_takes_it(world):
    number = new_ticket(world)
    desk = world.services.desk
    before = world.tickets.events(number)
    refused(desk.classify, number, actor=DESK, priority=Priority.GENERAL)
    assert world.tickets.events(number) == before
    desk.classify(number, actor=SUPERVISOR, priority=Priority.GENERAL)
    desk.pause(number, actor=SUPERVISOR, reason=PauseReason.SITE_NOT_READY)
    refused(desk.resume, number, actor=DESK)
    moved = desk.resume(number, actor=SUPERVISOR)
    assert moved.status == Status.TRIAGED
    assert world.tickets.events(number)[-1].actor == "sup-zhang"


def test_the_desk_records_the_first_contact_but_a_technician_does_not(world):
    number = new_ticket(world)
    world.services.desk.record_contact(number, actor=DESK, note="已电话联系")
    refused(world.services.desk.record_contact, number, actor=WANG, note="")


def test_an_admin_may_do_what_a_supervisor_does(world):
    number = new_ticket(world)
    admin = staff("root", R.ADMIN)
    assert world.services.desk.classify(number, actor=admin, priority=Priority.GENERAL).priority == Priority.GENERAL


def test_a_system_actor_answers_for_itself_and_is_recorded_by_its_name(world):
    """Scheduled jobs, subscribers and the examples elsewhere act as a system actor; the pages and the API
    pass a person."""
    number = new_ticket(world)
    assert world.services.desk.cancel(number, actor=SystemActor("sweep"), reason="duplicate").status == Status.CANCELLED
    assert world.tickets.events(number)[-1].actor == "sweep"


def test_a_move_by_hand_is_a_staff_members_only_where_the_table_gives_it_to_his_roles(world):
    number = new_ticket(world)
    desk = world.services.desk
    refused(desk.move, number, Action.CANCEL, actor=DESK, summary="duplicate")
    refused(desk.move, number, Action.UPLOAD_ACCEPTANCE, actor=SUPERVISOR, summary="filed")  # in no row of it
    assert world.services.queue.get(number).version == 1
    assert desk.move(number, Action.CANCEL, actor=SUPERVISOR, summary="duplicate").status == Status.CANCELLED


def test_a_bare_name_is_not_trusted_and_writes_nothing(world):
    number = new_ticket(world)
    with pytest.raises(TypeError):
        world.services.desk.cancel(number, actor="sweep", reason="duplicate")
    assert world.services.queue.get(number).version == 1


# -- paid jobs, parts and loaners ----------------------------------------------------------------


@pytest.mark.parametrize("who", [DESK, CHIEF, WANG])
def test_money_is_the_supervisors(world, who):
    number = new_ticket(world)
    billing = world.services.billing
    refused(billing.decide_billing, number, actor=who, billing_kind=Billing.PAID, reason=BillingReason.MISUSE)
    billing.decide_billing(number, actor=SUPERVISOR, billing_kind=Billing.PAID, reason=BillingReason.MISUSE)
    refused(billing.send_quote, number, actor=who)
    refused(billing.invoice, number, actor=who, amount=Decimal("100"), invoice_number="FP-1", on=date(2026, 12, 1))
    assert billing.ticket(number).quote is None and billing.ticket(number).account is None


def test_a_technician_requests_parts_and_keeps_loaners_only_on_his_own_job(world):
    number = dispatched_to_wang(world)
    billing = world.services.billing
    refused(billing.request_parts, number, actor=LI, items=PARTS)
    refused(billing.issue_loaner, number, actor=LI, model="VS1", serial_number="L-1", issued_to="客户",
            issued_on=date(2026, 11, 27))
    ticket = billing.request_parts(number, actor=WANG, items=PARTS)
    requisition = ticket.requisitions[-1].id
    ticket = billing.issue_loaner(number, actor=WANG, model="VS1", serial_number="L-1", issued_to="客户",
                                  issued_on=date(2026, 11, 27))
    refused(billing.return_loaner, number, ticket.loaners[-1].id, actor=LI, returned_on=date(2026, 11, 27),
            condition=Condition.GOOD)
    # The technical review is the chief engineer's (or the supervisor's), never the technician's.
    refused(billing.review_parts, number, requisition, actor=WANG, approve=True)
    reviewed = billing.review_parts(number, requisition, actor=CHIEF, approve=True)
    assert reviewed.requisitions[-1].reviewed_by == "chief-li"


# -- the supervisor's approvals ------------------------------------------------------------------


def test_a_visit_outside_working_time_is_decided_by_a_supervisor_not_by_its_technician(world):
    number = dispatched_to_wang(world)
    field_work = world.services.field_work
    field_work.request_overtime(number, WANG, starts_at=SATURDAY_0900, ends_at=SATURDAY_1500)
    assert refused(field_work.decide_overtime, number, "O1", actor=WANG, approve=True).action == Action.DECIDE_OVERTIME
    refused(field_work.decide_overtime, number, "O1", actor=DESK, approve=True)
    decided = field_work.decide_overtime(number, "O1", actor=SUPERVISOR, approve=True)
    assert decided.overtime[-1].decided_by == "sup-zhang"


def filed_by_wang(world) -> str:
    number = dispatched_to_wang(world)
    field_work = world.services.field_work
    field_work.check_in(number, WANG)
    upload = field_work.start_form_upload(number, WANG, "scan.pdf", "application/pdf")
    world.files.objects[upload.key] = b"%PDF-1.7\n" + b"0" * 200
    field_work.file_uploaded_form(number, WANG, WorkReport(work_done="更换断路器", hours=Decimal(2)), upload.key)
    return number


@pytest.mark.parametrize("who", [WANG, DESK, CHIEF, staff("gm-wang", R.GENERAL_MANAGER)])
def test_only_a_supervisor_approves_a_closure_or_sends_it_back(world, who):
    number = filed_by_wang(world)
    field_work = world.services.field_work
    refused(field_work.approve, number, actor=who)
    refused(field_work.reject, number, actor=who, reason="签字不清")
    assert world.tickets.get(number).status == Status.AWAITING_APPROVAL
    assert field_work.approve(number, actor=SUPERVISOR).status == Status.CLOSED


# -- the office's work beyond one job: after-care, the archive, nameplates, webhooks, reports, the rota


def test_callbacks_and_maintenance_plans_are_the_offices(world):
    task, number = due_call(world)
    aftercare = world.services.aftercare
    for who in (WANG, CHIEF, QUALITY):
        refused(aftercare.record_callback, task.id, CallbackInput(reached=True, satisfied=True), actor=who)
    assert aftercare.due_callbacks() == [task]
    aftercare.record_callback(task.id, CallbackInput(reached=True, satisfied=True), actor=DESK)
    assert [e.actor for e in world.tickets.events(number) if e.action == Action.RECORD_CALLBACK] == ["desk-liu"]

    archived_product(world)
    plan = MaintenanceInput.model_validate({"serial_number": "SN-9", "dates": "2027-01-15"})
    assert refused(aftercare.set_schedule, plan, actor=WANG).action == Work.SCHEDULE_MAINTENANCE
    assert aftercare.schedule_of("SN-9") is None
    assert aftercare.set_schedule(plan, actor=DESK).serial_number == "SN-9"


def test_the_archive_is_typed_in_and_imported_by_the_office(world):
    archive = world.services.archive
    customer = archive.parse_customer({"customer_id": "C9", "name": "无锡电机厂", "phones": "13700137000",
                                       "province": "CN-JS"})
    for who in (WANG, CHIEF, QUALITY):
        refused(archive.save_customer, customer, actor=who)
    upload = archive.start_import_upload("客户.csv")
    world.files.objects[upload.key] = "客户编号,客户名称,电话,省份\nC1,苏州精密,13800138000,CN-JS\n".encode()
    assert refused(archive.import_file, upload.key, actor=QUALITY).action == Work.IMPORT_ARCHIVE
    assert archive.customers() == ([], None) and upload.key in world.files.objects
    assert archive.save_customer(customer, actor=DESK).updated_by == "desk-liu"
    product = archive.parse_product({"serial_number": "SN-1", "model": "KYN28", "warranty_months": 12})
    refused(archive.save_product, product, customer_id="C9", actor=QUALITY)
    with pytest.raises(UnknownProduct):
        archive.product_view("SN-1")


def test_the_archives_readers_print_nameplates_its_editors_withdraw_them():
    archive = MemoryArchive()
    archive.save_customer(Customer(id="C1", name="苏州精密", phones=("+8613800138000",), province="CN-JS"), None)
    archive.save_product(InstalledProduct(serial_number="SN-1", customer_id="C1", model="KYN28", warranty_months=12), None)
    nameplates = nameplate_service(archive)
    refused(nameplates.code_url, "SN-1", actor=WANG)
    refused(nameplates.code_file, "SN-1", "png", actor=WANG)
    refused(nameplates.sheet_file, "C1", actor=WANG)
    assert nameplates.label_in_use("SN-1") is None
    nameplates.code_url("SN-1", actor=QUALITY)
    assert nameplates.label_in_use("SN-1").issued_by == "quality-zhou"
    assert refused(nameplates.withdraw, "SN-1", actor=QUALITY).action == Work.WITHDRAW_NAMEPLATE
    assert nameplates.label_in_use("SN-1") is not None
    assert nameplates.withdraw("SN-1", actor=DESK)


def test_only_an_administrator_says_where_the_desks_events_go():
    world = fake_world()
    world.secrets["service-desk/webhook/erp"] = "s3cr3t-" * 6
    request = SubscriptionRequest(name="ERP", url="https://erp.example.com/hooks", events=frozenset({"ticket.opened"}),
                                  secret_name="service-desk/webhook/erp")
    webhooks = world.webhook_service
    assert refused(webhooks.register, request, actor=SUPERVISOR).action == Work.MANAGE_WEBHOOKS
    assert webhooks.subscriptions() == []
    made = webhooks.register(request, actor=staff("root", R.ADMIN))
    assert made.created_by == "root"
    refused(webhooks.remove, made.id, actor=SUPERVISOR)
    assert webhooks.subscriptions() == [made]


class Integrations:
    """The user pool's integrations' clients, as a list."""

    def __init__(self):
        self.made: list[str] = []

    def clients(self):
        return list(self.made)

    def add(self, name, roles):
        self.made.append(name)
        return name

    def remove(self, client_id):
        if client_id not in self.made:
            return False
        self.made.remove(client_id)
        return True


def test_an_integrations_credentials_are_made_and_revoked_by_an_administrator_who_is_a_person():
    pool = Integrations()
    clients = ApiClientsService(pool)
    machine_admin = StaffUser(username="erp", roles=frozenset({R.ADMIN}), integration=True)
    for who in (SUPERVISOR, machine_admin):
        assert refused(clients.add, "erp", ["supervisor"], actor=who).action == Work.MANAGE_API_CLIENTS
    assert pool.made == []
    clients.add("erp", ["supervisor"], actor=staff("root", R.ADMIN))
    refused(clients.remove, "erp", actor=machine_admin)
    assert clients.clients() == ["erp"]


def test_a_months_report_is_built_again_by_its_readers_only():
    reports = ReportWorld()
    march = ReportMonth.parse("2026-03")
    for who in (DESK, WANG):
        assert refused(reports.service.rebuild, march, actor=who).action == Work.BUILD_REPORT
    assert reports.tickets.report_builds == {}
    reports.service.rebuild(march, actor=QUALITY)
    assert reports.service.stored(march) is not None


def test_the_on_call_rota_is_kept_by_supervisors(world):
    sla = world.services.sla
    before = sla.rosters()
    duty = Person(name="值班主管", phone="+8613900139000")
    for who in (DESK, CHIEF, WANG):
        refused(sla.set_on_call, "default", Role.SUPERVISOR, duty, actor=who)
    assert sla.rosters() == before
    assert sla.set_on_call("default", Role.SUPERVISOR, duty, actor=SUPERVISOR).on_call[Role.SUPERVISOR] == (duty,)
