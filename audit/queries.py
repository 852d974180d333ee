from .models import AuditEntry


def school_log(school, *, action: str = "", limit: int = 200):
    entries = AuditEntry.objects.filter(school=school).select_related("actor")
    if action:
        entries = entries.filter(action=action)
    return entries[:limit]
