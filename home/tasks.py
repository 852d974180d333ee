from celery import shared_task
from django_scopes import scopes_disabled


@shared_task
def purge_past_retention() -> dict[int, dict[str, int]]:
    """Daily (celery beat): every school's records past its retention periods (``home.retention``).
    Safe to run twice: a second run finds nothing to delete."""
    from schools.models import School

    from .retention import do_purge_past_retention

    with scopes_disabled():  # reviewed: the list of schools; each purge runs inside its school's scope
        schools = list(School.objects.order_by("pk"))
    return {school.pk: do_purge_past_retention(school) for school in schools}


@shared_task
def send_weekly_digests() -> dict:
    """Sunday 18:00 (celery beat): each family's action list on its chosen channel (home.weekly)."""
    from .weekly import do_send_digests

    return do_send_digests("weekly", acting_user=None)


@shared_task
def send_daily_digests() -> dict:
    """Every day at 18:00 (celery beat), for families who chose a daily digest (home.weekly)."""
    from .weekly import do_send_digests

    return do_send_digests("daily", acting_user=None)
