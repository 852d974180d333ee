"""Redis stopped while families sign in, confirm notices and chat: what each one sees is a clear page
or JSON (never a 500), nothing confirmed is lost, the password limiter keeps counting (in the
database: it neither opens during the outage nor forgets when Redis comes back empty), SMS codes
are refused plainly (their limits fail closed), and everything works again once Redis is back,
without restarting Tongxin or the worker."""

import json
import time

import pytest
from websockets.exceptions import ConnectionClosed

from .conftest import figure
from .services import wait_for

pytestmark = pytest.mark.faults

PASSWORD = "correct-horse-42"


def _socket(services, session):
    """Bob's chat socket, as the page opens it (his session cookie, the site's Origin)."""
    from websockets.sync.client import connect

    cookie = "; ".join(f"{k}={v}" for k, v in session.cookies.items())
    ws = connect(
        f"ws://127.0.0.1:{services.web_port}/ws/chat/",
        additional_headers={"Cookie": cookie, "Origin": services.url},
        open_timeout=10,
        legacy=True,
    )
    assert json.loads(ws.recv(timeout=10))["type"] == "hello"
    return ws


def _receive(ws, kind: str, timeout: float = 10) -> dict:
    """The next event of this type on the socket (others, such as a read position, are skipped)."""
    deadline = time.monotonic() + timeout
    while True:
        event = json.loads(ws.recv(timeout=max(0.1, deadline - time.monotonic())))
        if event.get("type") == kind:
            return event


def _code_request(session, services, phone: str):
    session.get(services.url + "/accounts/login/code/", timeout=30)
    return session.post(
        services.url + "/accounts/login/code/",
        data={"phone": phone, "step": "send", "csrfmiddlewaretoken": session.cookies["csrftoken"]},
        headers={"Referer": services.url + "/accounts/login/code/"},
        allow_redirects=False,
        timeout=30,
    )


def test_redis_stopped_while_families_sign_in_confirm_and_chat(services):
    import requests

    services.drain()
    seed = services.seed
    published = services.request(
        "POST",
        "/api/v1/notices",
        token=services.token("ms_li"),
        json={
            "title": "春游回执",
            "body_html": "<p>请确认。</p>",
            "action": "confirm",
            "targets": [{"kind": "class", "class_id": seed["class1"]}],
        },
    )
    assert published.status_code == 201, published.text
    notice_id = published.json()["id"]
    wait_for(
        lambda: services.pg.value("SELECT count(*) FROM notices_receipt WHERE notice_id = %s", [notice_id]) == 2,
        30,
        "the class notice's fan-out",
    )
    services.drain()
    answers: list[tuple[str, int]] = []

    def seen(what: str, response) -> None:
        answers.append((what, response.status_code))

    group = seed["class_group"]
    bob_before, _ = services.sign_in_session("13800000002", PASSWORD)
    open_socket = _socket(services, bob_before)  # a chat page open before the outage
    open_socket.send(json.dumps({"type": "join", "conversation": group}))
    joined = _receive(open_socket, "joined")
    assert joined["conversation"] == group
    last_before = max([m["id"] for m in joined["messages"]], default=0)

    # ------------------------------------------------------------------ Redis goes away
    services.redis.stop()
    stopped = time.monotonic()

    # Bob signs in with his password and reads his notices and chats: sessions live in the database.
    bob, signed_in = services.sign_in_session("13800000002", PASSWORD)
    seen("password sign-in", signed_in)
    assert signed_in.status_code == 302, signed_in.text[:300]

    # The app signs in too (a bearer token for the API), limited like the page.
    token = services.request("POST", "/api/v1/auth/token", json={"identifier": "13800000002", "password": PASSWORD})
    seen("API sign-in", token)
    assert token.status_code == 201, token.text

    # The chat page he had open loses its socket (the live updates ride on Redis): the page marks
    # itself not live and keeps trying to reconnect; its form still sends.
    with pytest.raises(ConnectionClosed):
        _receive(open_socket, "never", timeout=15)
    chat_page = bob.get(services.url + f"/chat/{group}/", timeout=30)
    seen("chat page", chat_page)
    posted = bob.post(
        services.url + f"/chat/{group}/",
        data={"csrfmiddlewaretoken": bob.cookies["csrftoken"], "body": "我家也收到", "client_key": "faults-form-1"},
        headers={"Referer": services.url + f"/chat/{group}/"},
        allow_redirects=False,
        timeout=30,
    )
    seen("chat form", posted)
    assert posted.status_code == 302, posted.text[-500:]
    for path in ("/notices/", "/chat/", f"/notices/{notice_id}/"):
        page = bob.get(services.url + path, timeout=30, allow_redirects=False)
        seen(f"page {path}", page)
        assert page.status_code == 200, (path, page.status_code, page.text[:300])

    # Alice confirms the notice and writes to the class group through the app's API.
    confirmed = services.request("POST", f"/api/v1/notices/{notice_id}/respond", token=services.token("alice"), json={})
    seen("API confirm", confirmed)
    assert confirmed.status_code == 204, confirmed.text
    sent = services.request(
        "POST",
        f"/api/v1/conversations/{group}/messages",
        token=services.token("alice"),
        json={"body": "收到，谢谢老师", "client_key": "faults-redis-1"},
    )
    seen("API chat message", sent)
    assert sent.status_code == 201, sent.text
    # Bob confirms on the page (the form of the notice page).
    page = bob.get(services.url + f"/notices/{notice_id}/", timeout=30)
    confirmed_page = bob.post(
        services.url + f"/notices/{notice_id}/",
        data={"csrfmiddlewaretoken": bob.cookies["csrftoken"], "answer": "", "comment": ""},
        headers={"Referer": services.url + f"/notices/{notice_id}/"},
        allow_redirects=False,
        timeout=30,
    )
    seen("page confirm", confirmed_page)
    assert confirmed_page.status_code in (200, 302), confirmed_page.text[:300]
    assert page.status_code == 200

    # Someone tries Carol's password 6 times: the limiter counts in the database, so it refuses
    # the right password afterwards, during the outage as at any time.
    for _ in range(6):
        _, wrong = services.sign_in_session("13800000003", "wrong-password-1")
        seen("wrong password", wrong)
        assert wrong.status_code == 400
    _, locked = services.sign_in_session("13800000003", PASSWORD)
    seen("right password after 6 wrong", locked)
    assert locked.status_code == 400 and "15" in locked.text, locked.text[:300]

    # A code by SMS cannot be limited without Redis: refused plainly, and no SMS goes out.
    before_sms = len(services.sms.messages)
    refused = _code_request(requests.Session(), services, "13800000001")
    seen("SMS code request", refused)
    assert refused.status_code == 400, refused.status_code
    assert "请稍后" in refused.text or "right now" in refused.text or "几分钟" in refused.text, refused.text[-800:]

    # A teacher publishes meanwhile: the broker is down, the notice is kept, the sweeper sends it.
    started = time.monotonic()
    during = services.request(
        "POST",
        "/api/v1/notices",
        token=services.token("ms_li"),
        json={
            "title": "停电通知",
            "body_html": "<p>明天停电。</p>",
            "targets": [{"kind": "class", "class_id": seed["class1"]}],
        },
    )
    publish_seconds = time.monotonic() - started
    seen("API publish", during)
    assert during.status_code == 201, during.text
    during_id = during.json()["id"]

    assert all(status < 500 for _, status in answers), answers
    # Nothing confirmed is lost.
    acted = services.pg.value(
        "SELECT count(*) FROM notices_receipt WHERE notice_id = %s AND acted_at IS NOT NULL", [notice_id]
    )
    messages = services.pg.value(
        "SELECT count(*) FROM chat_message WHERE conversation_id = %s AND body IN (%s, %s)",
        [group, "收到，谢谢老师", "我家也收到"],
    )
    assert (acted, messages) == (2, 2)

    # ------------------------------------------------------------------ Redis is back (empty)
    services.redis.start()
    back = time.monotonic()

    # SMS codes work again, through the same Tongxin and worker (they reconnect by themselves).
    code_tries = []

    def code_sent() -> bool:
        code_tries.append(time.monotonic())
        answer = _code_request(requests.Session(), services, "13800000001")
        assert answer.status_code < 500, answer.status_code
        return answer.status_code == 200

    wait_for(code_sent, 60, "SMS code requests after Redis came back", interval=0.5)
    wait_for(lambda: len(services.sms.messages) > before_sms, 60, "the code's SMS", interval=0.2)
    recovered = time.monotonic() - back
    assert services.sms.messages[-1]["to"] == "13800000001"

    # Chat is live again: the page's socket reconnects, catches up on what was said during the
    # outage, and hears the teacher's next message at once.
    sockets: list = []
    tries = []

    def reconnects() -> bool:
        tries.append(time.monotonic())
        try:
            ws = _socket(services, bob)
            ws.send(json.dumps({"type": "join", "conversation": group, "after": last_before}))
            sockets.append((ws, _receive(ws, "joined")))
        except Exception:
            return False
        return True

    wait_for(reconnects, 30, "a chat socket after Redis came back", 0.5)
    assert len(tries) == 1, f"{len(tries)} tries"  # the page's first reconnect works
    live, joined_again = sockets[-1]
    caught_up = [m["body"] for m in joined_again["messages"]]
    assert "我家也收到" in caught_up, caught_up  # (a family sees its own messages and the staff's)
    again = services.request(
        "POST",
        f"/api/v1/conversations/{group}/messages",
        token=services.token("ms_li"),
        json={"body": "Redis 回来了", "client_key": "faults-redis-2"},
    )
    assert again.status_code == 201, again.text
    assert _receive(live, "message")["message"]["body"] == "Redis 回来了"
    live.close()

    # Carol is still locked out: Redis came back empty, the counter did not live there.
    _, still = services.sign_in_session("13800000003", PASSWORD)
    assert still.status_code == 400

    # The notice published during the outage goes out by the sweeper (what beat runs every minute).
    services.pg.query(
        "UPDATE notices_notice SET published_at = published_at - interval '2 minutes' WHERE id = %s", [during_id]
    )
    services.send_task("notices.tasks.fan_out_missed")
    wait_for(
        lambda: services.pg.value("SELECT count(*) FROM notices_receipt WHERE notice_id = %s", [during_id]) == 2,
        60,
        "the notice published during the outage",
    )
    figure(
        "redis-down",
        requests=len(answers),
        answered_500=sum(1 for _, s in answers if s >= 500),
        confirmed_expected=4,
        found=acted + messages,
        duplicates=0,
        outage_seconds=back - stopped,
        publish_seconds_during_outage=publish_seconds,
        seconds_to_recover=recovered,
        code_request_tries=len(code_tries),
        chat_socket_tries=len(tries),
    )
