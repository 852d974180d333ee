"""The school's structure: terms, classes, staff and their roles, students and guardians.

Every model here belongs to one school and is read through a scoped manager: a query made
outside ``django_scopes.scope(school=…)`` raises ``ScopeError`` instead of quietly returning
every school's rows (docs/architecture.md, "Tenancy"; in depth docs/design/platform.md).
"""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_scopes import ScopedManager

from core.classnames import class_aliases, format_class_name, grade_name


class District(models.Model):
    """A district (教育局) or a school group (集团校): schools grouped under district admins, who see
    the schools' aggregates and send district-wide notices, and never a child's or a family's
    record. It sits above its schools, so it is read without a school scope; its admins reach it
    only through ``schools.access.access_district`` (docs/design/schools.md, "Districts")."""

    class Kind(models.TextChoices):
        BUREAU = "bureau", _("education bureau")
        GROUP = "group", _("school group")

    name = models.CharField(_("district name"), max_length=100)
    code = models.SlugField(_("district code"), max_length=32, unique=True)
    kind = models.CharField(_("kind"), max_length=8, choices=Kind.choices, default=Kind.BUREAU)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("district")

    def __str__(self) -> str:
        return self.name


class DistrictAdmin(models.Model):
    """A user who administers a district. Not a staff member of its schools (unless separately so):
    being a district admin gives no role in any school (``schools.roles`` never reads this table)."""

    district = models.ForeignKey(District, on_delete=models.CASCADE, related_name="admins")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="district_admins")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["district", "user"], name="district_admin_unique_user")]


class School(models.Model):
    name = models.CharField(_("school name"), max_length=100)
    code = models.SlugField(_("school code"), max_length=32, unique=True)
    # Most primary schools have six grades; some (五四制) have five.
    grade_count = models.PositiveSmallIntegerField(_("number of grades"), default=6)
    # Admins must sign in with a code from an authenticator app as well as their password.
    require_two_factor = models.BooleanField(_("admins must use two-factor sign-in"), default=False)
    # The district (教育局 / 集团校) the school belongs to, if any: its admins see the school's
    # aggregates and send it district-wide notices.
    district = models.ForeignKey(
        District, on_delete=models.SET_NULL, null=True, blank=True, related_name="schools", verbose_name=_("district")
    )
    created_at = models.DateTimeField(default=timezone.now)

    objects = ScopedManager(school="pk")

    class Meta:
        verbose_name = _("school")
        constraints = [
            models.CheckConstraint(condition=Q(grade_count__gte=1, grade_count__lte=9), name="school_grade_count_range")
        ]

    def __str__(self) -> str:
        return self.name


class Term(models.Model):
    """学期, e.g. 2026—2027学年第一学期. Exactly one term of a school is current."""

    school = models.ForeignKey(School, on_delete=models.CASCADE, related_name="terms")
    name = models.CharField(_("term name"), max_length=64)
    start_date = models.DateField(_("first day"))
    end_date = models.DateField(_("last day"))
    is_current = models.BooleanField(_("current term"), default=False)

    objects = ScopedManager(school="school")

    class Meta:
        ordering = ["-start_date"]
        constraints = [
            models.UniqueConstraint(fields=["school", "name"], name="term_unique_name"),
            models.UniqueConstraint(fields=["school"], condition=Q(is_current=True), name="term_one_current"),
            models.CheckConstraint(condition=Q(end_date__gt=F("start_date")), name="term_ends_after_start"),
        ]

    def __str__(self) -> str:
        return self.name


class SchoolClass(models.Model):
    """One class of students, followed from entry to graduation: when the school moves to a new
    year the class goes up a grade, and its name in each term is kept on ``Enrollment``."""

    school = models.ForeignKey(School, on_delete=models.CASCADE, related_name="classes")
    grade = models.PositiveSmallIntegerField(_("grade"))
    number = models.PositiveSmallIntegerField(_("class number"))
    graduated_at = models.DateField(_("graduated on"), null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    objects = ScopedManager(school="school")

    class Meta:
        ordering = ["grade", "number"]
        verbose_name = _("class")
        verbose_name_plural = _("classes")
        constraints = [
            models.UniqueConstraint(
                fields=["school", "grade", "number"],
                condition=Q(graduated_at__isnull=True),
                name="class_unique_active_grade_number",
            ),
            models.CheckConstraint(condition=Q(grade__gte=1, grade__lte=9), name="class_grade_range"),
            models.CheckConstraint(condition=Q(number__gte=1, number__lte=99), name="class_number_range"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        return format_class_name(self.grade, self.number)

    @property
    def grade_name(self) -> str:
        return grade_name(self.grade)

    @property
    def aliases(self) -> list[str]:
        return class_aliases(self.grade, self.number)


class StaffMember(models.Model):
    """A user's place on a school's staff. Roles in classes are per term, on StaffAssignment."""

    school = models.ForeignKey(School, on_delete=models.CASCADE, related_name="staff")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="staff_memberships")
    is_school_admin = models.BooleanField(_("school admin"), default=False)
    title = models.CharField(_("title"), max_length=64, blank=True, help_text=_("e.g. 德育主任, 心理教师"))
    # Designated staff who may see students of concern across the school (心理教师, 德育主任).
    is_care_staff = models.BooleanField(_("designated care staff"), default=False)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(default=timezone.now)

    objects = ScopedManager(school="school")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["school", "user"], name="staff_unique_user")]

    def __str__(self) -> str:
        return str(self.user)


class StaffAssignment(models.Model):
    class Role(models.TextChoices):
        HEAD_TEACHER = "head", _("head teacher")
        SUBJECT_TEACHER = "subject", _("subject teacher")

    school = models.ForeignKey(School, on_delete=models.CASCADE)
    term = models.ForeignKey(Term, on_delete=models.CASCADE, related_name="assignments")
    staff = models.ForeignKey(StaffMember, on_delete=models.CASCADE, related_name="assignments")
    school_class = models.ForeignKey(SchoolClass, on_delete=models.CASCADE, related_name="assignments")
    role = models.CharField(_("role"), max_length=16, choices=Role.choices)
    subject = models.CharField(_("subject"), max_length=32, blank=True)

    objects = ScopedManager(school="school")

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["term", "school_class"], condition=Q(role="head"), name="assignment_one_head_teacher"
            ),
            models.UniqueConstraint(
                fields=["term", "staff", "school_class", "role", "subject"], name="assignment_unique"
            ),
            models.CheckConstraint(
                condition=Q(role="head") | ~Q(subject=""), name="assignment_subject_teacher_has_subject"
            ),
        ]


class Student(models.Model):
    class Status(models.TextChoices):
        ACTIVE = "active", _("at school")
        GRADUATED = "graduated", _("graduated")
        LEFT = "left", _("left the school")

    class Gender(models.TextChoices):
        UNKNOWN = "", _("not given")
        FEMALE = "F", _("girl")
        MALE = "M", _("boy")

    school = models.ForeignKey(School, on_delete=models.CASCADE, related_name="students")
    name = models.CharField(_("student name"), max_length=64)
    # 学号 / 学籍号: kept as text, since rosters carry leading zeros (00123) and letters (G1101…).
    student_number = models.CharField(_("student number"), max_length=32, blank=True)
    gender = models.CharField(_("gender"), max_length=1, choices=Gender.choices, blank=True)
    school_class = models.ForeignKey(
        SchoolClass, on_delete=models.PROTECT, null=True, blank=True, related_name="students"
    )
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.ACTIVE)
    created_at = models.DateTimeField(default=timezone.now)

    objects = ScopedManager(school="school")

    class Meta:
        ordering = ["student_number", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["school", "student_number"], condition=~Q(student_number=""), name="student_unique_number"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Guardian(models.Model):
    """A parent or other guardian as the school knows them. Siblings share one Guardian row.
    ``user`` is set once the guardian has signed in (activated) with this phone number; one user
    may be the guardian in several schools."""

    school = models.ForeignKey(School, on_delete=models.CASCADE, related_name="guardians")
    name = models.CharField(_("guardian name"), max_length=64)
    phone = models.CharField(_("mobile number"), max_length=11)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="guardianships"
    )
    activated_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    objects = ScopedManager(school="school")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["school", "phone"], name="guardian_unique_phone")]

    def __str__(self) -> str:
        return self.name

    @property
    def is_activated(self) -> bool:
        return self.user_id is not None and self.activated_at is not None


class StudentGuardian(models.Model):
    school = models.ForeignKey(School, on_delete=models.CASCADE)
    student = models.ForeignKey(Student, on_delete=models.CASCADE, related_name="guardian_links")
    guardian = models.ForeignKey(Guardian, on_delete=models.CASCADE, related_name="student_links")
    relationship = models.CharField(_("relationship"), max_length=16, blank=True, help_text=_("父亲, 母亲, 爷爷 …"))

    objects = ScopedManager(school="school")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["student", "guardian"], name="student_guardian_unique")]


class Enrollment(models.Model):
    """Which class a student was in during a term, with the class's name as it was then."""

    school = models.ForeignKey(School, on_delete=models.CASCADE)
    term = models.ForeignKey(Term, on_delete=models.CASCADE, related_name="enrollments")
    student = models.ForeignKey(Student, on_delete=models.CASCADE, related_name="enrollments")
    school_class = models.ForeignKey(SchoolClass, on_delete=models.CASCADE, related_name="enrollments")
    class_name = models.CharField(max_length=32)

    objects = ScopedManager(school="school")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["term", "student"], name="enrollment_one_class_per_term")]


class RosterUpload(models.Model):
    """An uploaded roster between its preview and its commit. The file is kept so that the commit
    applies exactly what was previewed; it is deleted once committed."""

    school = models.ForeignKey(School, on_delete=models.CASCADE)
    school_class = models.ForeignKey(SchoolClass, on_delete=models.CASCADE, null=True, blank=True)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
    filename = models.CharField(max_length=255)
    content = models.BinaryField()
    created_at = models.DateTimeField(default=timezone.now)
    committed_at = models.DateTimeField(null=True, blank=True)
    summary = models.JSONField(default=dict, blank=True)

    objects = ScopedManager(school="school")


class JoinLink(models.Model):
    """A class's join QR code and link for one term; revoking it makes the printed code useless."""

    school = models.ForeignKey(School, on_delete=models.CASCADE)
    school_class = models.ForeignKey(SchoolClass, on_delete=models.CASCADE, related_name="join_links")
    term = models.ForeignKey(Term, on_delete=models.CASCADE)
    token = models.CharField(max_length=64, unique=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True)
    created_at = models.DateTimeField(default=timezone.now)
    revoked_at = models.DateTimeField(null=True, blank=True)

    objects = ScopedManager(school="school")

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["school_class", "term"], condition=Q(revoked_at__isnull=True), name="join_link_one_active"
            )
        ]


class JoinRequest(models.Model):
    """A family's request to join that could not be confirmed from the roster: the head teacher
    approves (choosing the child) or refuses."""

    class Status(models.TextChoices):
        PENDING = "pending", _("waiting for the head teacher")
        APPROVED = "approved", _("approved")
        REFUSED = "refused", _("refused")

    school = models.ForeignKey(School, on_delete=models.CASCADE)
    school_class = models.ForeignKey(SchoolClass, on_delete=models.CASCADE, related_name="join_requests")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="join_requests")
    phone = models.CharField(max_length=11)
    guardian_name = models.CharField(max_length=64)
    relationship = models.CharField(max_length=16, blank=True)
    child_name = models.CharField(max_length=64)
    fact = models.CharField(max_length=32, blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    student = models.ForeignKey(Student, on_delete=models.SET_NULL, null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    objects = ScopedManager(school="school")

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["school_class", "phone", "child_name"],
                condition=Q(status="pending"),
                name="join_request_one_pending",
            )
        ]


class ActivationLink(models.Model):
    """A one-time link for one guardian, sent by SMS or printed as a QR code. Only the token's
    hash is stored; it expires and works once."""

    school = models.ForeignKey(School, on_delete=models.CASCADE)
    guardian = models.ForeignKey(Guardian, on_delete=models.CASCADE, related_name="activation_links")
    token_hash = models.CharField(max_length=64, unique=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    sent_by_sms_at = models.DateTimeField(null=True, blank=True)
    used_at = models.DateTimeField(null=True, blank=True)

    objects = ScopedManager(school="school")

    class Meta:
        indexes = [models.Index(fields=["guardian", "-created_at"])]


class RetentionPeriod(models.Model):
    """How long the school keeps one kind of record about families (PIPL: no longer than needed),
    set by its admins on 学校设置 → 数据保留; a kind without a row keeps ``DEFAULT_DAYS``. The purge
    itself (``home.retention``) runs daily. The audit log and the contact book are the school's legal
    records and have no period: they are never purged."""

    class Kind(models.TextChoices):
        CHAT_MESSAGES = "chat_messages", _("Chat messages")
        DELIVERY_LOG = "delivery_log", _("SMS and email delivery log")
        EVENT_SIGN_INS = "event_sign_ins", _("Sign-in records of events")
        NOTICE_RECEIPTS = "notice_receipts", _("Who read and answered closed notices")
        SURVEY_ANSWERS = "survey_answers", _("Answers to closed surveys and forms")

    # Counted from: a chat message's sending, a delivery's queueing, the event's end, the notice's
    # close (expiry, else deadline, else publication), the survey's close.
    DEFAULT_DAYS = {
        Kind.CHAT_MESSAGES: 730,
        Kind.DELIVERY_LOG: 180,
        Kind.EVENT_SIGN_INS: 365,
        Kind.NOTICE_RECEIPTS: 365,
        Kind.SURVEY_ANSWERS: 365,
    }
    MIN_DAYS = 30
    MAX_DAYS = 3650

    school = models.ForeignKey(School, on_delete=models.CASCADE, related_name="retention_periods")
    kind = models.CharField(max_length=32, choices=Kind.choices)
    days = models.PositiveSmallIntegerField()
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    updated_at = models.DateTimeField(default=timezone.now)

    objects = ScopedManager(school="school")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["school", "kind"], name="retention_period_once_per_kind"),
            models.CheckConstraint(condition=Q(days__gte=30, days__lte=3650), name="retention_period_days_range"),
        ]
