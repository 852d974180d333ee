"""Invitations sent before notices knew the kinds answered elsewhere went out as read receipts, so
opening one marked it done. Those of events still on become ``rsvp`` notices answered at the
invitation's page; a receipt stays acted on only if its family replied (``Rsvp``), with its answer."""

from django.db import migrations
from django.db.models import Exists, OuterRef, Subquery


def forwards(apps, schema_editor):
    Notice = apps.get_model("notices", "Notice")
    Receipt = apps.get_model("notices", "Receipt")
    StudentReceipt = apps.get_model("notices", "StudentReceipt")
    Event = apps.get_model("events", "Event")
    Rsvp = apps.get_model("events", "Rsvp")
    invited = Event._base_manager.filter(notice__isnull=False).exclude(status="cancelled")
    for event_id, notice_id in invited.values_list("pk", "notice_id"):
        Notice._base_manager.filter(pk=notice_id).update(action="rsvp", respond_path=f"/events/{event_id}/invitation/")
    notice_ids = invited.values("notice_id")
    receipts = Receipt._base_manager.filter(notice_id__in=notice_ids)
    rsvp = Rsvp._base_manager.filter(receipt=OuterRef("pk"))
    receipts.exclude(Exists(rsvp)).update(acted_at=None, acted_via="", answer="")
    receipts.filter(Exists(rsvp)).update(
        acted_at=Subquery(rsvp.values("answered_at")[:1]), answer=Subquery(rsvp.values("answer")[:1])
    )
    acted = Receipt._base_manager.filter(
        notice_id=OuterRef("notice_id"),
        acted_at__isnull=False,
        guardian__student_links__student_id=OuterRef("student_id"),
    )
    StudentReceipt._base_manager.filter(notice_id__in=notice_ids, done_at__isnull=False).exclude(Exists(acted)).update(
        done_at=None
    )


class Migration(migrations.Migration):
    dependencies = [("events", "0001_initial"), ("notices", "0003_answered_elsewhere")]
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
