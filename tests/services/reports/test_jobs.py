"""The jobs that build reports: a queued report is built by its kind's builder and its file stored under a
server-chosen name; progress is stored; a report deleted or cancelled while it is built leaves no file; a
builder that fails marks it failed with the reason; a data export asked for twice is one job; another user's
report is not found; expired exports are purged with their files."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest

from assistant.core.config import get_settings
from assistant.core.errors import InvalidInput, NotFound
from assistant.models import Report, ReportKind, ReportStatus
from assistant.models.base import utcnow
from assistant.services.reports import jobs
from assistant.services.reports.jobs import BuiltFile, ReportFailed, ReportJob


def _text_builder(job: ReportJob) -> BuiltFile:
    job.progress("collecting", 50, force=True)
    path = job.work_dir / "out.txt"
    path.write_text(f"{job.title} for {job.owner_id}")
    return BuiltFile(path=path, media_type="text/plain", extension=".txt")


def _queue(call, user, kind=ReportKind.HEALTH_SUMMARY, title="Summary for Dr. Weiß"):
    return call(jobs.request_report, user=user, kind=kind, title=title, params={"sections": ["medications"]})


def test_a_queued_report_is_built_and_its_file_downloaded_by_its_owner_only(make_user, call):
    owner, stranger = make_user(), make_user()
    report = _queue(call, owner)
    assert report.status == ReportStatus.QUEUED

    assert jobs.run_report(report.id, {ReportKind.HEALTH_SUMMARY.value: _text_builder}) == ReportStatus.COMPLETED
    stored = call(jobs.get_report, user=owner, report_id=report.id)
    assert (stored.status, stored.progress, stored.media_type) == ("completed", 100, "text/plain")
    path, name, media_type = call(jobs.report_file, user=owner, report_id=report.id)
    assert path.read_text() == f"Summary for Dr. Weiß for {owner.id}"
    assert name == f"Summary for Dr. Weiß {stored.created_at:%Y-%m-%d}.txt"
    assert stored.storage_name is not None and "Weiß" not in stored.storage_name
    with pytest.raises(NotFound):
        call(jobs.report_file, user=stranger, report_id=report.id)
    with pytest.raises(NotFound):
        call(jobs.delete_report, user=stranger, report_id=report.id)
    assert jobs.run_report(report.id, {ReportKind.HEALTH_SUMMARY.value: _text_builder}) is None  # once only

    call(jobs.delete_report, user=owner, report_id=report.id)
    assert not path.exists()
    assert call(jobs.list_reports, user=owner) == []


def test_a_report_deleted_while_it_is_built_leaves_no_file(make_user, call):
    owner = make_user()
    report = _queue(call, owner)
    folder = jobs.reports_dir(get_settings())
    before = set(folder.iterdir()) if folder.exists() else set()
    started, go_on = threading.Event(), threading.Event()

    def slow(job: ReportJob) -> BuiltFile:
        started.set()
        go_on.wait(10)
        job.progress("rendering", 80, force=True)
        raise AssertionError("progress must stop a deleted report")

    outcome: list[str | None] = []
    worker = threading.Thread(target=lambda: outcome.append(jobs.run_report(report.id, {"health_summary": slow})))
    worker.start()
    assert started.wait(10)
    call(jobs.delete_report, user=owner, report_id=report.id)
    go_on.set()
    worker.join(10)
    assert outcome == [ReportStatus.CANCELLED]
    assert set(folder.iterdir()) == before  # neither the file nor the job's work folder


def test_a_failing_builder_marks_the_report_failed_with_the_reason(make_user, call):
    owner = make_user()
    first, second = _queue(call, owner), _queue(call, owner)

    def refuses(job: ReportJob) -> BuiltFile:
        raise ReportFailed("reports.failed.render", "no fonts")

    def crashes(job: ReportJob) -> BuiltFile:
        raise RuntimeError("layout exploded")

    assert jobs.run_report(first.id, {"health_summary": refuses}) == ReportStatus.FAILED
    assert jobs.run_report(second.id, {"health_summary": crashes}) == ReportStatus.FAILED
    failed = {report.id: report for report in call(jobs.list_reports, user=owner)}
    assert (failed[first.id].error_code, failed[first.id].error_detail) == ("reports.failed.render", "no fonts")
    assert failed[second.id].error_detail == "RuntimeError: layout exploded"
    with pytest.raises(NotFound):
        call(jobs.report_file, user=owner, report_id=first.id)


def test_a_data_export_asked_for_twice_is_one_job_and_expires(make_user, call):
    owner = make_user()
    first = _queue(call, owner, ReportKind.DATA_EXPORT, "My data")
    again = _queue(call, owner, ReportKind.DATA_EXPORT, "My data")
    assert again.id == first.id

    def export(job: ReportJob) -> BuiltFile:
        path = job.work_dir / "export.zip"
        path.write_bytes(b"PK")
        return BuiltFile(path=path, media_type="application/zip", extension=".zip", keep_for=timedelta(hours=24))

    assert jobs.run_report(first.id, {"data_export": export}) == ReportStatus.COMPLETED
    built = call(jobs.get_report, user=owner, report_id=first.id)
    assert built.expires_at is not None and timedelta(hours=23) < built.expires_at - utcnow() <= timedelta(hours=24)
    assert _queue(call, owner, ReportKind.DATA_EXPORT, "My data").id != first.id  # the first one ended
    path, _, _ = call(jobs.report_file, user=owner, report_id=first.id)

    assert jobs.purge_expired(now=utcnow() + timedelta(hours=25)) == 1
    assert not path.exists()
    with pytest.raises(NotFound):
        call(jobs.get_report, user=owner, report_id=first.id)


def test_cancelling_a_users_open_reports_stops_them(make_user, call):
    owner = make_user()
    report = _queue(call, owner)
    assert call(jobs.cancel_open_reports, user_id=owner.id) == 1
    assert jobs.run_report(report.id, {"health_summary": _text_builder}) is None
    assert call(lambda session: session.get(Report, report.id)).status == ReportStatus.CANCELLED


def test_a_title_must_be_given(make_user, call):
    with pytest.raises(InvalidInput):
        _queue(call, make_user(), title="   ")
