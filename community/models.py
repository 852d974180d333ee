"""What families and staff do together beyond the classroom: committees and working groups, volunteers,
duty rosters with the class quantification, and the class fund ledger. See docs/design/community.md."""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_scopes import ScopedManager

from core.classnames import grade_name

# ==== Committees and working groups (section: committees) ===============================


def school_year_of(term) -> int:
    """The year a school year starts in (2026 for 2026—2027) from one of its terms: the first term
    starts in autumn, the second in the following spring."""
    start = term.start_date
    return start.year if start.month >= 8 else start.year - 1


class Committee(models.Model):
    """A 家委会 of one class, one grade or the whole school for one school year (``year`` is the
    year the school year starts in: 2026 for 2026—2027). Last year's committee stays as it was:
    the history of who served when is the committees of the years and their members' dates."""

    class Level(models.TextChoices):
        CLASS = "class", _("class committee")
        GRADE = "grade", _("grade committee")
        SCHOOL = "school", _("school committee")

    school = models.ForeignKey("schools.School", on_delete=models.CASCADE, related_name="committees")
    level = models.CharField(_("level"), max_length=8, choices=Level.choices)
    school_class = models.ForeignKey(
        "schools.SchoolClass", on_delete=models.CASCADE, null=True, blank=True, related_name="committees"
    )
    grade = models.PositiveSmallIntegerField(_("grade"), null=True, blank=True)
    year = models.PositiveSmallIntegerField(_("school year"))
    carried_from = models.ForeignKey("self", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    objects = ScopedManager(school="school")

    class Meta:
        ordering = ["-year", "level", "grade", "school_class_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["school_class", "year"], condition=Q(level="class"), name="committee_one_per_class_year"
            ),
            models.UniqueConstraint(
                fields=["school", "grade", "year"], condition=Q(level="grade"), name="committee_one_per_grade_year"
            ),
            models.UniqueConstraint(
                fields=["school", "year"], condition=Q(level="school"), name="committee_one_per_school_year"
            ),
            models.CheckConstraint(
                condition=Q(level="class", school_class__isnull=False, grade__isnull=True)
                | Q(level="grade", school_class__isnull=True, grade__isnull=False)
                | Q(level="school", school_class__isnull=True, grade__isnull=True),
                name="committee_level_matches_scope",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.scope_label} {self.year_label}"

    @property
    def year_label(self) -> str:
        return f"{self.year}—{self.year + 1}"

    @property
    def scope_label(self) -> str:
        if self.level == self.Level.CLASS and self.school_class is not None:
            return self.school_class.name
        if self.level == self.Level.GRADE and self.grade:
            return grade_name(self.grade)
        return str(_("the whole school"))


class CommitteeMember(models.Model):
    """One guardian's place on a committee, in one role, from ``joined_on`` to ``left_on``. A change
    of role ends the row and starts another, so the history says who held which role when."""

    class Role(models.TextChoices):
        CHAIR = "chair", _("chair")
        VICE_CHAIR = "vice_chair", _("vice-chair")
        MEMBER = "member", _("committee member")
        TREASURER = "treasurer", _("treasurer")
        PUBLICITY = "publicity", _("publicity")
        OTHER = "other", _("other role")

    school = models.ForeignKey("schools.School", on_delete=models.CASCADE)
    committee = models.ForeignKey(Committee, on_delete=models.CASCADE, related_name="members")
    guardian = models.ForeignKey("schools.Guardian", on_delete=models.CASCADE, related_name="committee_seats")
    role = models.CharField(_("role"), max_length=12, choices=Role.choices, default=Role.MEMBER)
    # The school's own name for the role (e.g. 学习委员); shown instead of the role's when given.
    title = models.CharField(_("the school's name for the role"), max_length=32, blank=True)
    joined_on = models.DateField(_("joined on"))
    left_on = models.DateField(_("left on"), null=True, blank=True)
    added_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    objects = ScopedManager(school="school")

    class Meta:
        ordering = ["joined_on", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["committee", "guardian"], condition=Q(left_on__isnull=True), name="committee_member_once"
            ),
            models.CheckConstraint(
                condition=Q(left_on__isnull=True) | Q(left_on__gte=F("joined_on")), name="committee_member_dates"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.guardian} ({self.role_label})"

    @property
    def role_label(self) -> str:
        return self.title or str(self.get_role_display())

    @property
    def is_current(self) -> bool:
        return self.left_on is None


class CommitteeMessage(models.Model):
    """A family writing to one member of its committee through Tongxin (no phone numbers change
    hands): the sender, the member written to and the managers of the committee read it; the member
    (or a manager) answers once."""

    school = models.ForeignKey("schools.School", on_delete=models.CASCADE)
    committee = models.ForeignKey(Committee, on_delete=models.CASCADE, related_name="messages")
    member = models.ForeignKey(CommitteeMember, on_delete=models.CASCADE, related_name="messages")
    sender = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    text = models.TextField(_("message"), max_length=500)
    reply = models.TextField(_("reply"), max_length=500, blank=True)
    replied_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    replied_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    objects = ScopedManager(school="school")

    class Meta:
        ordering = ["-created_at", "-pk"]


class WorkingGroup(models.Model):
    """A staff working group (工作小组), e.g. 家校共育工作室领导小组 or 家校沟通工作小组: staff and
    guardians with roles. Its meetings are events (the events app) whose audience is the group: the
    group is registered as an audience kind with notices (``community.apps``), so events never
    import community."""

    school = models.ForeignKey("schools.School", on_delete=models.CASCADE, related_name="working_groups")
    name = models.CharField(_("name"), max_length=60)
    purpose = models.TextField(_("what the group does"), max_length=500, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    archived_at = models.DateTimeField(null=True, blank=True)

    objects = ScopedManager(school="school")

    class Meta:
        ordering = ["name", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["school", "name"], condition=Q(archived_at__isnull=True), name="working_group_unique_name"
            )
        ]

    def __str__(self) -> str:
        return self.name


class WorkingGroupMember(models.Model):
    """A member of a working group: a staff member (``user``) or a guardian (``guardian``; a
    guardian who has not signed in yet is reached by SMS like any family)."""

    class Role(models.TextChoices):
        LEADER = "leader", _("group leader")
        DEPUTY = "deputy", _("deputy group leader")
        MEMBER = "member", _("group member")

    school = models.ForeignKey("schools.School", on_delete=models.CASCADE)
    group = models.ForeignKey(WorkingGroup, on_delete=models.CASCADE, related_name="members")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    guardian = models.ForeignKey(
        "schools.Guardian", on_delete=models.CASCADE, null=True, blank=True, related_name="working_group_seats"
    )
    role = models.CharField(_("role"), max_length=8, choices=Role.choices, default=Role.MEMBER)
    joined_on = models.DateField(_("joined on"))
    left_on = models.DateField(_("left on"), null=True, blank=True)
    added_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")

    objects = ScopedManager(school="school")

    class Meta:
        ordering = ["joined_on", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(user__isnull=False, guardian__isnull=True) | Q(user__isnull=True, guardian__isnull=False),
                name="working_group_member_staff_or_guardian",
            ),
            models.UniqueConstraint(
                fields=["group", "user"], condition=Q(left_on__isnull=True), name="working_group_staff_once"
            ),
            models.UniqueConstraint(
                fields=["group", "guardian"], condition=Q(left_on__isnull=True), name="working_group_guardian_once"
            ),
        ]

    @property
    def name(self) -> str:
        if self.guardian_id is not None and self.guardian is not None:
            return self.guardian.name
        return self.user.display_name if self.user is not None else ""


# (end of section: committees)


# ==== Volunteers, activities and recognition (section: volunteers) ======================

# (end of section: volunteers)


# ==== Duty rosters and the class quantification (section: duty) =========================

# (end of section: duty)


# ==== The class fund ledger (section: fund) =============================================


def yuan(fen: int) -> str:
    """Integer fen as yuan for people: 1250 → "12.50", -5 → "-0.05"."""
    sign = "-" if fen < 0 else ""
    fen = abs(fen)
    return f"{sign}{fen // 100}.{fen % 100:02d}"


class ClassFund(models.Model):
    """A class's fund: whom the head teacher named to keep it, when it is not (only) the committee's
    treasurer (财务). Tongxin records the accounts; it never holds or moves money."""

    school = models.ForeignKey("schools.School", on_delete=models.CASCADE)
    school_class = models.OneToOneField("schools.SchoolClass", on_delete=models.CASCADE, related_name="fund")
    keeper = models.ForeignKey(
        "schools.Guardian", on_delete=models.SET_NULL, null=True, blank=True, related_name="funds_kept"
    )
    named_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    named_at = models.DateTimeField(null=True, blank=True)

    objects = ScopedManager(school="school")


class LedgerEntry(models.Model):
    """One line of a class fund's accounts, in fen. Never edited nor deleted: a mistake is put right
    by a reversing entry (``reverses``) of the opposite kind and the same amount. An entry counts in
    the balance once a second committee member, not its author, has countersigned it."""

    class Kind(models.TextChoices):
        INCOME = "income", _("income")
        EXPENSE = "expense", _("expense")

    school = models.ForeignKey("schools.School", on_delete=models.CASCADE)
    school_class = models.ForeignKey("schools.SchoolClass", on_delete=models.CASCADE, related_name="ledger")
    number = models.PositiveIntegerField(_("entry number"))  # 1, 2, 3 … within the class
    kind = models.CharField(_("kind"), max_length=8, choices=Kind.choices)
    amount_fen = models.PositiveIntegerField(_("amount (fen)"))
    occurred_on = models.DateField(_("date"))
    purpose = models.CharField(_("purpose"), max_length=200)
    receipt = models.FileField(_("receipt"), upload_to="community/receipts/%Y/%m/", blank=True)
    receipt_name = models.CharField(max_length=255, blank=True)
    receipt_mime = models.CharField(max_length=100, blank=True)
    reverses = models.OneToOneField("self", on_delete=models.PROTECT, null=True, blank=True, related_name="reversed_by")
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(default=timezone.now)
    countersigned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    countersigned_at = models.DateTimeField(null=True, blank=True)
    # An entry sent back before it counted (wrong amount, wrong class …): kept, never counted.
    declined_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    declined_at = models.DateTimeField(null=True, blank=True)
    decline_reason = models.CharField(max_length=150, blank=True)
    idempotency_key = models.CharField(max_length=64, blank=True)

    objects = ScopedManager(school="school")

    class Meta:
        ordering = ["-number"]
        constraints = [
            models.UniqueConstraint(fields=["school_class", "number"], name="ledger_entry_number_unique"),
            models.UniqueConstraint(
                fields=["recorded_by", "idempotency_key"],
                condition=~Q(idempotency_key=""),
                name="ledger_entry_idempotent",
            ),
            models.CheckConstraint(condition=Q(amount_fen__gt=0), name="ledger_entry_amount_positive"),
            models.CheckConstraint(
                condition=Q(countersigned_by__isnull=True) | ~Q(countersigned_by=F("recorded_by")),
                name="ledger_entry_countersigned_by_another",
            ),
            models.CheckConstraint(
                condition=~Q(kind="expense", reverses__isnull=True, receipt=""),
                name="ledger_expense_has_receipt",
            ),
            models.CheckConstraint(
                condition=Q(countersigned_at__isnull=True) | Q(declined_at__isnull=True),
                name="ledger_entry_signed_or_declined",
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.number} {self.purpose}"

    @property
    def counts(self) -> bool:
        return self.countersigned_at is not None

    @property
    def is_pending(self) -> bool:
        return self.countersigned_at is None and self.declined_at is None

    @property
    def signed_fen(self) -> int:
        return self.amount_fen if self.kind == self.Kind.INCOME else -self.amount_fen

    @property
    def amount(self) -> str:
        return yuan(self.amount_fen)


class EntryQuestion(models.Model):
    """A family's question on a ledger entry, and the keeper's (or the head teacher's) answer. The
    class's families all read them: the accounts are open to the class."""

    school = models.ForeignKey("schools.School", on_delete=models.CASCADE)
    entry = models.ForeignKey(LedgerEntry, on_delete=models.CASCADE, related_name="questions")
    asked_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    text = models.TextField(_("question"), max_length=500)
    answer = models.TextField(_("answer"), max_length=500, blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    answered_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    objects = ScopedManager(school="school")

    class Meta:
        ordering = ["created_at", "pk"]


# (end of section: fund)
