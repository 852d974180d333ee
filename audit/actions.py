from collections.abc import Iterable

from django.db import models

from core.guardrails import GuardrailOverride
from core.ratelimit import client_ip

from .models import AuditEntry


def record(
    action: str,
    *,
    actor=None,
    school=None,
    schools: Iterable | None = None,
    target: models.Model | None = None,
    summary: str = "",
    detail: dict | None = None,
    request=None,
    ip: str | None = None,
) -> None:
    """Write one audit row per school concerned (a sign-in of a parent with children in two
    schools is visible to both schools' admins). Never store passwords, codes or note text here."""
    school_list = list(schools) if schools is not None else [school]
    if not school_list:
        school_list = [None]
    if request is not None:  # else ``ip``: work done after the request (a task) passes its address on
        ip = client_ip(request)
    if ip == "unknown":
        ip = None
    user_agent = request.META.get("HTTP_USER_AGENT", "")[:255] if request is not None else ""
    AuditEntry.objects.bulk_create(
        [
            AuditEntry(
                school=s,
                actor=actor if actor is not None and actor.pk else None,
                action=action,
                target_type=(target._meta.model_name or "") if target is not None else "",
                target_id=str(target.pk) if target is not None else "",
                summary=summary[:255],
                detail=detail or {},
                ip=ip,
                user_agent=user_agent,
            )
            for s in school_list
        ]
    )


def record_guardrail_override(
    override: GuardrailOverride, *, actor, school, target: models.Model, request=None, **detail
) -> None:
    """The audit row of a class-wide message sent despite a guardrail warning: what the concerns
    were (``GuardrailOverride.summary``, no children's names), the sender's reason, and ``detail``
    the caller adds (e.g. the conversation)."""
    record(
        AuditEntry.Action.GUARDRAIL_OVERRIDE,
        actor=actor,
        school=school,
        target=target,
        summary=override.summary,
        detail={"reason": override.logged_reason, **detail},
        request=request,
    )
