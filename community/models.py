"""What families and staff do together beyond the classroom: committees and working groups, volunteers,
duty rosters with the class quantification, and the class fund ledger. See docs/design/community.md."""

import secrets

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


def new_volunteer_secret() -> str:
    return secrets.token_hex(16)


class Volunteer(models.Model):
    """A guardian who offered to help: their skills and when they can. One row per guardian (a guardian
    is per school); leaving keeps the row (the archive stays) and only clears ``active``."""

    school = models.ForeignKey("schools.School", on_delete=models.CASCADE, related_name="+")
    guardian = models.OneToOneField("schools.Guardian", on_delete=models.CASCADE, related_name="volunteer")
    skills = models.CharField(_("skills"), max_length=200, blank=True)
    availability = models.CharField(_("when you can help"), max_length=200, blank=True)
    active = models.BooleanField(default=True)
    joined_at = models.DateTimeField(default=timezone.now)

    objects = ScopedManager(school="school")

    def __str__(self) -> str:
        return self.guardian.name


class VolunteerActivity(models.Model):
    """An activity needing helpers, published by staff for one class (``school_class``) or the whole
    school (none). Its slots carry the numbers; check-in codes derive from ``checkin_secret``."""

    class Kind(models.TextChoices):
        SPORTS_MEET = "sports_meet", _("sports meet (运动会)")
        SPRING_OUTING = "spring_outing", _("spring outing (踏青)")
        CHILDRENS_DAY = "childrens_day", _("Children's Day (六一)")
        CLASS_OUTING = "class_outing", _("class outing")
        OTHER = "other", _("other activity")

    school = models.ForeignKey("schools.School", on_delete=models.CASCADE, related_name="+")
    school_class = models.ForeignKey(
        "schools.SchoolClass", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    kind = models.CharField(_("kind of activity"), max_length=16, choices=Kind.choices, default=Kind.CLASS_OUTING)
    title = models.CharField(_("activity title"), max_length=120)
    description = models.TextField(_("what helpers do"), blank=True)
    place = models.CharField(_("place"), max_length=200)
    withdraw_until = models.DateTimeField(_("families may withdraw until"))
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    # The call for helpers as a notice to the class (or the school): the feed shows it, and the
    # day-before reminder reaches the families signed up through their receipts of it.
    notice = models.OneToOneField(
        "notices.Notice", on_delete=models.SET_NULL, null=True, blank=True, related_name="volunteer_activity"
    )
    checkin_secret = models.CharField(max_length=32, default=new_volunteer_secret, editable=False)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    objects = ScopedManager(school="school")

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.title


class VolunteerSlot(models.Model):
    """One shift of an activity (检录 8:00–10:00) and how many helpers it needs. ``taken`` counts the
    sign-ups: a place is claimed by one conditional UPDATE (``taken < needed``), so two families
    asking for the last place at once cannot both have it; the check constraint is the last guard."""

    school = models.ForeignKey("schools.School", on_delete=models.CASCADE, related_name="+")
    activity = models.ForeignKey(VolunteerActivity, on_delete=models.CASCADE, related_name="slots")
    label = models.CharField(_("task"), max_length=60)
    starts_at = models.DateTimeField(_("starts"))
    ends_at = models.DateTimeField(_("ends"))
    needed = models.PositiveSmallIntegerField(_("helpers needed"))
    taken = models.PositiveSmallIntegerField(default=0)
    reminded_at = models.DateTimeField(null=True, blank=True)

    objects = ScopedManager(school="school")

    class Meta:
        ordering = ["starts_at", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(ends_at__gt=F("starts_at")), name="volunteer_slot_ends_after_start"),
            models.CheckConstraint(condition=Q(needed__gte=1), name="volunteer_slot_needs_someone"),
            models.CheckConstraint(condition=Q(taken__lte=F("needed")), name="volunteer_slot_within_capacity"),
        ]

    @property
    def minutes(self) -> int:
        return int((self.ends_at - self.starts_at).total_seconds() // 60)

    @property
    def free(self) -> int:
        return max(self.needed - self.taken, 0)


class VolunteerSignup(models.Model):
    """A volunteer's place on a slot. Checked in on the day by code; the slot's length is then the
    hours served (``minutes``)."""

    school = models.ForeignKey("schools.School", on_delete=models.CASCADE, related_name="+")
    slot = models.ForeignKey(VolunteerSlot, on_delete=models.CASCADE, related_name="signups")
    volunteer = models.ForeignKey(Volunteer, on_delete=models.CASCADE, related_name="signups")
    created_at = models.DateTimeField(default=timezone.now)
    checked_in_at = models.DateTimeField(null=True, blank=True)
    checked_in_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    minutes = models.PositiveIntegerField(default=0)

    objects = ScopedManager(school="school")

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [models.UniqueConstraint(fields=["slot", "volunteer"], name="volunteer_signup_once_per_slot")]


# (end of section: volunteers)


# ==== Duty rosters and the class quantification (section: duty) =========================


class DutyRoster(models.Model):
    """A duty roster (护学岗, 家长轮值) of a class, or of the whole school when ``school_class`` is
    empty: its shifts, the families taking part, and, once published, the notice that told them."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("draft")
        PUBLISHED = "published", _("published")

    school = models.ForeignKey("schools.School", on_delete=models.CASCADE)
    term = models.ForeignKey("schools.Term", on_delete=models.CASCADE)
    school_class = models.ForeignKey("schools.SchoolClass", on_delete=models.CASCADE, null=True, blank=True)
    title = models.CharField(_("title"), max_length=120)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.DRAFT)
    notice = models.ForeignKey("notices.Notice", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    # The secret of the on-site check-in codes (``duty_day_code``): one per roster, never shown.
    checkin_secret = models.CharField(max_length=64)
    # The last proposal's gaps and clashes, as the head teacher reads them on the roster page.
    report = models.JSONField(default=dict, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    published_at = models.DateTimeField(null=True, blank=True)

    objects = ScopedManager(school="school")

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.title


class DutyShift(models.Model):
    """One shift: a day, a time, a place and how many families it needs."""

    school = models.ForeignKey("schools.School", on_delete=models.CASCADE)
    roster = models.ForeignKey(DutyRoster, on_delete=models.CASCADE, related_name="shifts")
    date = models.DateField(_("date"))
    starts_at = models.TimeField(_("from"))
    ends_at = models.TimeField(_("until"))
    place = models.CharField(_("place"), max_length=100)
    families_needed = models.PositiveSmallIntegerField(_("families needed"), default=1)
    reminded_at = models.DateTimeField(null=True, blank=True)

    objects = ScopedManager(school="school")

    class Meta:
        ordering = ["date", "starts_at", "id"]
        indexes = [models.Index(fields=["roster", "date"])]
        constraints = [
            models.CheckConstraint(condition=Q(ends_at__gt=F("starts_at")), name="duty_shift_ends_after_start"),
            models.CheckConstraint(
                condition=Q(families_needed__gte=1, families_needed__lte=50), name="duty_shift_families_needed"
            ),
            models.UniqueConstraint(fields=["roster", "date", "starts_at", "place"], name="duty_shift_unique"),
        ]


class DutyFamily(models.Model):
    """A family taking part in a roster: the guardians of one student, and of that student's
    brothers and sisters (students who share a guardian are one family, counted once)."""

    school = models.ForeignKey("schools.School", on_delete=models.CASCADE)
    roster = models.ForeignKey(DutyRoster, on_delete=models.CASCADE, related_name="families")
    # The family's first child in the roster (the lowest id): the family's key in this roster.
    student = models.ForeignKey("schools.Student", on_delete=models.CASCADE, related_name="+")
    student_ids = models.JSONField(default=list)  # every child of the family in the roster
    label = models.CharField(max_length=120)  # the children's names: 刘小明, 王一、王二
    guardians = models.ManyToManyField("schools.Guardian", through="DutyFamilyGuardian", related_name="+")

    objects = ScopedManager(school="school")

    class Meta:
        ordering = ["label", "id"]
        constraints = [models.UniqueConstraint(fields=["roster", "student"], name="duty_family_unique")]

    def __str__(self) -> str:
        return self.label


class DutyFamilyGuardian(models.Model):
    school = models.ForeignKey("schools.School", on_delete=models.CASCADE)
    family = models.ForeignKey(DutyFamily, on_delete=models.CASCADE, related_name="members")
    guardian = models.ForeignKey("schools.Guardian", on_delete=models.CASCADE, related_name="+")

    objects = ScopedManager(school="school")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["family", "guardian"], name="duty_family_guardian_unique")]


class DutyUnavailable(models.Model):
    """A date a family cannot do."""

    school = models.ForeignKey("schools.School", on_delete=models.CASCADE)
    family = models.ForeignKey(DutyFamily, on_delete=models.CASCADE, related_name="unavailable")
    date = models.DateField()

    objects = ScopedManager(school="school")

    class Meta:
        ordering = ["date"]
        constraints = [models.UniqueConstraint(fields=["family", "date"], name="duty_unavailable_unique")]


class DutyAssignment(models.Model):
    """A family on a shift, and what happened: checked in on site, or not there."""

    class Status(models.TextChoices):
        ASSIGNED = "assigned", _("on duty")
        ASKED = "asked", _("asked to stand in")
        DECLINED = "declined", _("could not stand in")
        DONE = "done", _("done")
        NO_SHOW = "no_show", _("did not come")

    school = models.ForeignKey("schools.School", on_delete=models.CASCADE)
    shift = models.ForeignKey(DutyShift, on_delete=models.CASCADE, related_name="assignments")
    family = models.ForeignKey(DutyFamily, on_delete=models.CASCADE, related_name="assignments")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.ASSIGNED)
    is_standby = models.BooleanField(default=False)
    checked_in_at = models.DateTimeField(null=True, blank=True)
    on_time = models.BooleanField(null=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    objects = ScopedManager(school="school")

    class Meta:
        ordering = ["shift__date", "shift__starts_at", "id"]
        constraints = [models.UniqueConstraint(fields=["shift", "family"], name="duty_assignment_unique")]


class DutySwap(models.Model):
    """A family asks another family of the roster to take its shift (and, if named, gives its own
    in return); the other family accepts or declines; the head teacher sees every swap."""

    class Status(models.TextChoices):
        PENDING = "pending", _("waiting for the other family")
        ACCEPTED = "accepted", _("accepted")
        DECLINED = "declined", _("declined")

    school = models.ForeignKey("schools.School", on_delete=models.CASCADE)
    roster = models.ForeignKey(DutyRoster, on_delete=models.CASCADE, related_name="swaps")
    assignment = models.ForeignKey(DutyAssignment, on_delete=models.CASCADE, related_name="+")
    from_family = models.ForeignKey(DutyFamily, on_delete=models.CASCADE, related_name="+")
    to_family = models.ForeignKey(DutyFamily, on_delete=models.CASCADE, related_name="+")
    # The other family's shift given in return (a swap); empty: the other family only stands in.
    in_return = models.ForeignKey(DutyAssignment, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    decided_at = models.DateTimeField(null=True, blank=True)

    objects = ScopedManager(school="school")

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["assignment"], condition=Q(status="pending"), name="duty_swap_one_pending"),
        ]


class QuantCategory(models.Model):
    """A category of the class quantification (量化) and its points, as the school sets them. Two
    kinds are fed by duty records: a shift done on time, and a no-show."""

    class Kind(models.TextChoices):
        DUTY_DONE = "duty_done", _("duty shift done on time")
        DUTY_NO_SHOW = "duty_no_show", _("duty shift missed")
        OTHER = "other", _("other")

    school = models.ForeignKey("schools.School", on_delete=models.CASCADE)
    name = models.CharField(_("category"), max_length=64)
    kind = models.CharField(max_length=16, choices=Kind.choices, default=Kind.OTHER)
    points = models.SmallIntegerField(_("points"))
    is_active = models.BooleanField(default=True)

    objects = ScopedManager(school="school")

    class Meta:
        ordering = ["kind", "name"]
        constraints = [
            models.UniqueConstraint(fields=["school", "name"], name="quant_category_unique_name"),
            models.UniqueConstraint(fields=["school", "kind"], condition=~Q(kind="other"), name="quant_one_duty_kind"),
            models.CheckConstraint(condition=Q(points__gte=-100, points__lte=100), name="quant_points_range"),
        ]

    def __str__(self) -> str:
        return self.name


class QuantItem(models.Model):
    """One entry of a class's quantification for a term: from a duty record (``assignment``) or
    added by staff with a reason. Never names a child or a family."""

    school = models.ForeignKey("schools.School", on_delete=models.CASCADE)
    term = models.ForeignKey("schools.Term", on_delete=models.CASCADE)
    school_class = models.ForeignKey("schools.SchoolClass", on_delete=models.CASCADE, related_name="+")
    category = models.ForeignKey(QuantCategory, on_delete=models.PROTECT, related_name="items")
    points = models.SmallIntegerField()
    reason = models.CharField(max_length=200)
    occurred_on = models.DateField()
    assignment = models.OneToOneField(
        DutyAssignment, on_delete=models.SET_NULL, null=True, blank=True, related_name="quant_item"
    )
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    objects = ScopedManager(school="school")

    class Meta:
        ordering = ["-occurred_on", "-id"]
        indexes = [models.Index(fields=["term", "school_class"])]


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
