"""Surveys sent before notices knew the kinds answered elsewhere went out as read receipts, so
opening one marked it done. Their notices become ``survey`` / ``form`` notices answered at the
survey's page, and a receipt stays acted on only if its family answered (``Participation``)."""

from django.db import migrations
from django.db.models import Exists, OuterRef


def forwards(apps, schema_editor):
    Notice = apps.get_model("notices", "Notice")
    Receipt = apps.get_model("notices", "Receipt")
    StudentReceipt = apps.get_model("notices", "StudentReceipt")
    Survey = apps.get_model("surveys", "Survey")
    Participation = apps.get_model("surveys", "Participation")
    sent = Survey._base_manager.filter(notice__isnull=False)
    for survey_id, notice_id, kind in sent.values_list("pk", "notice_id", "kind"):
        Notice._base_manager.filter(pk=notice_id).update(
            action="form" if kind == "form" else "survey", respond_path=f"/surveys/{survey_id}/"
        )
    notice_ids = sent.values("notice_id")
    Receipt._base_manager.filter(notice_id__in=notice_ids).exclude(
        Exists(Participation._base_manager.filter(receipt=OuterRef("pk")))
    ).update(acted_at=None, acted_via="")
    _undo_rollups(Receipt, StudentReceipt, notice_ids)


def _undo_rollups(Receipt, StudentReceipt, notice_ids):
    """A child is done only if a guardian's receipt of the notice is still acted on."""
    acted = Receipt._base_manager.filter(
        notice_id=OuterRef("notice_id"),
        acted_at__isnull=False,
        guardian__student_links__student_id=OuterRef("student_id"),
    )
    StudentReceipt._base_manager.filter(notice_id__in=notice_ids, done_at__isnull=False).exclude(Exists(acted)).update(
        done_at=None
    )


class Migration(migrations.Migration):
    dependencies = [("surveys", "0001_initial"), ("notices", "0003_answered_elsewhere")]
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
