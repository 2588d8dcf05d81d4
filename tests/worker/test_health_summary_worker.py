"""A health summary asked for on the page is built by the real worker's scheduler: the row goes from queued to
completed with its PDF stored, which opens and holds the user's fact."""

from __future__ import annotations

import pymupdf
import pytest
from support.worker import leading_worker, wait_for, worker_environment

from assistant.core.db import session_scope
from assistant.models import MemoryEntry, Report
from assistant.services.reports import jobs
from assistant.services.reports.health import request_health_summary


@pytest.fixture(scope="module")
def worker(database, tmp_path_factory):
    with leading_worker("reports", tmp_path_factory.mktemp("reports"),
                        worker_environment(database.url, database.data_dir)) as worker:
        yield worker


def test_a_queued_summary_is_built_by_the_worker(worker, make_user, call) -> None:
    user = make_user()
    with session_scope() as session:
        session.add(MemoryEntry(user_id=user.id, content="Lisinopril 10 mg in the morning", category="medication",
                                author="user"))
    report = call(request_health_summary, user=user, sections=["medications"], date_from=None, date_to=None)

    def status() -> str:
        with session_scope() as session:
            row = session.get(Report, report.id)
            return row.status if row else "gone"

    wait_for(lambda: status() in ("completed", "failed"), 60, "the report to be built", [worker])
    built = call(jobs.get_report, user=user, report_id=report.id)
    assert (built.status, built.progress, built.media_type, built.error_code) == (
        "completed", 100, "application/pdf", "")
    path, name, _ = call(jobs.report_file, user=user, report_id=report.id)
    assert name.startswith("Health summary ") and name.endswith(".pdf")
    with pymupdf.open(path) as pdf:
        assert "Lisinopril 10 mg in the morning" in pdf[0].get_text()
    call(jobs.delete_report, user=user, report_id=report.id)
    assert not path.exists()
