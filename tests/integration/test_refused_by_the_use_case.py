"""A step the page lets through is still refused by the use case when the person may not take it there: a
member of quality who is also a technician reads any ticket (the office's view), but requests parts only on
a job he is dispatched to (000 §4.3.1; the paperwork's role table, ``domain/permissions.py``). The refusal
comes back on the page, 403, in the page's language, with what was typed kept."""

from urllib.parse import urlencode

from chalicelib import wiring
from chalicelib.domain.intake import ServiceRequestInput
from chalicelib.domain.permissions import SystemActor
from chalicelib.domain.staff import StaffRole
from tests.fakes import valid_report

FORM = {"Content-Type": "application/x-www-form-urlencoded"}
REQUEST = {"part_number_1": "VS1-12", "name_1": "真空断路器", "quantity_1": "1"}


def post(client, path, data, token):
    return client.http.post(path, body=urlencode(data), headers={**FORM, "Cookie": f"sd_staff={token}"})


def test_a_technician_in_quality_too_requests_parts_only_on_his_own_job(client, staff_token, aws):
    services = wiring.services()
    number = services.intake.submit(ServiceRequestInput.model_validate(valid_report()), language="zh-CN").number
    services.desk.classify(number, actor=SystemActor("sup"), plan="premium")
    services.desk.dispatch(number, actor=SystemActor("sup"), technicians=("tech-wang",))
    zhou = staff_token("tech-zhou", StaffRole.TECHNICIAN, StaffRole.QUALITY)

    english = post(client, f"/staff/tickets/{number}/parts?lang=en", REQUEST, zhou)
    chinese = post(client, f"/staff/tickets/{number}/parts", REQUEST, zhou)

    assert english.status_code == chinese.status_code == 403
    assert "Your role may not do this." in english.body.decode() and 'value="VS1-12"' in english.body.decode()
    assert "您的角色不能执行此操作。" in chinese.body.decode()
    assert services.billing.ticket(number).requisitions == ()
