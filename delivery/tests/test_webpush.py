"""Web Push end to end against a real receiver: a local HTTP server on 127.0.0.1 plays the
browser's push service. It holds the subscription's private key and auth secret (as the browser
would), checks the VAPID header (RFC 8292: an ES256 JWT for the endpoint's origin, signed by the
key the server publishes) and decrypts the RFC 8291 aes128gcm body with http_ece. Also: the key is
made once and never replaced; a device the push service no longer knows (404/410) is removed;
a family without a subscribed device gets no push delivery; a failing push service is retried."""

import base64
import json
import os
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import http_ece
import pytest
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
from django.core.management import call_command

from delivery import webpush
from delivery.actions import do_subscribe_push, do_unsubscribe_push
from delivery.models import Delivery, PushSubscription
from delivery.tasks import send_due_deliveries
from notices.models import Notice

pytestmark = pytest.mark.usefixtures("unscoped")

TITLE = "春游通知：请确认"


def b64u(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def unb64u(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass
class Device:
    """What a browser keeps of its subscription: the ECDH key pair and the auth secret."""

    key: ec.EllipticCurvePrivateKey = field(default_factory=lambda: ec.generate_private_key(ec.SECP256R1()))
    auth: bytes = field(default_factory=lambda: os.urandom(16))

    @property
    def p256dh(self) -> str:
        return b64u(
            self.key.public_key().public_bytes(
                serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
            )
        )


@dataclass
class PushService:
    port: int = 0
    devices: dict[str, Device] = field(default_factory=dict)
    received: list[dict] = field(default_factory=list)
    status: dict[str, int] = field(default_factory=dict)  # path → status to answer instead of 201

    def endpoint(self, name: str) -> str:
        return f"http://127.0.0.1:{self.port}/push/{name}"


def verify_vapid(authorization: str, origin: str) -> dict:
    """RFC 8292: ``vapid t=<JWT>, k=<public key>``; the JWT is ES256 over header.claims, its
    ``aud`` is the push service's origin, its ``exp`` within 24 h; returns the claims."""
    scheme, _, params = authorization.partition(" ")
    assert scheme == "vapid", authorization
    values = dict(part.strip().split("=", 1) for part in params.split(","))
    token, k = values["t"], values["k"]
    header_b64, claims_b64, signature_b64 = token.split(".")
    assert json.loads(unb64u(header_b64)) == {"typ": "JWT", "alg": "ES256"}
    claims = json.loads(unb64u(claims_b64))
    public = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), unb64u(k))
    raw = unb64u(signature_b64)
    signature = encode_dss_signature(int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big"))
    public.verify(signature, f"{header_b64}.{claims_b64}".encode(), ec.ECDSA(hashes.SHA256()))
    assert claims["aud"] == origin
    assert time.time() < claims["exp"] <= time.time() + 24 * 3600
    assert claims["sub"].startswith("mailto:")
    claims["k"] = k
    return claims


@pytest.fixture
def push_service(settings):
    service = PushService()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers["Content-Length"]))
            status = service.status.get(self.path, 201)
            if status == 201:
                device = service.devices[self.path.rsplit("/", 1)[1]]
                claims = verify_vapid(self.headers["Authorization"], f"http://127.0.0.1:{service.port}")
                assert self.headers["Content-Encoding"] == "aes128gcm"
                plain = http_ece.decrypt(body, private_key=device.key, auth_secret=device.auth, version="aes128gcm")
                service.received.append(
                    {"path": self.path, "payload": json.loads(plain), "claims": claims, "ttl": self.headers["TTL"]}
                )
            self.send_response(status)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    service.port = server.server_address[1]
    settings.WEBPUSH_EXTRA_ORIGINS = [f"http://127.0.0.1:{service.port}"]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield service
    server.shutdown()
    server.server_close()


@pytest.fixture
def vapid(settings, tmp_path):
    settings.WEBPUSH_VAPID_KEY_FILE = tmp_path / "vapid.pem"
    call_command("webpush_keys")
    return webpush.public_key()


def subscribe(cast, user, service: PushService, name: str) -> Device:
    device = Device()
    service.devices[name] = device
    do_subscribe_push(
        schools=[cast.school],
        endpoint=service.endpoint(name),
        p256dh=device.p256dh,
        auth=b64u(device.auth),
        acting_user=user,
    )
    return device


def publish(cast, title=TITLE) -> Notice:
    data = {
        "title": title,
        "body": "周五春游。",
        "action": "confirm",
        "classes": [cast.class1.pk],
        "idempotency_key": "",
    }
    response = cast.client(cast.ms_li).post("/notices/new/", data)
    assert response.status_code == 302, response.content.decode()[:2000]
    return Notice.objects.get(title=title)


def test_notice_reaches_a_subscribed_phone_encrypted_and_signed(cast, push_service, vapid):
    subscribe(cast, cast.alice, push_service, "alice-phone")
    subscribe(cast, cast.alice, push_service, "alice-tablet")
    notice = publish(cast)

    assert sorted(r["path"] for r in push_service.received) == ["/push/alice-phone", "/push/alice-tablet"]
    message = push_service.received[0]
    assert message["payload"]["title"] == "阳光小学"
    assert message["payload"]["body"] == TITLE
    assert "/n/" in message["payload"]["url"]
    assert message["claims"]["k"] == vapid  # signed by the key the pages hand to the browser
    assert int(message["ttl"]) > 0
    # One delivery for alice (not per device), sent; bob subscribed nothing and has none.
    pushes = Delivery.objects.filter(receipt__notice=notice, channel="push")
    assert [(d.receipt.guardian.user_id, d.status) for d in pushes] == [(cast.alice.pk, "sent")]


def test_gone_devices_are_removed_and_the_rest_still_get_it(cast, push_service, vapid):
    subscribe(cast, cast.alice, push_service, "old")
    subscribe(cast, cast.alice, push_service, "new")
    push_service.status["/push/old"] = 410
    publish(cast)
    assert [r["path"] for r in push_service.received] == ["/push/new"]
    assert list(PushSubscription.objects.filter(user=cast.alice).values_list("endpoint", flat=True)) == [
        push_service.endpoint("new")
    ]


def test_a_device_that_is_gone_cancels_the_delivery_without_retries(cast, push_service, vapid):
    subscribe(cast, cast.alice, push_service, "only")
    push_service.status["/push/only"] = 404
    notice = publish(cast)
    delivery = Delivery.objects.get(receipt__notice=notice, channel="push")
    assert (delivery.status, delivery.attempts) == ("failed", 1)
    assert not PushSubscription.objects.filter(user=cast.alice).exists()


def test_a_failing_push_service_is_retried_later(cast, push_service, vapid, time_machine):
    subscribe(cast, cast.alice, push_service, "flaky")
    push_service.status["/push/flaky"] = 503
    notice = publish(cast)
    delivery = Delivery.objects.get(receipt__notice=notice, channel="push")
    assert delivery.status == "pending" and "503" in delivery.last_error
    del push_service.status["/push/flaky"]
    time_machine.move_to(delivery.next_attempt_at, tick=False)
    assert send_due_deliveries() == {"sent": 1, "failed": 0}
    assert len(push_service.received) == 1


def test_unsubscribed_device_gets_nothing(cast, push_service, vapid):
    subscribe(cast, cast.alice, push_service, "phone")
    assert do_unsubscribe_push(endpoint=push_service.endpoint("phone"), acting_user=cast.bob) == 0  # not bob's
    assert do_unsubscribe_push(endpoint=push_service.endpoint("phone"), acting_user=cast.alice) == 1
    notice = publish(cast)
    assert push_service.received == []
    assert not Delivery.objects.filter(receipt__notice=notice, channel="push").exists()


def test_a_device_moves_to_whoever_subscribes_on_it_now(cast, push_service, vapid):
    device = subscribe(cast, cast.alice, push_service, "shared")
    do_subscribe_push(
        schools=[cast.school],
        endpoint=push_service.endpoint("shared"),
        p256dh=device.p256dh,
        auth=b64u(device.auth),
        acting_user=cast.bob,
    )
    assert list(PushSubscription.objects.values_list("user_id", flat=True)) == [cast.bob.pk]


def test_the_vapid_key_is_made_once_and_never_replaced(settings, tmp_path, capsys):
    settings.WEBPUSH_VAPID_KEY_FILE = tmp_path / "keys" / "vapid.pem"
    assert not webpush.enabled()
    call_command("webpush_keys")
    first = webpush.public_key()
    assert oct(settings.WEBPUSH_VAPID_KEY_FILE.stat().st_mode & 0o777) == "0o600"
    call_command("webpush_keys")
    assert webpush.public_key() == first
    assert "Kept the existing" in capsys.readouterr().out


def test_without_a_key_sending_says_how_to_make_one(settings, tmp_path):
    from django.core.exceptions import ImproperlyConfigured

    settings.WEBPUSH_VAPID_KEY_FILE = tmp_path / "missing.pem"
    with pytest.raises(ImproperlyConfigured, match="webpush_keys"):
        webpush.public_key()


def test_the_receiver_rejects_a_forged_signature(vapid):
    """The verifier itself can fail: a JWT signed by another key is refused."""
    from py_vapid import Vapid

    other = Vapid()
    other.generate_keys()
    headers = other.sign({"sub": "mailto:x@example.cn", "aud": "http://127.0.0.1:1", "exp": int(time.time()) + 60})
    token = headers["Authorization"].split("t=", 1)[1].split(",", 1)[0]
    with pytest.raises(InvalidSignature):
        verify_vapid(f"vapid t={token}, k={vapid}", "http://127.0.0.1:1")


@pytest.mark.parametrize(
    "endpoint",
    [
        "http://fcm.googleapis.com/fcm/send/x",  # not HTTPS
        "https://127.0.0.1:6379/",  # the server's own network
        "https://googleapis.com.evil.example/x",
        "https://redis.internal/x",
    ],
)
def test_only_known_push_services_over_https(cast, endpoint):
    from delivery.actions import BadSubscription

    device = Device()
    with pytest.raises(BadSubscription):
        do_subscribe_push(
            schools=[cast.school],
            endpoint=endpoint,
            p256dh=device.p256dh,
            auth=b64u(device.auth),
            acting_user=cast.alice,
        )
    assert not PushSubscription.objects.exists()


def test_bad_keys_are_refused(cast):
    from delivery.actions import BadSubscription

    with pytest.raises(BadSubscription):
        do_subscribe_push(
            schools=[cast.school],
            endpoint="https://fcm.googleapis.com/fcm/send/x",
            p256dh="AAAA",
            auth="BBBB",
            acting_user=cast.alice,
        )


def _private_conversation(cast):
    from chat.models import Conversation

    assert cast.client(cast.ms_li).post("/chat/start/", {"student": cast.alice_child.pk}).status_code == 302
    return Conversation.objects.get(kind="private", student=cast.alice_child)


def _send(client, conversation, body):
    response = client.post(
        f"/api/v1/conversations/{conversation.pk}/messages", {"body": body}, content_type="application/json"
    )
    assert response.status_code == 201, response.content


def test_a_chat_message_reaches_the_other_members_phones(cast, push_service, vapid):
    from chat.actions import class_group

    subscribe(cast, cast.alice, push_service, "alice")
    subscribe(cast, cast.ms_li, push_service, "li")
    group = class_group(cast.class1)
    _send(cast.client(cast.ms_li), group, "明天请带水壶。")
    assert [r["path"] for r in push_service.received] == ["/push/alice"]  # not the sender's own phone
    payload = push_service.received[0]["payload"]
    assert payload["title"] == "阳光小学"
    assert cast.ms_li.display_name in payload["body"] and "水壶" not in payload["body"]  # who, not what
    assert payload["url"] == f"/chat/{group.pk}/"


def test_a_message_in_a_teachers_quiet_hours_does_not_buzz_her_phone(cast, push_service, vapid, time_machine):
    import datetime
    import zoneinfo

    subscribe(cast, cast.ms_li, push_service, "li")
    conversation = _private_conversation(cast)
    shanghai = zoneinfo.ZoneInfo("Asia/Shanghai")
    time_machine.move_to(datetime.datetime(2026, 11, 16, 22, 30, tzinfo=shanghai), tick=False)
    _send(cast.client(cast.alice), conversation, "老师，孩子明天请假。")
    assert push_service.received == []
    time_machine.move_to(datetime.datetime(2026, 11, 17, 10, 0, tzinfo=shanghai), tick=False)
    _send(cast.client(cast.alice), conversation, "老师，谢谢。")
    assert [r["path"] for r in push_service.received] == ["/push/li"]


def test_a_reminder_round_pushes_again_to_those_who_have_not_acted(cast, push_service, vapid):
    subscribe(cast, cast.alice, push_service, "alice")
    subscribe(cast, cast.bob, push_service, "bob")
    notice = publish(cast)
    assert len(push_service.received) == 2
    cast.client(cast.bob).post(f"/notices/{notice.pk}/")  # bob confirms in the app
    cast.client(cast.ms_li).post(f"/notices/{notice.pk}/remind/")
    reminders = push_service.received[2:]
    assert [r["path"] for r in reminders] == ["/push/alice"]
    assert reminders[0]["payload"]["body"] != TITLE and TITLE in reminders[0]["payload"]["body"]
    assert Delivery.objects.filter(receipt__notice=notice, channel="push", round=1).count() == 1


def test_turning_push_on_and_off_is_in_the_audit_log(cast, push_service, vapid):
    from audit.models import AuditEntry

    subscribe(cast, cast.alice, push_service, "phone")
    do_unsubscribe_push(endpoint=push_service.endpoint("phone"), acting_user=cast.alice)
    rows = AuditEntry.objects.filter(actor=cast.alice).order_by("pk").values_list("action", "school_id")
    assert list(rows) == [("push_subscribed", cast.school.pk), ("push_unsubscribed", cast.school.pk)]
