"""Closure rules: what counts as a signed acceptance form, a usable drawn signature, and the moves."""

from __future__ import annotations

import struct
import zlib
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from pydantic import ValidationError

from chalicelib.domain import closure
from chalicelib.domain.closure import (
    MAX_FORM_BYTES,
    Acceptance,
    ArrivalReport,
    BadSignature,
    ClosureState,
    Costs,
    FormProblem,
    FormSource,
    IllegalClosureMove,
    SignatureRefusal,
    WorkReport,
    form_problem,
    is_form_key,
    new_form_key,
    read_signature,
)
from chalicelib.domain.events import ArrivalReported
from chalicelib.domain.sla import FACT_FOR_ACTION, FactKind
from chalicelib.domain.ticket import Action, IllegalTransition, Product, Reporter, Status, Ticket
from tests.pngs import data_url, png, signature_pixels, signature_png

NOW = datetime(2026, 11, 27, 2, 30, tzinfo=UTC)
PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n" + b"0" * 64
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 64
PNG_HEAD = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + b"\x00" * 64


def ticket(status: Status) -> Ticket:
    return Ticket(
        number="SD-2026-000001", status=status, assignees=("tech-wang",),
        reporter=Reporter(customer_name="苏州精密", phone="+8613800138000", province="CN-JS", address="星湖街 328 号"),
        product=Product(model="KYN28-12"), description="跳闸", created_at=NOW, updated_at=NOW,
    )


# ---- the uploaded form ---------------------------------------------------------------------------

@pytest.mark.parametrize("head", [PDF, JPEG, PNG_HEAD])
def test_a_photo_or_pdf_of_the_form_is_accepted_by_its_bytes(head):
    assert form_problem(len(head), head) is None


@pytest.mark.parametrize("head", [b"GIF89a" + b"\x00" * 64, b"hello, this is text", b"PK\x03\x04" + b"\x00" * 64])
def test_anything_else_is_refused_whatever_it_was_called(head):
    assert form_problem(len(head), head) == FormProblem.WRONG_TYPE


def test_a_form_over_10_mb_is_refused_and_a_missing_one_is_named():
    assert form_problem(MAX_FORM_BYTES + 1, PDF) == FormProblem.TOO_LARGE
    assert form_problem(None, b"") == FormProblem.MISSING


def test_a_form_key_belongs_to_one_ticket_only():
    key = new_form_key("SD-2026-000001", "../../验收单 scan.pdf")
    assert key.startswith("forms/SD-2026-000001/") and ".." not in key and key.endswith("/scan.pdf")
    assert new_form_key("SD-2026-000001", "验收单.pdf").endswith("/form.pdf")
    assert is_form_key("SD-2026-000001", key)
    assert not is_form_key("SD-2026-000002", key)
    assert not is_form_key("SD-2026-000001", "uploads/photos/" + "a" * 32 + "/x.png")
    assert not is_form_key("SD-2026-000001", "forms/SD-2026-000001/../SD-2026-000002/x.pdf")


# ---- the drawn signature -------------------------------------------------------------------------

def test_a_canvas_signature_is_decoded_with_every_png_filter_and_laid_on_white():
    signature = read_signature(data_url(signature_png(300, 120)))
    assert (signature.width, signature.height) == (300, 120)
    assert len(signature.rgb) == 300 * 120 * 3
    assert signature.rgb[:3] == b"\xff\xff\xff"  # transparent corner is white paper
    y, x = 60, 150
    assert signature.rgb[(y * 300 + x) * 3] == 0x11  # the stroke is dark


def test_an_rgb_png_without_transparency_is_accepted_too():
    rgba = signature_pixels(200, 80)
    rgb = bytearray()
    for i in range(0, len(rgba), 4):
        rgb += rgba[i:i + 3] if rgba[i + 3] else b"\xff\xff\xff"
    assert read_signature(data_url(png(200, 80, bytes(rgb), channels=3))).width == 200


@pytest.mark.parametrize("value, code", [
    ("", "signature_missing"),
    (data_url(JPEG, "image/jpeg"), "signature_not_png"),
    ("data:image/png;base64,@@@not base64@@@", "signature_not_png"),
    (data_url(b"\x89PNG\r\n\x1a\n" + b"\x00" * 40), "signature_not_png"),
    (data_url(signature_png(60, 20)), "signature_size"),
    (data_url(signature_png(300, 120, ink=False)), "signature_blank"),
])
def test_a_drawing_that_is_not_a_usable_png_is_refused_with_a_reason(value, code):
    with pytest.raises(BadSignature) as refused:
        read_signature(value)
    assert refused.value.code == code


def test_a_png_whose_data_inflates_beyond_its_header_is_refused():
    honest = signature_png(120, 50)
    start = honest.index(b"IDAT") - 4
    bomb = zlib.compress(b"\x00" * 5_000_000)
    forged = honest[:start] + struct.pack(">I", len(bomb)) + b"IDAT" + bomb + b"\x00\x00\x00\x00" + \
        honest[honest.index(b"IEND") - 4:]
    with pytest.raises(BadSignature):
        read_signature(data_url(forged))


def test_a_huge_data_url_is_refused_before_decoding():
    with pytest.raises(BadSignature) as refused:
        read_signature("data:image/png;base64," + "A" * 2_000_000)
    assert refused.value.code == "signature_too_large"


# ---- work report -----------------------------------------------------------------------------------

def test_costs_add_up_and_cannot_be_negative():
    costs = Costs(materials=Decimal("120.50"), labour=Decimal("300"), travel=Decimal("80"), transport=Decimal("0"))
    assert costs.total == Decimal("500.50")
    with pytest.raises(ValidationError):
        Costs(materials=Decimal("-1"))
    with pytest.raises(ValidationError):
        WorkReport(work_done="   ")


# ---- the moves ---------------------------------------------------------------------------------------

def test_check_in_only_from_dispatched_and_reports_only_on_site():
    assert ticket(Status.DISPATCHED).apply(Action.CHECK_IN, actor="w", at=NOW, summary="")[0].status == Status.ON_SITE
    for action in (Action.REPORT_ARRIVAL, Action.START_REPAIR, Action.RESOLVE, Action.REPORT_PROGRESS):
        with pytest.raises(IllegalTransition):
            ticket(Status.DISPATCHED).apply(action, actor="w", at=NOW, summary="")
        assert ticket(Status.ON_SITE).apply(action, actor="w", at=NOW, summary="")[0].status == Status.ON_SITE


def test_filing_the_form_awaits_approval_and_approval_closes():
    filed, _ = ticket(Status.ON_SITE).apply(Action.UPLOAD_ACCEPTANCE, actor="w", at=NOW, summary="")
    assert filed.status == Status.AWAITING_APPROVAL
    assert filed.apply(Action.APPROVE, actor="s", at=NOW, summary="")[0].status == Status.CLOSED
    assert filed.apply(Action.REJECT_CLOSURE, actor="s", at=NOW, summary="")[0].status == Status.ON_SITE


def test_a_refusal_to_sign_leaves_the_job_open_on_site():
    refused, _ = ticket(Status.ON_SITE).apply(Action.REFUSE_SIGNATURE, actor="w", at=NOW, summary="")
    assert refused.status == Status.ON_SITE and refused.is_open
    with pytest.raises(IllegalTransition):
        refused.apply(Action.APPROVE, actor="s", at=NOW, summary="")


def test_the_departure_report_is_allowed_on_site_and_after_filing_but_changes_nothing():
    for status in (Status.ON_SITE, Status.AWAITING_APPROVAL):
        assert ticket(status).apply(Action.REPORT_DEPARTURE, actor="w", at=NOW, summary="")[0].status == status
    with pytest.raises(IllegalTransition):
        ticket(Status.CLOSED).apply(Action.REPORT_DEPARTURE, actor="w", at=NOW, summary="")


def filed_form() -> Acceptance:
    return Acceptance(form_key="forms/SD-2026-000001/a/form.pdf", form_type="application/pdf",
                      source=FormSource.UPLOADED, work=WorkReport(work_done="更换断路器"), filed_at=NOW, filed_by="w")


def test_the_closure_is_filed_refused_approved_or_sent_back_by_its_own_table():
    refused = closure.refuse_to_sign(ticket(Status.ON_SITE).closure, SignatureRefusal(reason="价格", at=NOW, by="w"))
    assert refused.state == ClosureState.REFUSED
    filed = closure.file_form(refused, filed_form())
    assert filed.state == ClosureState.FILED and filed.refusal is None  # the signature answers the refusal
    assert closure.reject(filed).state == ClosureState.OPEN  # waits for a new form
    assert closure.approve(filed).state == ClosureState.APPROVED
    with pytest.raises(IllegalClosureMove):
        closure.approve(refused)  # nobody filed a form
    with pytest.raises(IllegalClosureMove):
        closure.refuse_to_sign(filed, SignatureRefusal(reason="x", at=NOW, by="w"))


def test_the_ticket_holds_its_closure_as_the_form_the_refusal_and_the_approval():
    on_file = ticket(Status.AWAITING_APPROVAL).model_copy(update={"acceptance": filed_form()})
    assert on_file.closure.state == ClosureState.FILED
    assert on_file.model_copy(update={"status": Status.CLOSED}).closure.state == ClosureState.APPROVED
    assert ticket(Status.ON_SITE).closure.state == ClosureState.OPEN


def test_event_details_are_recorded_and_internal_reports_stay_off_the_customer_timeline():
    report = ArrivalReported(report=ArrivalReport(situation="配电室", lodging="如家"))
    _, event = ticket(Status.ON_SITE).apply(Action.REPORT_ARRIVAL, actor="w", at=NOW, details=report, public=False)
    assert event.payload == report and event.public is False


def test_the_technicians_reports_are_clock_facts():
    assert FACT_FOR_ACTION[Action.REPORT_ARRIVAL] == FactKind.ARRIVAL_REPORTED
    assert FACT_FOR_ACTION[Action.START_REPAIR] == FactKind.REPAIR_STARTED
    assert FACT_FOR_ACTION[Action.RESOLVE] == FactKind.RESOLVED


def test_a_ticket_with_its_acceptance_and_refusal_survives_storage():
    from chalicelib.domain.closure import Acceptance, FormSource, SignatureRefusal

    work = WorkReport(work_done="换件", costs=Costs(labour=Decimal("300.50")))
    stored = ticket(Status.AWAITING_APPROVAL).model_copy(update={
        "acceptance": Acceptance(form_key="forms/x/y.pdf", form_type="application/pdf", source=FormSource.DRAWN,
                                 signer="王工", work=work, filed_at=NOW, filed_by="tech-wang"),
        "refusal": SignatureRefusal(reason="不满意", at=NOW, by="tech-wang"),
    })
    loaded = Ticket.model_validate(stored.model_dump(mode="json"))
    assert loaded == stored and loaded.acceptance.work.costs.total == Decimal("300.50")
