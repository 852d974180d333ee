"""``delivery.sms.HttpSmsBackend`` against a local HTTP provider on 127.0.0.1: the JSON it posts and
the bearer token; a refusal (5xx), an unreachable provider and one slower than ``SMS_HTTP_TIMEOUT``
all raise ``ConnectionError``, which the tasks retry with backoff (tests/faults shows the retries)."""

import json
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from delivery.sms import HttpSmsBackend, SmsMessage


@pytest.fixture
def provider(settings):
    state: dict = {"status": 200, "delay": 0.0, "received": []}

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers["Content-Length"]))
            time.sleep(state["delay"])
            state["received"].append((json.loads(body), self.headers.get("Authorization")))
            self.send_response(state["status"])
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    settings.SMS_HTTP_URL = f"http://127.0.0.1:{server.server_address[1]}/send"
    settings.SMS_HTTP_TOKEN = "provider-secret"
    settings.SMS_HTTP_TIMEOUT = 0.5
    yield state
    server.shutdown()
    server.server_close()


def test_posts_the_message_as_json_with_the_token(provider):
    HttpSmsBackend().send(SmsMessage(phone="13800000001", text="【同心】验证码 123456"))
    assert provider["received"] == [({"to": "13800000001", "text": "【同心】验证码 123456"}, "Bearer provider-secret")]


def test_a_refusal_raises_connection_error(provider):
    provider["status"] = 503
    with pytest.raises(ConnectionError, match="503"):
        HttpSmsBackend().send(SmsMessage(phone="13800000001", text="x"))


def test_a_provider_slower_than_the_timeout_raises_connection_error(provider):
    provider["delay"] = 1.0
    with pytest.raises(ConnectionError, match="unreachable"):
        HttpSmsBackend().send(SmsMessage(phone="13800000001", text="x"))


def test_an_unreachable_provider_raises_connection_error(settings):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    settings.SMS_HTTP_URL = f"http://127.0.0.1:{port}/send"  # nothing listens there
    settings.SMS_HTTP_TOKEN = ""
    with pytest.raises(ConnectionError, match="unreachable"):
        HttpSmsBackend().send(SmsMessage(phone="13800000001", text="x"))
