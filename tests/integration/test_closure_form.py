"""The closure form sent back for a correction keeps the customer's drawn signature (so the customer
signs once), and says which fields are required."""

from __future__ import annotations

import re

from chalicelib.domain.ticket import Status
from tests.integration.test_technician_routes import (  # noqa: F401  (fixtures)
    WORK,
    check_in,
    html,
    job,
    post,
    ticket,
    wang,
)
from tests.pngs import data_url, signature_png


def kept_signature(page: str) -> str:
    return re.search(r'<input type="hidden" name="signature" id="signature" value="([^"]*)"', page).group(1)


def test_a_missing_signer_keeps_the_drawn_signature_to_redraw(client, job, wang):  # noqa: F811
    check_in(client, job, wang)
    signature = data_url(signature_png(600, 240))
    response = post(client, f"/staff/jobs/{job.number}/acceptance?lang=en", dict(WORK, signature=signature), wang)
    assert response.status_code == 400
    page = html(response)
    assert 'id="signer-error"' in page
    assert kept_signature(page) == signature
    # And sent again with the name, the same signature files the form
    done = post(client, f"/staff/jobs/{job.number}/acceptance", dict(WORK, signature=kept_signature(page),
                                                                     signer="李经理"), wang)
    assert done.status_code == 303 and ticket(job.number).status == Status.AWAITING_APPROVAL


def test_a_wrong_amount_keeps_the_drawn_signature(client, job, wang):  # noqa: F811
    check_in(client, job, wang)
    signature = data_url(signature_png(600, 240))
    response = post(client, f"/staff/jobs/{job.number}/acceptance?lang=en",
                    dict(WORK, materials="99999999999", signature=signature, signer="李经理"), wang)
    assert response.status_code == 400 and 'id="materials-error"' in html(response)
    assert kept_signature(html(response)) == signature


def test_a_refused_signature_is_not_sent_back(client, job, wang):  # noqa: F811
    check_in(client, job, wang)
    response = post(client, f"/staff/jobs/{job.number}/acceptance?lang=en",
                    dict(WORK, signature=data_url(signature_png(1200, 480)), signer="李经理"), wang)
    assert response.status_code == 400 and 'id="signature-error"' in html(response)
    assert kept_signature(html(response)) == ""


def test_the_closure_form_marks_its_required_fields(client, job, wang):  # noqa: F811
    check_in(client, job, wang)
    page = post(client, f"/staff/jobs/{job.number}/acceptance?lang=en", dict(WORK, work_done=""), wang).body.decode()
    assert 'id="closure-required"' in page and "Fields marked * are required" in page
    assert re.search(r'<label for="work_done">Work done <span class="req">\*</span>', page)
    assert re.search(r'<label for="signer">Name of the signer <span class="req">\*</span> <span class="meta" '
                     r'id="signer-hint">\(required when the customer signs on the screen\)', page)
