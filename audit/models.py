"""The audit log: who did what, to what, when and from where. Append-only by construction:
the model refuses updates and deletes, and on PostgreSQL a trigger refuses them too."""

from typing import Literal

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from django_scopes import ScopedManager

# How someone signed in: accounts.actions.do_sign_in records one of these as a sign-in's summary,
# and the log page shows it in the reader's language (AuditEntry.shown_summary).
SignInMethod = Literal["password", "sms code", "join link", "activation link"]
SIGN_IN_METHODS: dict[str, Promise] = {
    "password": _("by password"),
    "sms code": _("by SMS code"),
    "join link": _("by the class join link"),
    "activation link": _("by an activation link"),
}


class AuditEntry(models.Model):
    class Action(models.TextChoices):
        SIGN_IN = "sign_in", _("signed in")
        SIGN_IN_FAILED = "sign_in_failed", _("sign-in failed")
        SIGN_OUT = "sign_out", _("signed out")
        SMS_CODE_SENT = "sms_code_sent", _("sign-in code sent")
        ROLE_CHANGED = "role_changed", _("role changed")
        STAFF_ADDED = "staff_added", _("staff member added")
        TERM_CHANGED = "term_changed", _("term changed")
        CLASS_CHANGED = "class_changed", _("class changed")
        STUDENT_CHANGED = "student_changed", _("student changed")
        YEAR_PROMOTED = "year_promoted", _("moved to a new school year")
        ACCESS_RESET = "access_reset", _("guardian access reset")
        TOKEN_CREATED = "token_created", _("API token created")
        TOKEN_REVOKED = "token_revoked", _("API token revoked")
        IMPORT = "import", _("import")
        EXPORT = "export", _("export")
        SENSITIVE_VIEW = "sensitive_view", _("sensitive record viewed")
        FAMILY_JOINED = "family_joined", _("family joined")
        JOIN_DECIDED = "join_decided", _("join request decided")
        JOIN_LINK_CHANGED = "join_link", _("join link changed")
        ACTIVATION_SENT = "activation_sent", _("activation links sent")
        GUARDIAN_CHANGED = "guardian_changed", _("guardian details changed")
        GUARDRAIL_OVERRIDE = "guardrail_override", _("sent despite a guardrail warning")
        NOTICE_RECALLED = "notice_recalled", _("notice recalled")
        NOTICE_REMINDED = "notice_reminded", _("families reminded")
        NOTICE_URGENT = "notice_urgent", _("urgent notice sent")
        CALL_RECORDED = "call_recorded", _("call to a family recorded")
        CHAT_REMOVED = "chat_removed", _("chat message removed")
        CHAT_MUTED = "chat_muted", _("chat member muted or unmuted")
        CHAT_THEME = "chat_theme", _("themed discussion marked in a class group")
        SETTINGS_CHANGED = "settings_changed", _("settings changed")
        CONSENT_CHANGED = "consent_changed", _("consent given or withdrawn")
        FAMILY_ERASED = "family_erased", _("family's personal data erased")
        RETENTION_PURGED = "retention_purged", _("records past the retention period purged")
        TWO_FACTOR_ON = "two_factor_on", _("two-factor sign-in turned on")
        TWO_FACTOR_OFF = "two_factor_off", _("two-factor sign-in turned off")
        DISTRICT_NOTICE_SENT = "district_notice", _("district notice received")
        COMMITTEE_CHANGED = "committee_changed", _("parent committee or working group changed")
        VOLUNTEER = "volunteer", _("volunteer offer changed")
        VOLUNTEER_ACTIVITY = "volunteer_activity", _("volunteer activity published or changed")
        VOLUNTEER_SIGNUP = "volunteer_signup", _("volunteer place taken or given up")
        VOLUNTEER_CHECKIN = "volunteer_checkin", _("volunteer checked in")
        DUTY_CREATED = "duty_roster", _("duty roster created")
        DUTY_PUBLISHED = "duty_published", _("duty roster published")
        DUTY_CHANGED = "duty_changed", _("duty roster changed")
        DUTY_SWAP = "duty_swap", _("duty shift swapped")
        DUTY_ATTENDANCE = "duty_attendance", _("duty attendance recorded")
        QUANT_CHANGED = "quant_changed", _("class quantification changed")
        FUND_CHANGED = "fund_changed", _("class fund ledger changed")
        COMMENDED = "commended", _("commended")
        TERM_PLAN = "term_plan", _("term plan changed")
        PLAN_TASK = "plan_task", _("plan task changed")
        SUMMARY_DRAFTED = "summary_drafted", _("yearly summary drafted")
        SUMMARY_EDITED = "summary_edited", _("yearly summary section edited")
        SUMMARY_ISSUED = "summary_issued", _("yearly summary issued")
        ARCHIVE_EXPORTED = "archive_exported", _("class archive downloaded")
        RHYTHM_RULES = "rhythm_rules", _("class rhythm rules changed")
        FEEDBACK_SUBMITTED = "feedback.submit", _("suggestion submitted")
        FEEDBACK_ACKNOWLEDGED = "feedback.acknowledge", _("suggestion acknowledged")
        FEEDBACK_REPLIED = "feedback.reply", _("suggestion answered")
        FEEDBACK_DECIDED = "feedback.decide", _("decision on a suggestion recorded")
        RECTIFICATION_OPENED = "feedback.rectification_open", _("rectification opened")
        RECTIFICATION_CLOSED = "feedback.rectification_close", _("rectification closed")
        FEEDBACK_CLOSED = "feedback.close", _("suggestion closed")
        FEEDBACK_PUBLISHED = "feedback.publish", _("suggestion answered publicly")
        FEEDBACK_ROUTE = "feedback.route", _("suggestion routing changed")
        ARTICLE_SAVED = "publishing.article_save", _("article written or changed")
        ARTICLE_SUBMITTED = "publishing.article_submit", _("article sent for review")
        ARTICLE_PUBLISHED = "publishing.article_publish", _("article published")
        ARTICLE_RETURNED = "publishing.article_return", _("article returned for changes")
        ARTICLE_WITHDRAWN = "publishing.article_withdraw", _("article withdrawn")
        COMMENT_HIDDEN = "publishing.comment_hide", _("comment on an article hidden")
        WRITER_INVITED = "publishing.invite", _("parent invited to write")
        EDITORS_CHANGED = "publishing.editors", _("column editors changed")
        NOTICE_MADE_PUBLIC = "publishing.public_notice", _("notice shown on the public page")
        ISSUE_SAVED = "publishing.issue_save", _("newspaper issue changed")
        ISSUE_SENT = "publishing.issue_send", _("newspaper issue sent")
        CONTEST_CREATED = "contest.create", _("essay contest opened")
        CONTEST_JUDGE_ADDED = "contest.judge", _("essay contest judge added")
        CONTEST_ENTRY_SUBMITTED = "contest.entry", _("essay contest entry submitted")
        CONTEST_ASSIGNED = "contest.assign", _("essay contest entries given to judges")
        CONTEST_SCORED = "contest.score", _("essay contest entry scored")
        CONTEST_ANNOUNCED = "contest.announce", _("essay contest results announced")
        CONTEST_CONSENT = "contest.consent", _("consent to publish a contest entry changed")
        CONTEST_PUBLISHED = "contest.publish", _("contest entry marked published")
        PUSH_SUBSCRIBED = "push_subscribed", _("notifications turned on on a phone")
        PUSH_UNSUBSCRIBED = "push_unsubscribed", _("notifications turned off on a phone")

    # Sign-ins are not about one school, so school may be empty; school admins see their school's.
    school = models.ForeignKey("schools.School", on_delete=models.PROTECT, null=True, blank=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True)
    action = models.CharField(max_length=32, choices=Action.choices)
    target_type = models.CharField(max_length=32, blank=True)
    target_id = models.CharField(max_length=64, blank=True)
    summary = models.CharField(max_length=255, blank=True)
    detail = models.JSONField(default=dict, blank=True)
    ip = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=255, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    objects = ScopedManager(school="school")

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["school", "-created_at"])]

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise RuntimeError("audit entries are append-only")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise RuntimeError("audit entries are append-only")

    @property
    def shown_summary(self) -> str:
        """The summary as the log page shows it: a sign-in says how, in the reader's language
        (the stored summary stays the method's name, so rows written before read the same)."""
        if self.action == self.Action.SIGN_IN and self.summary in SIGN_IN_METHODS:
            return str(SIGN_IN_METHODS[self.summary])
        return self.summary
