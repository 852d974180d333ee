from datetime import timedelta

from celery import shared_task
from django.utils import timezone
from django_scopes import scopes_disabled


@shared_task
def purge_stale_roster_uploads() -> int:
    """An upload that was previewed but never committed holds a whole roster (names, phones):
    keep it one day, then delete it. Run daily by celery beat."""
    from .models import RosterUpload

    with scopes_disabled():  # reviewed: a purge across schools, by age only
        deleted, _ = RosterUpload.objects.filter(
            committed_at__isnull=True, created_at__lt=timezone.now() - timedelta(days=1)
        ).delete()
    return deleted
