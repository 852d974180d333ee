"""Local peers of the providers' documented HTTP APIs, on 127.0.0.1, for the tests (and for a demo
or a bench that wants a provider to talk to). Each checks a request as the provider does — the
signature with the shared secret, the signature name, the template and its parameters, the phone
number's format — and answers in the provider's documented shape, success and failure alike.

A test steers a peer through its attributes: ``throttled`` (numbers the provider limits for now),
``rejected`` (numbers the provider refuses), ``hang`` (seconds to wait before answering, after
the message counts as sent: a lost answer) and ``reports`` (the delivery report each number gets).
``sent`` lists every message the peer accepted, with its rendered text."""

import base64
import datetime
import hashlib
import hmac
import json
import re
import threading
import time
import uuid
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, quote

CHINA = datetime.timezone(datetime.timedelta(hours=8))


@dataclass
class Sent:
    phone: str  # 11 digits
    template: str
    params: dict
    text: str
    ref: str  # BizId / SerialNo
    context: str = ""  # OutId / SessionContext
    at: datetime.datetime = field(default_factory=lambda: datetime.datetime.now(CHINA))


class Peer:
    """What both peers share: the HTTP server, the switches, the record."""

    def __init__(self, *, secret: str, sign_name: str, templates: dict[str, tuple[str, list[str]]]):
        self.secret = secret
        self.sign_name = sign_name
        # template id -> (text with ${name} or {1}… placeholders, the variables' names in order)
        self.templates = templates
        self.sent: list[Sent] = []
        self.requests: list[dict] = []
        self.throttled: set[str] = set()
        self.rejected: set[str] = set()
        self.reports: dict[str, bool] = {}
        self.hang = 0.0
        self.lock = threading.Lock()
        peer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                length = int(self.headers.get("Content-Length", 0))
                body = self.rfile.read(length)
                status, answer = peer.handle(dict(self.headers.items()), body)
                if peer.hang:
                    time.sleep(peer.hang)
                raw = json.dumps(answer, ensure_ascii=False).encode()
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json; charset=utf-8")
                    self.send_header("Content-Length", str(len(raw)))
                    self.end_headers()
                    self.wfile.write(raw)
                except OSError:
                    pass  # the client gave up waiting

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/"

    def start(self):
        self.thread.start()
        return self

    def stop(self):
        self.server.shutdown()
        self.server.server_close()

    def handle(self, headers: dict, body: bytes) -> tuple[int, dict]:  # pragma: no cover - interface
        raise NotImplementedError

    def record(self, phone: str, template_id: str, params: dict, context: str = "") -> Sent:
        text = self.templates[template_id][0]
        for name, value in params.items():
            text = text.replace("${" + name + "}", str(value)).replace("{" + name + "}", str(value))
        sent = Sent(phone, template_id, params, f"【{self.sign_name}】{text}", uuid.uuid4().hex[:20], context)
        with self.lock:
            self.sent.append(sent)
        return sent


# --- Alibaba Cloud Dysmsapi 2017-05-25 -----------------------------------------------------------

ALIYUN_PHONE = re.compile(r"^(?:\+?86|0086)?(1[3-9]\d{9})$")


def aliyun_encode(value: str) -> str:
    return quote(value, safe="~")


class AliyunPeer(Peer):
    access_key_id = "LTAI-test-key"

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.nonces: set[str] = set()

    def handle(self, headers, body):
        params = dict(parse_qsl(body.decode(), keep_blank_values=True))
        with self.lock:
            self.requests.append(params)
        request_id = uuid.uuid4().hex
        signature = params.pop("Signature", "")
        canonical = "&".join(f"{aliyun_encode(k)}={aliyun_encode(v)}" for k, v in sorted(params.items()))
        to_sign = f"POST&%2F&{aliyun_encode(canonical)}"
        expected = base64.b64encode(hmac.new(f"{self.secret}&".encode(), to_sign.encode(), hashlib.sha1).digest())
        if params.get("AccessKeyId") != self.access_key_id:
            return 404, {
                "Code": "InvalidAccessKeyId.NotFound",
                "Message": "Specified access key is not found.",
                "RequestId": request_id,
            }
        if not hmac.compare_digest(expected.decode(), signature):
            return 400, {
                "Code": "SignatureDoesNotMatch",
                "Message": "Specified signature is not matched with our calculation.",
                "RequestId": request_id,
            }
        for key, value in (
            ("SignatureMethod", "HMAC-SHA1"),
            ("SignatureVersion", "1.0"),
            ("Version", "2017-05-25"),
            ("Format", "JSON"),
        ):
            if params.get(key) != value:
                return 400, {"Code": "MissingParameter", "Message": key, "RequestId": request_id}
        if not re.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$", params.get("Timestamp", "")):
            return 400, {"Code": "InvalidTimeStamp.Format", "Message": "", "RequestId": request_id}
        nonce = params.get("SignatureNonce", "")
        if not nonce or nonce in self.nonces:
            return 400, {"Code": "SignatureNonceUsed", "Message": "", "RequestId": request_id}
        self.nonces.add(nonce)
        action = params.get("Action")
        if action == "SendSms":
            phones = params.get("PhoneNumbers", "").split(",")
            signs = [params.get("SignName", "")] * len(phones)
            values = [json.loads(params.get("TemplateParam") or "{}")] * len(phones)
        elif action == "SendBatchSms":
            phones = json.loads(params.get("PhoneNumberJson", "[]"))
            signs = json.loads(params.get("SignNameJson", "[]"))
            values = json.loads(params.get("TemplateParamJson", "[]"))
            if len(phones) > 100:
                return 200, {"Code": "isv.MOBILE_COUNT_OVER_LIMIT", "Message": "", "RequestId": request_id}
            if not (len(phones) == len(signs) == len(values)):
                return 200, {"Code": "isv.INVALID_JSON_PARAM", "Message": "", "RequestId": request_id}
        elif action == "QuerySendDetails":
            return 200, self.details(params, request_id)
        else:
            return 400, {"Code": "InvalidAction.NotFound", "Message": action, "RequestId": request_id}
        return 200, self.send(
            phones, signs, values, params.get("TemplateCode", ""), params.get("OutId", ""), request_id
        )

    def send(self, phones, signs, values, template_id, out_id, request_id):
        def fail(code: str, message: str) -> dict:
            return {"Code": code, "Message": message, "RequestId": request_id}

        if any(s != self.sign_name for s in signs):
            return fail("isv.SMS_SIGNATURE_ILLEGAL", "该账号下找不到对应签名")
        if template_id not in self.templates:
            return fail("isv.SMS_TEMPLATE_ILLEGAL", "该账号下找不到对应模板")
        names = self.templates[template_id][1]
        numbers = []
        for phone, value in zip(phones, values, strict=True):
            found = ALIYUN_PHONE.match(phone)
            if not found or found.group(1) in self.rejected:
                return fail("isv.MOBILE_NUMBER_ILLEGAL", "非法手机号")
            if set(value) != set(names) or any(v in ("", None) for v in value.values()):
                return fail("isv.TEMPLATE_MISSING_PARAMETERS", "模板变量缺少对应参数值")
            if found.group(1) in self.throttled:
                return fail("isv.BUSINESS_LIMIT_CONTROL", "触发号码天级流控Permits:10")
            numbers.append(found.group(1))
        biz_id = f"{uuid.uuid4().int % 10**18}^0"
        for phone, value in zip(numbers, values, strict=True):
            sent = self.record(phone, template_id, value, out_id)
            sent.ref = biz_id
        return {"Code": "OK", "Message": "OK", "BizId": biz_id, "RequestId": request_id}

    def details(self, params, request_id):
        phone = params.get("PhoneNumber", "")
        day = params.get("SendDate", "")
        biz_id = params.get("BizId", "")
        found = [
            s
            for s in self.sent
            if s.phone == phone and s.at.strftime("%Y%m%d") == day and (not biz_id or s.ref == biz_id)
        ]
        dtos = []
        for s in found:
            report = self.reports.get(s.phone)
            dtos.append(
                {
                    "PhoneNum": s.phone,
                    "SendStatus": 1 if report is None else 3 if report else 2,
                    "ErrCode": "" if report is None else "DELIVERED" if report else "MK:0001",
                    "TemplateCode": s.template,
                    "Content": s.text,
                    "SendDate": s.at.strftime("%Y-%m-%d %H:%M:%S"),
                    "ReceiveDate": "",
                    "OutId": s.context,
                }
            )
        return {
            "Code": "OK",
            "Message": "OK",
            "RequestId": request_id,
            "TotalCount": len(dtos),
            "SmsSendDetailDTOs": {"SmsSendDetailDTO": dtos},
        }


# --- Tencent Cloud SMS API 3.0 (2021-01-11) ------------------------------------------------------


class TencentPeer(Peer):
    secret_id = "AKID-test-id"
    sdk_app_id = "1400000001"

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.pulled: set[str] = set()

    def handle(self, headers, body):
        headers = {k.lower(): v for k, v in headers.items()}
        request_id = str(uuid.uuid4())
        action = headers.get("x-tc-action", "")
        try:
            payload = json.loads(body)
        except ValueError:
            payload = {}
        with self.lock:
            self.requests.append({"action": action, **payload})

        def error(code: str, message: str = "") -> tuple[int, dict]:
            return 200, {"Response": {"Error": {"Code": code, "Message": message}, "RequestId": request_id}}

        auth = headers.get("authorization", "")
        found = re.match(
            r"^TC3-HMAC-SHA256 Credential=([^/]+)/(\d{4}-\d\d-\d\d)/sms/tc3_request, "
            r"SignedHeaders=content-type;host, Signature=([0-9a-f]{64})$",
            auth,
        )
        if not found:
            return error("AuthFailure.InvalidAuthorization", "Authorization header malformed")
        secret_id, date, signature = found.groups()
        if secret_id != self.secret_id:
            return error("AuthFailure.SecretIdNotFound")
        timestamp = int(headers.get("x-tc-timestamp", "0"))
        if abs(time.time() - timestamp) > 300:
            return error("AuthFailure.SignatureExpire")
        if datetime.datetime.fromtimestamp(timestamp, datetime.UTC).strftime("%Y-%m-%d") != date:
            return error("AuthFailure.SignatureFailure", "date")
        host = headers.get("host", "")
        canonical = (
            f"POST\n/\n\ncontent-type:{headers.get('content-type', '')}\nhost:{host}\n\ncontent-type;host\n"
            f"{hashlib.sha256(body).hexdigest()}"
        )
        to_sign = (
            f"TC3-HMAC-SHA256\n{timestamp}\n{date}/sms/tc3_request\n{hashlib.sha256(canonical.encode()).hexdigest()}"
        )

        def sign(key: bytes, msg: str) -> bytes:
            return hmac.new(key, msg.encode(), hashlib.sha256).digest()

        key = sign(sign(sign(f"TC3{self.secret}".encode(), date), "sms"), "tc3_request")
        if not hmac.compare_digest(hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest(), signature):
            return error("AuthFailure.SignatureFailure", "The provided credentials could not be validated.")
        if headers.get("x-tc-version") != "2021-01-11" or not headers.get("x-tc-region"):
            return error("InvalidParameter", "version or region")
        if str(payload.get("SmsSdkAppId")) != self.sdk_app_id:
            return error("InvalidParameterValue.SdkAppIdNotExist")
        if action == "SendSms":
            return 200, {"Response": {**self.send(payload, error), "RequestId": request_id}}
        if action == "PullSmsSendStatus":
            return 200, {"Response": {"PullSmsSendStatusSet": self.pull(payload), "RequestId": request_id}}
        if action == "PullSmsSendStatusByPhoneNumber":
            return 200, {"Response": {"PullSmsSendStatusSet": self.by_phone(payload), "RequestId": request_id}}
        return error("InvalidAction", action)

    def send(self, payload, error):
        if payload.get("SignName") != self.sign_name:
            return error("FailedOperation.SignatureIncorrectOrUnapproved")[1]["Response"]
        template_id = payload.get("TemplateId")
        if template_id not in self.templates:
            return error("FailedOperation.TemplateIncorrectOrUnapproved")[1]["Response"]
        names = self.templates[template_id][1]
        values = payload.get("TemplateParamSet") or []
        if len(values) != len(names):
            return error("InvalidParameterValue.TemplateParameterFormatError")[1]["Response"]
        phones = payload.get("PhoneNumberSet") or []
        if len(phones) > 200:
            return error("LimitExceeded.PhoneNumberCountLimit")[1]["Response"]
        statuses = []
        for phone in phones:
            status = {
                "SerialNo": "",
                "PhoneNumber": phone,
                "Fee": 0,
                "SessionContext": payload.get("SessionContext", ""),
                "IsoCode": "CN",
            }
            number = phone[3:] if phone.startswith("+86") else ""
            if not re.match(r"^1[3-9]\d{9}$", number) or number in self.rejected:
                status.update(Code="InvalidParameterValue.IncorrectPhoneNumber", Message="invalid phone number")
            elif number in self.throttled:
                status.update(Code="LimitExceeded.PhoneNumberDailyLimit", Message="daily limit")
            else:
                sent = self.record(
                    number,
                    template_id,
                    dict(zip([str(i + 1) for i in range(len(values))], values, strict=True)),
                    payload.get("SessionContext", ""),
                )
                status.update(Code="Ok", Message="send success", SerialNo=sent.ref, Fee=1)
            statuses.append(status)
        return {"SendStatusSet": statuses}

    def _status(self, s: Sent) -> dict:
        report = self.reports.get(s.phone)
        return {
            "UserReceiveTime": s.at.strftime("%Y-%m-%d %H:%M:%S"),
            "CountryCode": "86",
            "SubscriberNumber": s.phone,
            "PhoneNumber": f"+86{s.phone}",
            "SerialNo": s.ref,
            "ReportStatus": "SUCCESS" if report else "FAIL",
            "Description": "用户短信送达成功" if report else "DELIVRD_FAIL",
            "SessionContext": s.context,
        }

    def pull(self, payload):
        out: list[dict] = []
        for s in self.sent:
            if s.ref not in self.pulled and s.phone in self.reports and len(out) < int(payload.get("Limit", 100)):
                self.pulled.add(s.ref)
                out.append(self._status(s))
        return out

    def by_phone(self, payload):
        begin = int(payload.get("BeginTime", 0))
        phone = payload.get("PhoneNumber", "")
        return [self._status(s) for s in self.sent if f"+86{s.phone}" == phone and s.at.timestamp() >= begin]


# --- WeCom 家校 (企业微信) ------------------------------------------------------------------------


class WecomPeer:
    """gettoken, school/user/list_parent and externalcontact/message/send, as documented: tokens
    expire (``expire_tokens``, or after ``expire_after`` sends: mid-batch), unknown parents come
    back in ``invalid_parent_userid``, and the duplicate check (``enable_duplicate_check``) shows a
    repeated card once. ``shown`` is what parents' WeChat shows."""

    def __init__(self, *, corp_id: str, secret: str, agent_id: int, parents: list[dict]):
        self.corp_id, self.secret, self.agent_id, self.parents = corp_id, secret, agent_id, parents
        self.tokens: set[str] = set()
        self.token_requests = 0
        self.expire_after: int | None = None
        self.hang = 0.0
        self.shown: list[dict] = []
        self.sends = 0
        self.lock = threading.Lock()
        peer = self

        class Handler(BaseHTTPRequestHandler):
            def _answer(self, answer: dict):
                if peer.hang:
                    time.sleep(peer.hang)
                raw = json.dumps(answer, ensure_ascii=False).encode()
                try:
                    self.send_response(200)
                    self.send_header("Content-Type", "application/json; charset=utf-8")
                    self.send_header("Content-Length", str(len(raw)))
                    self.end_headers()
                    self.wfile.write(raw)
                except OSError:
                    pass

            def do_GET(self):
                path, _, query = self.path.partition("?")
                self._answer(peer.get(path, dict(parse_qsl(query))))

            def do_POST(self):
                path, _, query = self.path.partition("?")
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"{}")
                self._answer(peer.post(path, dict(parse_qsl(query)), body))

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def start(self):
        self.thread.start()
        return self

    def stop(self):
        self.server.shutdown()
        self.server.server_close()

    def expire_tokens(self):
        with self.lock:
            self.tokens.clear()

    def _token_error(self, query) -> dict | None:
        token = query.get("access_token")
        if not token:
            return {"errcode": 41001, "errmsg": "access_token missing"}
        if token not in self.tokens:
            return {"errcode": 42001, "errmsg": "access_token expired"}
        return None

    def get(self, path, query):
        if path == "/cgi-bin/gettoken":
            if query.get("corpid") != self.corp_id:
                return {"errcode": 40013, "errmsg": "invalid corpid"}
            if query.get("corpsecret") != self.secret:
                return {"errcode": 40001, "errmsg": "invalid credential"}
            token = uuid.uuid4().hex
            with self.lock:
                self.tokens.add(token)
                self.token_requests += 1
            return {"errcode": 0, "errmsg": "ok", "access_token": token, "expires_in": 7200}
        if path == "/cgi-bin/school/user/list_parent":
            error = self._token_error(query)
            if error:
                return error
            return {"errcode": 0, "errmsg": "ok", "parents": self.parents}
        return {"errcode": 404, "errmsg": "not found"}

    def post(self, path, query, body):
        if path != "/cgi-bin/externalcontact/message/send":
            return {"errcode": 404, "errmsg": "not found"}
        error = self._token_error(query)
        if error:
            return error
        if body.get("agentid") != self.agent_id:
            return {"errcode": 40056, "errmsg": "invalid agentid"}
        if body.get("msgtype") != "news" or not body.get("news", {}).get("articles"):
            return {"errcode": 40008, "errmsg": "invalid message type"}
        article = body["news"]["articles"][0]
        if not article.get("title") or not article.get("url", "").startswith("http"):
            return {"errcode": 40009, "errmsg": "invalid article"}
        known = {p["parent_userid"] for p in self.parents}
        invalid = [u for u in body.get("to_parent_userid", []) if u not in known]
        with self.lock:
            for userid in body.get("to_parent_userid", []):
                if userid in invalid:
                    continue
                card = {"to": userid, "title": article["title"], "url": article["url"]}
                duplicate = body.get("enable_duplicate_check") and any(
                    c["to"] == userid and c["title"] == card["title"] for c in self.shown
                )
                if not duplicate:
                    self.shown.append(card)
            self.sends += 1
            if self.expire_after is not None and self.sends >= self.expire_after:
                self.tokens.clear()
                self.expire_after = None
        return {
            "errcode": 0,
            "errmsg": "ok",
            "invalid_parent_userid": invalid,
            "invalid_student_userid": [],
            "invalid_party": [],
        }
