"""Web Push (RFC 8030/8291/8292): the VAPID key pair that identifies this server to the browsers'
push services, and the sending of one encrypted message to one device.

The key pair is made once (``manage.py webpush_keys``) and kept in a file under the data dir
(``WEBPUSH_VAPID_KEY_FILE``): every subscription a browser holds is bound to its public key, so a
new key would silently cut every device off. Nothing here ever makes a key by itself."""

import base64
import json
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured


class SubscriptionGone(Exception):
    """The push service no longer knows this subscription (404/410): remove it."""


def key_file() -> Path:
    return Path(settings.WEBPUSH_VAPID_KEY_FILE)


def create_keys() -> bool:
    """Write a new key pair if none exists; True if one was made. Never overwrites."""
    path = key_file()
    if path.exists():
        return False
    key = ec.generate_private_key(ec.SECP256R1())
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "xb") as out:  # "x": fails rather than replace a key made meanwhile
        out.write(pem)
    path.chmod(0o600)
    return True


def _private_key() -> ec.EllipticCurvePrivateKey:
    path = key_file()
    if not path.exists():
        raise ImproperlyConfigured(f"No VAPID key at {path}: run `manage.py webpush_keys` once.")
    key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    assert isinstance(key, ec.EllipticCurvePrivateKey)
    return key


def enabled() -> bool:
    return key_file().exists()


def public_key() -> str:
    """The application server key a page hands to ``pushManager.subscribe`` (base64url, unpadded)."""
    point = serialization.PublicFormat.UncompressedPoint
    raw = _private_key().public_key().public_bytes(serialization.Encoding.X962, point)
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def send(subscription, payload: dict) -> None:
    """Encrypt ``payload`` (JSON) for one device and post it to its push service. Raises
    ``SubscriptionGone`` on 404/410, any other error to be retried."""
    from py_vapid import Vapid
    from pywebpush import WebPushException, webpush

    vapid = Vapid(private_key=_private_key())
    try:
        webpush(
            {"endpoint": subscription.endpoint, "keys": {"p256dh": subscription.p256dh, "auth": subscription.auth}},
            data=json.dumps(payload, ensure_ascii=False),
            vapid_private_key=vapid,
            vapid_claims={"sub": settings.WEBPUSH_SUBJECT},
            timeout=settings.WEBPUSH_TIMEOUT,
            ttl=24 * 60 * 60,
        )
    except WebPushException as exc:
        status = exc.response.status_code if exc.response is not None else None
        if status in (404, 410):
            raise SubscriptionGone(str(status)) from exc
        raise
