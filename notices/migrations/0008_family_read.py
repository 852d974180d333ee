from django.db import migrations, models

# The family's first read on every receipt of the family (a guardian sharing a child with a reader,
# and the reader), as ``notices.actions.mark_family_read`` stamps it from now on. Set-based, one
# statement each (UPDATE … FROM: PostgreSQL, and SQLite since 3.33).
OWN_READS = """
UPDATE notices_receipt SET family_read_at = read_at
WHERE read_at IS NOT NULL AND family_read_at IS NULL
"""
FAMILY_READS = """
UPDATE notices_receipt SET family_read_at = fam.first_read
FROM (
    SELECT r2.notice_id, mine.guardian_id, MIN(r2.read_at) AS first_read
    FROM notices_receipt r2
    JOIN schools_studentguardian theirs ON theirs.guardian_id = r2.guardian_id
    JOIN schools_studentguardian mine ON mine.student_id = theirs.student_id
    WHERE r2.read_at IS NOT NULL
    GROUP BY r2.notice_id, mine.guardian_id
) fam
WHERE notices_receipt.notice_id = fam.notice_id AND notices_receipt.guardian_id = fam.guardian_id
  AND (notices_receipt.family_read_at IS NULL OR fam.first_read < notices_receipt.family_read_at)
"""
# A notice the ladder has already sent to keeps its anti-join (notices.ladder.message_step): the
# time of its first ladder delivery (round 100, notices.ladder.LADDER_ROUND).
LADDER_SMS_AT = """
UPDATE notices_notice SET ladder_sms_at = (
    SELECT MIN(d.created_at) FROM delivery_delivery d
    JOIN notices_receipt r ON r.id = d.receipt_id
    WHERE r.notice_id = notices_notice.id AND d.round = 100
)
WHERE EXISTS (
    SELECT 1 FROM delivery_delivery d JOIN notices_receipt r ON r.id = d.receipt_id
    WHERE r.notice_id = notices_notice.id AND d.round = 100
)
"""


class Migration(migrations.Migration):
    dependencies = [
        ("notices", "0007_notice_kind_notice_themed"),
        ("schools", "0001_initial"),
        ("delivery", "0007_digest_sent"),
    ]

    operations = [
        migrations.AddField(
            model_name="notice",
            name="ladder_sms_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="receipt",
            name="family_read_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="receipt",
            name="left_family_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.RunSQL(OWN_READS, migrations.RunSQL.noop),
        migrations.RunSQL(FAMILY_READS, migrations.RunSQL.noop),
        migrations.RunSQL(LADDER_SMS_AT, migrations.RunSQL.noop),
    ]
