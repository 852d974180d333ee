"""The SMTP server and the SMS provider down, hung, refusing and slow: each sending is retried with
backoff, nothing is sent twice, and the teacher sees on the notice's results page which emails
failed and will be tried again, then which were sent."""

import time

import pytest

from .conftest import figure
from .services import wait_for

pytestmark = pytest.mark.faults


def _deliveries(services, notice_id: int) -> list[tuple]:
    return services.pg.query(
        "SELECT d.status, d.attempts, extract(epoch FROM d.next_attempt_at - now()), d.last_error "
        "FROM delivery_delivery d JOIN notices_receipt r ON r.id = d.receipt_id "
        "WHERE r.notice_id = %s AND d.channel = 'email' ORDER BY d.id",
        [notice_id],
    )


def _try_again_now(services, notice_id: int) -> None:
    """What the passing of the backoff and beat's next run do: the next attempt is due, and the
    sending task runs (through the broker, on the worker)."""
    services.pg.query(
        "UPDATE delivery_delivery SET next_attempt_at = now() WHERE receipt_id IN "
        "(SELECT id FROM notices_receipt WHERE notice_id = %s)",
        [notice_id],
    )
    services.send_task("delivery.tasks.send_due_deliveries", notice_id)


def _wait_attempts(services, notice_id: int, attempts: int) -> list[tuple]:
    """The sending task has run (nothing queued or running any more) and tried each email again."""
    wait_for(
        lambda: [row[1] for row in _deliveries(services, notice_id)] == [attempts, attempts],
        30,
        f"attempt {attempts} of the emails",
        interval=0.1,
    )
    services.drain()
    return _deliveries(services, notice_id)


def _translated(msgid: str) -> str:
    from django.utils import translation

    with translation.override("zh-hans"):
        return translation.gettext(msgid)


def test_smtp_down_hung_refusing_then_slow_each_email_sent_once_and_the_teacher_told(services):
    services.drain()
    teacher, signed_in = services.sign_in_session("ms_li", "correct-horse-42")
    assert signed_in.status_code == 302
    services.smtp.stop()  # down: connections refused
    published = services.request(
        "POST",
        "/api/v1/notices",
        token=services.token("ms_li"),
        json={
            "title": "家长会通知",
            "body_html": "<p>周五下午家长会。</p>",
            "action": "confirm",
            "targets": [{"kind": "class", "class_id": services.seed["class1"]}],
        },
    )
    assert published.status_code == 201, published.text
    notice_id = published.json()["id"]
    # Alice and Bob want notices by email too: two emails, tried at once after the fan-out.
    rows = _wait_attempts(services, notice_id, 1)
    assert [r[0] for r in rows] == ["pending", "pending"], rows
    assert all(50 < r[2] <= 60 for r in rows), rows  # next try in a minute
    results = teacher.get(services.url + f"/notices/{notice_id}/results/", timeout=30)
    assert results.status_code == 200
    assert results.text.count(_translated("failed, will try again")) == 2, results.text[-3000:]

    services.smtp.hang()  # accepts, never answers: EMAIL_TIMEOUT ends the wait
    started = time.monotonic()
    _try_again_now(services, notice_id)
    rows = _wait_attempts(services, notice_id, 2)
    hung_seconds = time.monotonic() - started
    assert all(110 < r[2] <= 120 for r in rows), rows  # backoff: two minutes
    assert all("timed out" in r[3] for r in rows), rows

    services.smtp.start()
    services.smtp.mode = "refuse"  # 451: try again later
    _try_again_now(services, notice_id)
    rows = _wait_attempts(services, notice_id, 3)
    assert all(230 < r[2] <= 240 for r in rows), rows  # four minutes
    assert services.smtp.messages == []

    services.smtp.mode, services.smtp.delay = "slow", 1.0  # slow, within the timeout
    back = time.monotonic()
    _try_again_now(services, notice_id)
    wait_for(
        lambda: [r[0] for r in _deliveries(services, notice_id)] == ["sent", "sent"], 30, "the emails", interval=0.1
    )
    recovered = time.monotonic() - back
    # Beat's next runs find nothing left to send: no family gets the notice twice.
    _try_again_now(services, notice_id)
    services.drain()
    time.sleep(0.5)
    addressees = sorted(m["to"][0] for m in services.smtp.messages)
    assert addressees == ["alice@example.cn", "bob@example.cn"], addressees
    results = teacher.get(services.url + f"/notices/{notice_id}/results/", timeout=30)
    assert _translated("failed, will try again") not in results.text
    assert results.text.count(_translated("sent")) >= 2
    figure(
        "smtp-down-hung-refusing-slow",
        rows_expected=2,
        found=len(addressees),
        duplicates=len(addressees) - len(set(addressees)),
        attempts=4,
        hung_attempt_seconds=hung_seconds,
        seconds_to_recover=recovered,
    )


def test_sms_provider_refusing_then_down_then_slow_the_code_is_sent_once(services):
    import requests

    services.drain()
    services.sms.mode = "refuse"  # 503
    services.sms.messages.clear()
    services.sms.attempts = 0
    session = requests.Session()
    session.get(services.url + "/accounts/login/code/", timeout=30)
    asked = session.post(
        services.url + "/accounts/login/code/",
        data={"phone": "13800000002", "step": "send", "csrfmiddlewaretoken": session.cookies["csrftoken"]},
        headers={"Referer": services.url + "/accounts/login/code/"},
        allow_redirects=False,
        timeout=30,
    )
    assert asked.status_code == 200, asked.text[-500:]
    started = time.monotonic()
    wait_for(lambda: services.sms.attempts >= 2, 30, "two refused tries", interval=0.05)
    services.sms.stop()  # down: connection refused
    mark = services.worker.log.read_bytes().count(b"unreachable")
    wait_for(
        lambda: services.worker.log.read_bytes().count(b"unreachable") > mark, 30, "a try while down", interval=0.1
    )
    services.sms.mode, services.sms.delay = "slow", 1.0  # back, slow within SMS_HTTP_TIMEOUT
    services.sms.start()
    back = time.monotonic()
    wait_for(lambda: services.sms.messages, 40, "the code's SMS", interval=0.1)
    recovered = time.monotonic() - back
    services.drain()
    time.sleep(1)
    to = [m["to"] for m in services.sms.messages]
    assert to == ["13800000002"], to
    # The retries waited longer each time (exponential backoff with jitter, Celery's retry_backoff).
    retries = services.worker.log.read_bytes().count(b"retry: Retry in")
    assert retries >= 3
    figure(
        "sms-refusing-down-slow",
        rows_expected=1,
        found=len(to),
        duplicates=len(to) - len(set(to)),
        tries=services.sms.attempts + 1,
        seconds_from_first_try=time.monotonic() - started,
        seconds_to_recover=recovered,
    )
