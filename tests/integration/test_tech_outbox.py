"""The technician's outbox is a static script like every other (no inline script under the policy): the
worker may look after the job pages from /static/, is never cached stale, and both technician pages
carry the box that says what waits on the phone."""

from tests.integration.test_technician_routes import get, job, wang  # noqa: F401  (fixtures)


def test_the_worker_is_served_for_the_job_pages_scope_and_revalidated_each_visit(client):
    worker = client.http.get("/static/tech-outbox-sw.js")
    assert worker.status_code == 200
    assert worker.headers["Service-Worker-Allowed"] == "/" and worker.headers["Cache-Control"] == "no-cache"
    assert client.http.get("/static/tech.js").headers["Cache-Control"] == "public, max-age=300"


def test_my_jobs_and_the_job_page_register_the_outbox(client, job, wang):  # noqa: F811
    for path in ("/staff/jobs", f"/staff/jobs/{job.number}"):
        page = get(client, path, wang).body.decode()
        assert '<section id="outbox"' in page and 'data-scope="/staff/jobs"' in page, path
        assert 'src="/static/tech-outbox.js"' in page and "<script>" not in page, path
