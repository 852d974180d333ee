"""Real SMS providers: Alibaba Cloud SMS (阿里云短信服务, Dysmsapi 2017-05-25) and Tencent Cloud SMS
(腾讯云短信, API 3.0, version 2021-01-11), through their documented HTTP APIs and signature schemes
(no SDK: the standard library's ``http.client``, ``hmac`` and ``hashlib`` are enough).

Chinese providers send only approved templates under an approved signature (签名), never free
text: a message names a *logical* template (``notice``, ``code``, ``text``) and its parameters, and
the deployment maps each logical template to the provider's template id and the order of its
variables (``settings.SMS_ALIYUN`` / ``SMS_TENCENT``, ``templates``); a school whose signature or
templates differ has its own entry in ``settings.SMS_SCHOOLS`` keyed by its school code.

Every answer becomes an ``SmsResult`` per recipient with a *kind* of failure (``FAILURE_KINDS``)
that says whether a retry can help. A request that was sent but never answered (``timeout``) may
have gone out: before it is sent again the task asks the provider (``was_sent``), so a family never
gets the same message twice. Delivery reports are pulled (``pull_reports``) by a beat task; neither
provider signs its push callbacks, so a pull is the only report Tongxin can trust."""

import base64
import datetime
import hashlib
import hmac
import http.client
import json
import logging
import re
import uuid
from dataclasses import dataclass, field
from urllib.parse import quote, urlencode, urlsplit

from django.conf import settings
from django.utils.translation import gettext_lazy as _

from .sms import BaseSmsBackend, SmsMessage

logger = logging.getLogger(__name__)

MAINLAND_MOBILE = re.compile(r"^1[3-9]\d{9}$")

# kind -> (plain words for the sender, a retry can help)
FAILURE_KINDS = {
    "template": (
        _("The SMS provider refused the school's message template or signature; an administrator must fix it."),
        False,
    ),
    "number": (_("The SMS provider rejected this mobile number; please check it."), False),
    "throttled": (_("The SMS provider limits messages to this number for now; it will be tried again later."), True),
    "unavailable": (_("The message service could not be reached; it will be tried again."), True),
    "timeout": (_("The message service did not answer in time; it will be checked and tried again."), True),
    "config": (_("The message service refused Tongxin's keys; an administrator must check the settings."), True),
    "balance": (_("The school's SMS balance is used up; an administrator must top it up."), True),
    "undelivered": (_("The phone did not receive the message (the carrier reported a failure)."), False),
    "unmatched": (_("This family is not among the school's WeCom parents."), False),
    "refused": (_("The message service refused the message."), False),
}


def failure_text(kind: str, *, given_up: bool = False) -> str:
    """The sender's plain words for a kind of failure (translated); for a delivery given up after
    its last try, a kind that would be retried says so instead of promising another try."""
    text, retry = FAILURE_KINDS.get(kind, FAILURE_KINDS["refused"])
    if given_up and retry:
        return str(_("The message could not be sent after several tries."))
    return str(text)


class SmsError(Exception):
    """One message could not be sent; ``kind`` is a key of FAILURE_KINDS."""

    def __init__(self, kind: str, detail: str = ""):
        self.kind = kind
        self.detail = detail
        self.retry = FAILURE_KINDS.get(kind, (None, False))[1]
        super().__init__(f"{kind}: {detail}" if detail else kind)


@dataclass
class SmsResult:
    ok: bool
    ref: str = ""  # the provider's id of the sent message (BizId, SerialNo)
    kind: str = ""
    detail: str = ""


@dataclass
class TemplateConfig:
    id: str
    params: list[str] = field(default_factory=list)  # the template's variables, in the template's order


def national(phone: str) -> str:
    """The 11-digit mainland number, from 13800000001, +8613800000001 or 008613800000001."""
    digits = re.sub(r"[\s-]", "", phone)
    for prefix in ("+86", "0086", "86"):
        if digits.startswith(prefix) and len(digits) == len(prefix) + 11:
            digits = digits[len(prefix) :]
    return digits


def stable_part(key: str, value: str) -> str:
    """A receipt link (or its token) up to the signed token's first ':' (the payload naming the
    receipt); the timestamp and signature after it change each time the link is made."""
    if key == "token" and ":" in value:
        return value.split(":", 1)[0] + ":"
    if "/n/" in value and ":" in value.split("/n/", 1)[1]:
        head, token = value.split("/n/", 1)
        return f"{head}/n/{token.split(':', 1)[0]}:"
    return value


class HttpTimeout(Exception):
    """Sent, but no answer came: the message may have gone out."""


class HttpUnavailable(Exception):
    """Never sent: no connection."""


def http_call(url: str, *, method: str, body: bytes, headers: dict, timeout: float) -> tuple[int, bytes]:
    """One HTTP(S) request, telling a failure before sending (HttpUnavailable: safe to send again)
    from a failure after it (HttpTimeout: the provider may have acted)."""
    parts = urlsplit(url)
    cls = http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection
    conn = cls(parts.hostname or "", parts.port, timeout=timeout)
    try:
        try:
            conn.connect()
        except OSError as exc:
            raise HttpUnavailable(str(exc)) from exc
        try:
            target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
            conn.request(method, target, body=body or None, headers=headers)
            response = conn.getresponse()
            return response.status, response.read()
        except (OSError, http.client.HTTPException) as exc:
            raise HttpTimeout(str(exc) or type(exc).__name__) from exc
    finally:
        conn.close()


class ProviderSmsBackend(BaseSmsBackend):
    """What the two providers share: per-school configuration, templates, batching, ``send``
    (one message, raising ``SmsError``) on top of ``send_batch``."""

    setting = ""
    batch_size = 1

    def __init__(self, school_code: str = ""):
        base = dict(getattr(settings, self.setting))
        override = settings.SMS_SCHOOLS.get(school_code, {}) if school_code else {}
        self.config = {**base, **{k: v for k, v in override.items() if k != "templates"}}
        self.templates = {**base.get("templates", {}), **override.get("templates", {})}
        self.timeout = float(settings.SMS_TIMEOUT)

    def template(self, name: str) -> TemplateConfig:
        raw = self.templates.get(name)
        if not raw:
            raise SmsError("template", f"no template configured for {name!r}")
        if isinstance(raw, str):
            return TemplateConfig(id=raw, params=["text"])
        return TemplateConfig(id=str(raw["id"]), params=list(raw.get("params", [])))

    def resolve(self, message: SmsMessage) -> tuple[str, dict]:
        """The template to send and its parameters: the message's own, or, where the deployment
        has no such template, the "text" template with the whole text."""
        if message.template and message.template in self.templates:
            return message.template, dict(message.params)
        return "text", {"text": message.text}

    def send(self, message: SmsMessage) -> None:
        (result,) = self.send_batch([message])
        if not result.ok:
            raise SmsError(result.kind, result.detail)

    def send_batch(self, messages: list[SmsMessage]) -> list[SmsResult]:  # pragma: no cover - interface
        raise NotImplementedError

    def was_sent(self, message: SmsMessage, since: datetime.datetime) -> bool:  # pragma: no cover
        raise NotImplementedError

    def pull_reports(self, sent: list[tuple[str, str, datetime.datetime]]) -> dict[tuple[str, str], tuple[bool, str]]:
        """Delivery reports for (ref, phone, sent_at) items: {(ref, 11-digit phone): (delivered,
        code)}, only for those the provider has a final report of (a batch shares one ref)."""
        return {}  # pragma: no cover - interface


# --- Alibaba Cloud -------------------------------------------------------------------------------

ALIYUN_KINDS = {
    "isv.SMS_TEMPLATE_ILLEGAL": "template",
    "isv.SMS_SIGNATURE_ILLEGAL": "template",
    "isv.TEMPLATE_MISSING_PARAMETERS": "template",
    "isv.TEMPLATE_PARAMS_ILLEGAL": "template",
    "isv.SMS_SIGN_ILLEGAL": "template",
    "isv.PARAM_LENGTH_LIMIT": "template",
    "isv.MOBILE_NUMBER_ILLEGAL": "number",
    "isv.MOBILE_COUNT_OVER_LIMIT": "refused",
    "isv.BUSINESS_LIMIT_CONTROL": "throttled",
    "isv.DAY_LIMIT_CONTROL": "throttled",
    "Throttling.User": "throttled",
    "isv.AMOUNT_NOT_ENOUGH": "balance",
    "isv.OUT_OF_SERVICE": "balance",
    "SignatureDoesNotMatch": "config",
    "InvalidAccessKeyId.NotFound": "config",
    "isp.SYSTEM_ERROR": "unavailable",
    "isp.RAM_PERMISSION_DENY": "config",
}


def aliyun_percent(value: str) -> str:
    """RFC 3986 encoding as Alibaba Cloud's signature v1 wants it (space %20, * %2A, ~ kept)."""
    return quote(value, safe="~")


def aliyun_signature(params: dict[str, str], secret: str, method: str = "POST") -> str:
    canonical = "&".join(f"{aliyun_percent(k)}={aliyun_percent(v)}" for k, v in sorted(params.items()))
    to_sign = f"{method}&{aliyun_percent('/')}&{aliyun_percent(canonical)}"
    digest = hmac.new(f"{secret}&".encode(), to_sign.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


class AliyunSmsBackend(ProviderSmsBackend):
    """SendBatchSms for up to 100 numbers, each with its own parameters, under one template;
    SendSms for one. QuerySendDetails answers ``was_sent`` and the delivery reports."""

    setting = "SMS_ALIYUN"
    batch_size = 100

    def call(self, action: str, params: dict[str, str]) -> dict:
        common = {
            "AccessKeyId": self.config["access_key_id"],
            "Action": action,
            "Format": "JSON",
            "RegionId": self.config.get("region", "cn-hangzhou"),
            "SignatureMethod": "HMAC-SHA1",
            "SignatureNonce": uuid.uuid4().hex,
            "SignatureVersion": "1.0",
            "Timestamp": datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "Version": "2017-05-25",
        }
        all_params = {**common, **params}
        all_params["Signature"] = aliyun_signature(all_params, self.config["access_key_secret"])
        status, body = http_call(
            self.config.get("endpoint", "https://dysmsapi.aliyuncs.com/"),
            method="POST",
            body=urlencode(all_params).encode(),
            headers={"Content-Type": "application/x-www-form-urlencoded"},
            timeout=self.timeout,
        )
        try:
            return json.loads(body)
        except ValueError:
            return {"Code": f"HTTP{status}", "Message": body[:100].decode(errors="replace")}

    def _answer(self, answer: dict) -> SmsResult:
        code = answer.get("Code", "")
        if code == "OK":
            return SmsResult(ok=True, ref=answer.get("BizId", ""))
        return SmsResult(ok=False, kind=ALIYUN_KINDS.get(code, "refused"), detail=f"{code} {answer.get('Message', '')}")

    def _request(self, action: str, params: dict[str, str], n: int) -> list[SmsResult]:
        try:
            result = self._answer(self.call(action, params))
        except HttpUnavailable as exc:
            result = SmsResult(ok=False, kind="unavailable", detail=str(exc))
        except HttpTimeout as exc:
            result = SmsResult(ok=False, kind="timeout", detail=str(exc))
        return [result] * n

    def send_batch(self, messages: list[SmsMessage]) -> list[SmsResult]:
        results: list[SmsResult | None] = [None] * len(messages)
        groups: dict[str, list[int]] = {}
        for i, message in enumerate(messages):
            phone = national(message.phone)
            if not MAINLAND_MOBILE.match(phone):
                results[i] = SmsResult(ok=False, kind="number", detail=f"not a mainland mobile: {message.phone}")
                continue
            try:
                name, _params = self.resolve(message)
                groups.setdefault(self.template(name).id, []).append(i)
            except SmsError as exc:
                results[i] = SmsResult(ok=False, kind=exc.kind, detail=exc.detail)
        sign = self.config["sign_name"]
        for template_id, indexes in groups.items():
            for start in range(0, len(indexes), self.batch_size):
                chunk = indexes[start : start + self.batch_size]
                values = [self._values(messages[i]) for i in chunk]
                phones = [national(messages[i].phone) for i in chunk]
                if len(chunk) == 1:
                    answers = self._request(
                        "SendSms",
                        {
                            "PhoneNumbers": phones[0],
                            "SignName": sign,
                            "TemplateCode": template_id,
                            "TemplateParam": json.dumps(values[0], ensure_ascii=False),
                            **({"OutId": messages[chunk[0]].ref} if messages[chunk[0]].ref else {}),
                        },
                        1,
                    )
                else:
                    answers = self._request(
                        "SendBatchSms",
                        {
                            "PhoneNumberJson": json.dumps(phones),
                            "SignNameJson": json.dumps([sign] * len(chunk), ensure_ascii=False),
                            "TemplateCode": template_id,
                            "TemplateParamJson": json.dumps(values, ensure_ascii=False),
                        },
                        len(chunk),
                    )
                    if answers[0].kind in ("number", "throttled"):
                        # The batch was refused whole for one number (wrong, or limited for now):
                        # nothing went out; one by one, so only that number fails or waits.
                        answers = [self.send_batch([messages[i]])[0] for i in chunk]
                for i, answer in zip(chunk, answers, strict=True):
                    results[i] = answer
        return [r if r is not None else SmsResult(ok=False, kind="refused") for r in results]

    def _values(self, message: SmsMessage) -> dict[str, str]:
        name, params = self.resolve(message)
        return {key: str(params.get(key, "")) for key in self.template(name).params}

    def _details(self, phone: str, day: datetime.date, biz_id: str = "") -> list[dict]:
        params = {
            "PhoneNumber": national(phone),
            "SendDate": day.strftime("%Y%m%d"),
            "PageSize": "50",
            "CurrentPage": "1",
        }
        if biz_id:
            params["BizId"] = biz_id
        answer = self.call("QuerySendDetails", params)
        if answer.get("Code") != "OK":
            raise SmsError(ALIYUN_KINDS.get(answer.get("Code", ""), "refused"), answer.get("Code", ""))
        return answer.get("SmsSendDetailDTOs", {}).get("SmsSendDetailDTO", [])

    def was_sent(self, message: SmsMessage, since: datetime.datetime) -> bool:
        """Any record of this number since then, of this template, whose text holds every
        parameter of this message, or whose OutId is its ref. A receipt link is signed with the
        time of signing, so of a link only the part before the signature's timestamp (which names
        the receipt) is compared."""
        name, _params = self.resolve(message)
        template_id = self.template(name).id
        values = [stable_part(k, v) for k, v in self._values(message).items() if v]
        china = datetime.timezone(datetime.timedelta(hours=8))
        start = since.astimezone(china).replace(microsecond=0, tzinfo=None)
        days = {start.date(), datetime.datetime.now(china).date()}
        for day in sorted(days):
            for record in self._details(message.phone, day):
                if record.get("TemplateCode") != template_id:
                    continue
                try:
                    at = datetime.datetime.strptime(record.get("SendDate", ""), "%Y-%m-%d %H:%M:%S")
                except ValueError:
                    at = start
                if at < start:
                    continue
                if (message.ref and record.get("OutId") == message.ref) or all(
                    v in record.get("Content", "") for v in values
                ):
                    return True
        return False

    def pull_reports(self, sent: list[tuple[str, str, datetime.datetime]]) -> dict[tuple[str, str], tuple[bool, str]]:
        china = datetime.timezone(datetime.timedelta(hours=8))
        reports: dict[tuple[str, str], tuple[bool, str]] = {}
        for ref, phone, sent_at in sent:
            for record in self._details(phone, sent_at.astimezone(china).date(), ref):
                status = int(record.get("SendStatus", 1))  # 1 waiting, 2 failed, 3 delivered
                if status in (2, 3):
                    reports[(ref, national(phone))] = (status == 3, record.get("ErrCode", ""))
        return reports


# --- Tencent Cloud -------------------------------------------------------------------------------

TENCENT_KINDS = {
    "FailedOperation.TemplateIncorrectOrUnapproved": "template",
    "FailedOperation.SignatureIncorrectOrUnapproved": "template",
    "InvalidParameterValue.TemplateParameterFormatError": "template",
    "InvalidParameterValue.TemplateParameterLengthLimit": "template",
    "FailedOperation.MissingTemplateToModify": "template",
    "InvalidParameterValue.IncorrectPhoneNumber": "number",
    "FailedOperation.PhoneNumberInBlacklist": "number",
    "FailedOperation.PhoneNumberOnBlacklist": "number",
    "UnsupportedOperation.ContainDomesticAndInternationalPhoneNumber": "number",
    "LimitExceeded.PhoneNumberThirtySecondLimit": "throttled",
    "LimitExceeded.PhoneNumberOneHourLimit": "throttled",
    "LimitExceeded.PhoneNumberDailyLimit": "throttled",
    "LimitExceeded.PhoneNumberSameContentDailyLimit": "throttled",
    "LimitExceeded.DailyLimit": "throttled",
    "RequestLimitExceeded": "throttled",
    "FailedOperation.InsufficientBalanceInSmsPackage": "balance",
    "AuthFailure.SignatureFailure": "config",
    "AuthFailure.SecretIdNotFound": "config",
    "AuthFailure.SignatureExpire": "config",
    "InternalError.Timeout": "unavailable",
    "InternalError.RequestTimeException": "config",
}


def tencent_authorization(
    secret_id: str, secret_key: str, host: str, payload: bytes, timestamp: int, service: str = "sms"
) -> str:
    """TC3-HMAC-SHA256, Tencent Cloud API 3.0's signature (headers content-type and host signed)."""
    date = datetime.datetime.fromtimestamp(timestamp, datetime.UTC).strftime("%Y-%m-%d")
    canonical = "\n".join(
        [
            "POST",
            "/",
            "",
            f"content-type:application/json; charset=utf-8\nhost:{host}\n",
            "content-type;host",
            hashlib.sha256(payload).hexdigest(),
        ]
    )
    scope = f"{date}/{service}/tc3_request"
    to_sign = f"TC3-HMAC-SHA256\n{timestamp}\n{scope}\n{hashlib.sha256(canonical.encode()).hexdigest()}"

    def sign(key: bytes, msg: str) -> bytes:
        return hmac.new(key, msg.encode(), hashlib.sha256).digest()

    key = sign(sign(sign(f"TC3{secret_key}".encode(), date), service), "tc3_request")
    signature = hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()
    return f"TC3-HMAC-SHA256 Credential={secret_id}/{scope}, SignedHeaders=content-type;host, Signature={signature}"


class TencentSmsBackend(ProviderSmsBackend):
    """SendSms sends one template with one parameter list to up to 200 numbers; messages whose
    parameters match are packed together (50 at most, so that the request's SessionContext can
    name every message in it for ``was_sent``). PullSmsSendStatus gives the reports."""

    setting = "SMS_TENCENT"
    batch_size = 50

    def call(self, action: str, body: dict) -> dict:
        endpoint = self.config.get("endpoint", "https://sms.tencentcloudapi.com/")
        host = urlsplit(endpoint).netloc
        payload = json.dumps(body, ensure_ascii=False).encode()
        timestamp = int(datetime.datetime.now(datetime.UTC).timestamp())
        status, raw = http_call(
            endpoint,
            method="POST",
            body=payload,
            headers={
                "Content-Type": "application/json; charset=utf-8",
                "Host": host,
                "X-TC-Action": action,
                "X-TC-Timestamp": str(timestamp),
                "X-TC-Version": "2021-01-11",
                "X-TC-Region": self.config.get("region", "ap-guangzhou"),
                "Authorization": tencent_authorization(
                    self.config["secret_id"], self.config["secret_key"], host, payload, timestamp
                ),
            },
            timeout=self.timeout,
        )
        try:
            return json.loads(raw).get("Response", {})
        except ValueError:
            return {"Error": {"Code": f"HTTP{status}", "Message": raw[:100].decode(errors="replace")}}

    def send_batch(self, messages: list[SmsMessage]) -> list[SmsResult]:
        results: list[SmsResult | None] = [None] * len(messages)
        groups: dict[tuple, list[int]] = {}
        for i, message in enumerate(messages):
            if not MAINLAND_MOBILE.match(national(message.phone)):
                results[i] = SmsResult(ok=False, kind="number", detail=f"not a mainland mobile: {message.phone}")
                continue
            try:
                name, params = self.resolve(message)
                template = self.template(name)
            except SmsError as exc:
                results[i] = SmsResult(ok=False, kind=exc.kind, detail=exc.detail)
                continue
            values = tuple(str(params.get(key, "")) for key in template.params)
            groups.setdefault((template.id, values), []).append(i)
        for (template_id, values), indexes in groups.items():
            for start in range(0, len(indexes), self.batch_size):
                chunk = indexes[start : start + self.batch_size]
                body = {
                    "PhoneNumberSet": [f"+86{national(messages[i].phone)}" for i in chunk],
                    "SmsSdkAppId": str(self.config["sdk_app_id"]),
                    "SignName": self.config["sign_name"],
                    "TemplateId": template_id,
                    "TemplateParamSet": list(values),
                    "SessionContext": ",".join(messages[i].ref for i in chunk)[:512],
                }
                for i, result in zip(chunk, self._request(body, [messages[i] for i in chunk]), strict=True):
                    results[i] = result
        return [r if r is not None else SmsResult(ok=False, kind="refused") for r in results]

    def _request(self, body: dict, chunk: list[SmsMessage]) -> list[SmsResult]:
        try:
            answer = self.call("SendSms", body)
        except HttpUnavailable as exc:
            return [SmsResult(ok=False, kind="unavailable", detail=str(exc))] * len(chunk)
        except HttpTimeout as exc:
            return [SmsResult(ok=False, kind="timeout", detail=str(exc))] * len(chunk)
        if "Error" in answer:
            code = answer["Error"].get("Code", "")
            result = SmsResult(ok=False, kind=TENCENT_KINDS.get(code, "refused"), detail=code)
            return [result] * len(chunk)
        by_phone = {s.get("PhoneNumber"): s for s in answer.get("SendStatusSet", [])}
        results = []
        for message in chunk:
            status = by_phone.get(f"+86{national(message.phone)}")
            if status is None:
                results.append(SmsResult(ok=False, kind="refused", detail="no status for this number"))
            elif status.get("Code") == "Ok":
                results.append(SmsResult(ok=True, ref=status.get("SerialNo", "")))
            else:
                code = status.get("Code", "")
                results.append(SmsResult(ok=False, kind=TENCENT_KINDS.get(code, "refused"), detail=code))
        return results

    def was_sent(self, message: SmsMessage, since: datetime.datetime) -> bool:
        """PullSmsSendStatusByPhoneNumber: a report for this number since then whose SessionContext
        names this message."""
        answer = self.call(
            "PullSmsSendStatusByPhoneNumber",
            {
                "BeginTime": int(since.timestamp()) - 60,
                "Offset": 0,
                "Limit": 100,
                "PhoneNumber": f"+86{national(message.phone)}",
                "SmsSdkAppId": str(self.config["sdk_app_id"]),
            },
        )
        if "Error" in answer:
            code = answer["Error"].get("Code", "")
            raise SmsError(TENCENT_KINDS.get(code, "refused"), code)
        return any(
            message.ref in (s.get("SessionContext") or "").split(",") for s in answer.get("PullSmsSendStatusSet", [])
        )

    def pull_reports(self, sent: list[tuple[str, str, datetime.datetime]]) -> dict[tuple[str, str], tuple[bool, str]]:
        """PullSmsSendStatus hands over the reports not yet pulled (each once), whatever they are
        of; those of messages Tongxin does not wait for are dropped."""
        wanted = {ref for ref, _phone, _at in sent}
        reports: dict[tuple[str, str], tuple[bool, str]] = {}
        while True:
            answer = self.call("PullSmsSendStatus", {"Limit": 100, "SmsSdkAppId": str(self.config["sdk_app_id"])})
            if "Error" in answer:
                raise SmsError(TENCENT_KINDS.get(answer["Error"].get("Code", ""), "refused"), answer["Error"]["Code"])
            batch = answer.get("PullSmsSendStatusSet", [])
            for status in batch:
                if status.get("SerialNo") in wanted:
                    key = (status["SerialNo"], national(status.get("PhoneNumber", "")))
                    reports[key] = (status.get("ReportStatus") == "SUCCESS", status.get("Description", ""))
            if len(batch) < 100:
                return reports


def get_provider_backend(school_code: str = ""):
    """The configured backend for a school, or None when SMS_BACKEND is not a provider backend
    (the file or in-memory backends of development and tests)."""
    from django.utils.module_loading import import_string

    cls = import_string(settings.SMS_BACKEND)
    if isinstance(cls, type) and issubclass(cls, ProviderSmsBackend):
        return cls(school_code)
    return None
