"""WeCom 家校 (企业微信 education organisation): school notifications in the parents' ordinary WeChat.

A school that runs a WeCom education organisation gives Tongxin its corp id, the secret of its
家校沟通 app, the app's agent id and the department of its parents (``settings.WECOM_SCHOOLS``,
keyed by school code). Documented API (``settings.WECOM_API``, https://qyapi.weixin.qq.com):

- ``GET /cgi-bin/gettoken?corpid=…&corpsecret=…``: an access token valid ``expires_in`` seconds;
  cached (Django's cache) until a minute before it expires, and fetched again when an answer
  says it expired or is invalid (errcode 42001, 40014, 41001) — once per request, mid-batch too.
- ``GET /cgi-bin/school/user/list_parent?department_id=…``: the parents, with their mobile
  numbers and ``parent_userid``; ``sync_parents`` keeps ``WecomParent`` from it, and a guardian is
  matched by phone.
- ``POST /cgi-bin/externalcontact/message/send``: a 家校通知 to ``to_parent_userid``, as a news
  card with the family's own receipt link, with the provider's duplicate check on (so a retry
  after a lost answer is not shown twice within 30 minutes). ``invalid_parent_userid`` in the
  answer names parents who left.
"""

import json
import logging
import urllib.parse

from django.conf import settings
from django.core.cache import cache
from django.utils import timezone, translation
from django_scopes import scopes_disabled

from .channels import Outcome, receipt_link
from .models import WecomParent
from .sms_providers import HttpTimeout, HttpUnavailable, http_call

logger = logging.getLogger(__name__)

TOKEN_EXPIRED = {42001, 40014, 41001}
THROTTLED = {45009, 45033, 45035, -1}


class WecomError(Exception):
    def __init__(self, kind: str, detail: str = ""):
        self.kind = kind
        self.detail = detail
        super().__init__(f"{kind}: {detail}")


class WecomClient:
    def __init__(self, school_code: str):
        self.config = settings.WECOM_SCHOOLS.get(school_code)
        if not self.config:
            raise WecomError("config", f"WeCom is not configured for school {school_code}")
        self.base = settings.WECOM_API.rstrip("/")
        self.cache_key = f"wecom-token:{self.config['corp_id']}:{self.config['agent_id']}"

    def _get(self, path: str, query: dict) -> dict:
        return self._call("GET", path, query, None)

    def _call(self, method: str, path: str, query: dict, body: dict | None) -> dict:
        url = f"{self.base}{path}?{urllib.parse.urlencode(query)}"
        data = json.dumps(body, ensure_ascii=False).encode() if body is not None else b""
        try:
            _status, raw = http_call(
                url,
                method=method,
                body=data,
                headers={"Content-Type": "application/json; charset=utf-8"},
                timeout=float(settings.SMS_TIMEOUT),
            )
        except HttpUnavailable as exc:
            raise WecomError("unavailable", str(exc)) from exc
        except HttpTimeout as exc:
            raise WecomError("timeout", str(exc)) from exc
        try:
            return json.loads(raw)
        except ValueError as exc:
            raise WecomError("unavailable", raw[:100].decode(errors="replace")) from exc

    def token(self, *, fresh: bool = False) -> str:
        if not fresh:
            cached = cache.get(self.cache_key)
            if cached:
                return cached
        answer = self._get("/cgi-bin/gettoken", {"corpid": self.config["corp_id"], "corpsecret": self.config["secret"]})
        if answer.get("errcode", 0) != 0:
            raise WecomError("config", f"gettoken {answer.get('errcode')} {answer.get('errmsg', '')}")
        cache.set(self.cache_key, answer["access_token"], max(int(answer.get("expires_in", 7200)) - 60, 1))
        return answer["access_token"]

    def call(self, method: str, path: str, query: dict | None = None, body: dict | None = None) -> dict:
        """With the token; a token that expired meanwhile is fetched again and the call repeated
        once (a token refused is refused before anything is sent)."""
        answer = self._call(method, path, {**(query or {}), "access_token": self.token()}, body)
        if answer.get("errcode") in TOKEN_EXPIRED:
            answer = self._call(method, path, {**(query or {}), "access_token": self.token(fresh=True)}, body)
        return answer

    def send_card(self, parent_userid: str, title: str, description: str, url: str) -> dict:
        return self.call(
            "POST",
            "/cgi-bin/externalcontact/message/send",
            body={
                "recv_scope": 0,
                "to_parent_userid": [parent_userid],
                "msgtype": "news",
                "agentid": int(self.config["agent_id"]),
                "news": {"articles": [{"title": title, "description": description, "url": url}]},
                "enable_duplicate_check": 1,
                "duplicate_check_interval": 1800,
            },
        )


def sync_parents(school) -> int:
    """Refresh the school's WeCom parents from its parent list; returns how many have a phone."""
    client = WecomClient(school.code)
    answer = client.call(
        "GET", "/cgi-bin/school/user/list_parent", {"department_id": str(client.config.get("department_id", 1))}
    )
    if answer.get("errcode", 0) != 0:
        raise WecomError("refused", f"list_parent {answer.get('errcode')} {answer.get('errmsg', '')}")
    now = timezone.now()
    rows = {
        p["mobile"][-11:]: WecomParent(
            school=school,
            phone=p["mobile"][-11:],
            parent_userid=p["parent_userid"],
            subscribed=bool(p.get("is_subscribe", 1)),
            synced_at=now,
        )
        for p in answer.get("parents", [])
        if p.get("mobile")
    }
    with scopes_disabled():  # reviewed: this school's rows only
        WecomParent.objects.filter(school=school).exclude(phone__in=list(rows)).delete()
        WecomParent.objects.bulk_create(
            list(rows.values()),
            update_conflicts=True,
            unique_fields=["school", "phone"],
            update_fields=["parent_userid", "subscribed", "synced_at"],
        )
    return len(rows)


def send_notice_cards(deliveries: list) -> list[Outcome]:
    """One card per family with its own link; the parents looked up in one query per school."""
    outcomes: dict[int, Outcome] = {}
    by_school: dict = {}
    for delivery in deliveries:
        by_school.setdefault(delivery.receipt.notice.school, []).append(delivery)
    for school, rows in by_school.items():
        phones = {d.receipt.guardian.phone for d in rows if d.receipt.guardian_id}
        with scopes_disabled():  # reviewed: this school's parents only
            parents = dict(
                WecomParent.objects.filter(school=school, phone__in=phones, subscribed=True).values_list(
                    "phone", "parent_userid"
                )
            )
        try:
            client = WecomClient(school.code)
        except WecomError as exc:
            for d in rows:
                outcomes[d.pk] = Outcome(ok=False, kind=exc.kind, detail=exc.detail, retry=False)
            continue
        for delivery in rows:
            receipt = delivery.receipt
            userid = parents.get(receipt.guardian.phone) if receipt.guardian_id else None
            if not userid:
                outcomes[delivery.pk] = Outcome(ok=False, kind="unmatched", retry=False)
                continue
            notice = receipt.notice
            with translation.override("zh-hans"):
                description = translation.gettext("%(school)s: please open the notice and reply.") % {
                    "school": school.name
                }
            try:
                answer = client.send_card(userid, notice.title[:60], description, receipt_link(receipt.pk))
            except WecomError as exc:
                outcomes[delivery.pk] = Outcome(ok=False, kind=exc.kind, detail=exc.detail, retry=True)
                continue
            code = answer.get("errcode", 0)
            if code == 0 and userid not in answer.get("invalid_parent_userid", []):
                outcomes[delivery.pk] = Outcome(ok=True, ref=str(answer.get("msgid", ""))[:64])
            elif code == 0:
                outcomes[delivery.pk] = Outcome(ok=False, kind="unmatched", detail="invalid_parent_userid", retry=False)
            elif code in THROTTLED:
                outcomes[delivery.pk] = Outcome(ok=False, kind="throttled", detail=f"{code}", retry=True)
            elif code in TOKEN_EXPIRED:
                outcomes[delivery.pk] = Outcome(ok=False, kind="config", detail=f"{code}", retry=True)
            else:
                outcomes[delivery.pk] = Outcome(
                    ok=False, kind="refused", detail=f"{code} {answer.get('errmsg', '')}"[:200], retry=False
                )
    return [outcomes[d.pk] for d in deliveries]
