"""A Celery worker SIGKILLed in the middle of a school-wide fan-out, then restarted: every family gets
its receipt exactly once, recovered both ways, by the broker's redelivery once the visibility
timeout has passed, and by the beat sweeper (``notices.tasks.fan_out_missed``) when it has not."""

import time

import pytest

from .conftest import FAMILIES, figure
from .services import wait_for

pytestmark = pytest.mark.faults

# Short enough to watch the redelivery happen; production keeps 300 s (tongxin/settings.py).
SHORT = {"CELERY_VISIBILITY_TIMEOUT": "3", "CELERY_UNACKED_RESTORE_INTERVAL": "1"}


def _publish_school_wide(services, title: str) -> int:
    response = services.request(
        "POST",
        "/api/v1/notices",
        token=services.token("big_admin"),
        json={
            "title": title,
            "body_html": "<p>请全体家长阅读。</p>",
            "action": "confirm",
            "targets": [{"kind": "school"}],
        },
    )
    assert response.status_code == 201, response.text
    return response.json()["id"]


def _kill_in_the_middle(services, notice_id: int) -> float:
    """Wait until the worker's receipt INSERT is running, then SIGKILL the worker; return when."""

    def inserting() -> bool:
        return bool(
            services.pg.value(
                "SELECT count(*) FROM pg_stat_activity WHERE state = 'active' "
                "AND query ILIKE 'INSERT INTO%%notices_%%receipt%%'"
            )
        )

    wait_for(inserting, 30, "the fan-out's INSERT to start", interval=0.005)
    services.worker.kill()
    return time.monotonic()


def _counts(services, notice_id: int) -> tuple[int, int, int, bool]:
    """Receipts, distinct guardians among them, student rollups, fanned out."""
    receipts, guardians = services.pg.query(
        "SELECT count(*), count(DISTINCT guardian_id) FROM notices_receipt WHERE notice_id = %s", [notice_id]
    )[0]
    students = services.pg.value("SELECT count(*) FROM notices_studentreceipt WHERE notice_id = %s", [notice_id])
    fanned = services.pg.value("SELECT fanned_out_at IS NOT NULL FROM notices_notice WHERE id = %s", [notice_id])
    return receipts, guardians, students, fanned


def _complete(services, notice_id: int) -> bool:
    receipts, _, students, fanned = _counts(services, notice_id)
    return receipts == FAMILIES and students == FAMILIES // 2 and fanned


def test_worker_killed_mid_fan_out_is_redelivered_after_the_visibility_timeout(services):
    services.drain()
    services.worker.stop()
    services.start_worker(**SHORT)
    notice_id = _publish_school_wide(services, "全校通知：工作进程被杀")
    killed = _kill_in_the_middle(services, notice_id)
    receipts_at_kill = _counts(services, notice_id)[0]
    assert not _complete(services, notice_id)  # killed in the middle: nothing half-written is kept

    services.start_worker(**SHORT)  # restarted: without beat, only the broker can bring the task back
    wait_for(lambda: _complete(services, notice_id), 60, "the redelivered fan-out", interval=0.2)
    recovered = time.monotonic() - killed
    receipts, guardians, students, _ = _counts(services, notice_id)
    assert receipts == guardians == FAMILIES
    assert students == FAMILIES // 2
    figure(
        "worker-killed/redelivery",
        rows_expected=FAMILIES,
        found=receipts,
        duplicates=receipts - guardians,
        receipts_at_kill=receipts_at_kill,
        seconds_to_recover=recovered,
    )
    services.drain()  # a copy the short timeout put back while the task ran (it adds nothing)
    services.worker.stop()
    services.start_worker()  # back to the production timeout for the next scenarios


def test_worker_killed_mid_fan_out_is_recovered_by_the_beat_sweeper(services):
    services.drain()  # the INSERT watched for must be this notice's, not a copy's left from before
    notice_id = _publish_school_wide(services, "全校通知：清扫任务补发")
    killed = _kill_in_the_middle(services, notice_id)
    services.start_worker()  # the production visibility timeout (300 s): no redelivery in this test
    time.sleep(2)
    assert not _complete(services, notice_id)
    # What beat does every minute: the sweeper fans out a published notice not fanned out a minute
    # after publishing. The minute is made to have passed; the task goes through the broker.
    services.pg.query(
        "UPDATE notices_notice SET published_at = published_at - interval '2 minutes' WHERE id = %s", [notice_id]
    )
    services.send_task("notices.tasks.fan_out_missed")
    wait_for(lambda: _complete(services, notice_id), 60, "the sweeper's fan-out", interval=0.2)
    recovered = time.monotonic() - killed
    receipts, guardians, students, _ = _counts(services, notice_id)
    assert students == FAMILIES // 2
    assert receipts == guardians == FAMILIES

    # Later the broker redelivers the killed task too: it adds nothing (the fan-out is idempotent).
    services.worker.stop()
    services.start_worker(**SHORT)
    services.drain()  # the killed task came back and ran
    receipts_after, guardians_after, students_after, _ = _counts(services, notice_id)
    assert (receipts_after, guardians_after, students_after) == (FAMILIES, FAMILIES, FAMILIES // 2)
    assert b"fan_out_notice" in services.worker.log.read_bytes().split(b"ready.")[-1]
    figure(
        "worker-killed/sweeper",
        rows_expected=FAMILIES,
        found=receipts_after,
        duplicates=receipts_after - guardians_after,
        seconds_to_recover=recovered,
    )
    services.worker.stop()
    services.start_worker()
