"""SMS through a pluggable backend, chosen by ``settings.SMS_BACKEND``.

The default writes each message to ``var/sms/outbox.jsonl`` and the log, so the demo and the
tests can read what was sent; a real provider (阿里云短信, 腾讯云短信 …) is a class with the same
``send`` method. Message text is never logged in full by the real backends: it holds codes.
"""

import json
import logging
import threading
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.utils import timezone
from django.utils.module_loading import import_string

logger = logging.getLogger(__name__)


@dataclass
class SmsMessage:
    phone: str
    text: str
    # For the real providers (delivery/sms_providers.py), which send approved templates only: the
    # logical template ("notice", "code"; "" = the "text" template with the text as its one
    # parameter), its parameters, the school (whose signature and templates may differ) and an id
    # of this message (a delivery's), so that a retry can tell whether it already went out.
    template: str = ""
    params: dict = field(default_factory=dict)
    school_code: str = ""
    ref: str = ""


class BaseSmsBackend:
    def send(self, message: SmsMessage) -> None:  # pragma: no cover - interface
        raise NotImplementedError


class FileSmsBackend(BaseSmsBackend):
    _lock = threading.Lock()

    def send(self, message: SmsMessage) -> None:
        path = Path(settings.SMS_FILE_PATH)
        path.mkdir(parents=True, exist_ok=True)
        line = json.dumps(
            {"to": message.phone, "text": message.text, "at": timezone.now().isoformat()}, ensure_ascii=False
        )
        with self._lock, open(path / "outbox.jsonl", "a", encoding="utf-8") as fh:
            fh.write(line + "\n")
        logger.info("SMS to %s: %s", message.phone, message.text)


class LocmemSmsBackend(BaseSmsBackend):
    """For tests: messages are kept in ``LocmemSmsBackend.outbox``."""

    outbox: list[SmsMessage] = []

    def send(self, message: SmsMessage) -> None:
        self.outbox.append(message)


class FailingSmsBackend(BaseSmsBackend):
    """For tests of the failure path: the provider is down."""

    def send(self, message: SmsMessage) -> None:
        raise ConnectionError("SMS provider unavailable")


class HttpSmsBackend(BaseSmsBackend):
    """A provider (or an in-house gateway) reached over HTTP: ``POST settings.SMS_HTTP_URL`` with
    ``{"to": phone, "text": text}`` as JSON (and ``Authorization: Bearer SMS_HTTP_TOKEN`` when set).
    Anything but a 2xx within ``SMS_HTTP_TIMEOUT`` seconds raises ``ConnectionError``, which the
    callers retry with backoff (``send_sms_task``, ``delivery.tasks.send_due_deliveries``)."""

    def send(self, message: SmsMessage) -> None:
        import urllib.error
        import urllib.request

        request = urllib.request.Request(  # noqa: S310 - the operator's configured https/http URL
            settings.SMS_HTTP_URL,
            data=json.dumps({"to": message.phone, "text": message.text}, ensure_ascii=False).encode(),
            headers={"Content-Type": "application/json"},
            method="POST",
        )
        if settings.SMS_HTTP_TOKEN:
            request.add_header("Authorization", f"Bearer {settings.SMS_HTTP_TOKEN}")
        try:
            with urllib.request.urlopen(request, timeout=settings.SMS_HTTP_TIMEOUT) as response:  # noqa: S310
                response.read()
        except urllib.error.HTTPError as exc:
            raise ConnectionError(f"SMS provider answered {exc.code}") from exc
        except (urllib.error.URLError, TimeoutError, OSError) as exc:
            raise ConnectionError(f"SMS provider unreachable: {exc}") from exc
        logger.info("SMS to %s sent through %s", message.phone, settings.SMS_HTTP_URL)


def get_backend() -> BaseSmsBackend:
    return import_string(settings.SMS_BACKEND)()


def send_sms(phone: str, text: str, *, template: str = "", params: dict | None = None) -> None:
    get_backend().send(SmsMessage(phone=phone, text=text, template=template, params=params or {}))
