"""The audience of everything that goes out as a notice (notices, surveys, events), in one place.

- choosing it: the classes, students and grades a sender may pick from, and the class a teacher of
  one class starts with (``audience_choices``; ``notices.forms.AudienceForm`` draws it), the parts a
  form names (``target_specs``), and the check of those parts against what the sender may
  address (``resolve_audience``), which gives the rows a notice stores (``NoticeTarget``);
- reading it back: the one translation of those rows into people, used by the fan-out
  (``audience_students``, ``audience_staff_users``) and by the guardrails (``audience_class_ids``),
  and into parts again for a follow-up notice to the same people (``specs_of``).

Whole school, grade, class and chosen students reach families; all staff and a class's teachers
reach staff. A higher app may define an audience of its own (community's working groups) and
register it here (``register_audience_kind``, from its ``AppConfig.ready``): it is stored as a
``NoticeTarget`` of that kind with a ``ref_id`` and read back through the callables it gave, so
notices and events never import the app that defines it."""

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet
from django.utils.functional import Promise
from django.utils.translation import gettext as _

from schools.models import School, SchoolClass, StaffAssignment, StaffMember, Student
from schools.roles import Roles

from .models import NoticeTarget

FAMILY_KINDS = frozenset(
    {NoticeTarget.Kind.SCHOOL, NoticeTarget.Kind.GRADE, NoticeTarget.Kind.CLASS, NoticeTarget.Kind.STUDENT}
)
STAFF_KINDS = frozenset({NoticeTarget.Kind.STAFF, NoticeTarget.Kind.CLASS_TEACHERS})


@dataclass
class TargetSpec:
    """One part of an audience as a sender names it (a form, the API), before it is checked."""

    kind: str
    grade: int | None = None
    class_id: int | None = None
    student_id: int | None = None
    ref_id: int | None = None  # the group of a registered audience kind


@dataclass(frozen=True)
class AudienceKind:
    """An audience another app defines. ``choices(roles, school)``: the (id, label) pairs this
    sender may address; ``guardians(school_id, ref_id)`` and ``staff_users(school_id, ref_id)``:
    one-column querysets of the guardian ids and the staff user ids it reaches."""

    name: str  # stored in NoticeTarget.kind: at most 16 characters, none of NoticeTarget.Kind's
    label: str | Promise  # what the form calls these groups (lazy: translated when shown)
    choices: Callable[[Roles, School], list[tuple[int, str]]]
    guardians: Callable[[int, int], QuerySet]
    staff_users: Callable[[int, int], QuerySet]


AUDIENCE_KINDS: dict[str, AudienceKind] = {}


def register_audience_kind(kind: AudienceKind) -> None:
    """Called from the defining app's ``AppConfig.ready()``; registering the same name again
    replaces it (Django may call ready twice in tests)."""
    if len(kind.name) > 16 or kind.name in NoticeTarget.Kind.values or ":" in kind.name:
        raise ValueError(f"audience kind name not allowed: {kind.name!r}")
    AUDIENCE_KINDS[kind.name] = kind


# --- choosing -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class StudentChoice:
    """A student as the chooser lists them: the name, and the class it is in (shown beside the
    name, matched by the list's filter, and checked against the classes chosen as well)."""

    name: str
    class_id: int
    class_name: str

    def __str__(self) -> str:
        return f"{self.class_name} {self.name}"


def audience_choices(request, school, *, groups: bool = False) -> dict:
    """What the sender may address: their taught classes and those classes' students; admins also
    grades, the whole school and all staff (``is_admin``). A teacher of one class finds it chosen
    already (``chosen_classes``): that is whom she writes to nearly always. A teacher of several
    classes and an admin start with nothing chosen. Two queries, whatever the size. With ``groups``,
    also the registered groups the sender may address (``group_choices``, values "kind:id")."""
    roles = request.roles
    is_admin = roles.is_admin_of(school.pk)
    classes = SchoolClass.objects.filter(school=school, graduated_at__isnull=True)
    if not is_admin:
        classes = classes.filter(pk__in=roles.taught_class_ids)
    by_id = {c.pk: c for c in classes}
    students = Student.objects.filter(school_class_id__in=list(by_id), status=Student.Status.ACTIVE).order_by(
        "school_class__grade", "school_class__number", "student_number", "name"
    )
    return {
        "class_choices": [(c.pk, c.name) for c in by_id.values()],
        "student_choices": [
            (s.pk, StudentChoice(s.name, s.school_class_id, by_id[s.school_class_id].name))
            for s in students
            if s.school_class_id in by_id
        ],
        "grade_choices": [(g, f"{g}") for g in range(1, school.grade_count + 1)],
        "chosen_classes": list(by_id) if len(by_id) == 1 and not is_admin else [],
        "is_admin": is_admin,
        "group_choices": [
            (f"{name}:{pk}", f"{kind.label}: {label}")
            for name, kind in AUDIENCE_KINDS.items()
            for pk, label in kind.choices(roles, school)
        ]
        if groups
        else [],
    }


def target_specs(data: dict) -> list[TargetSpec]:
    """The parts of the audience a form's cleaned data names."""
    specs = []
    if data.get("whole_school"):
        specs.append(TargetSpec("school"))
    specs += [TargetSpec("grade", grade=g) for g in data.get("grades") or []]
    specs += [TargetSpec("class", class_id=c) for c in data.get("classes") or []]
    specs += [TargetSpec("student", student_id=s) for s in data.get("students") or []]
    if data.get("all_staff"):
        specs.append(TargetSpec("staff"))
    for value in data.get("groups") or []:
        name, _sep, ref = str(value).partition(":")
        if ref.isdigit():
            specs.append(TargetSpec(name, ref_id=int(ref)))
    return specs


def resolve_audience(school: School, roles: Roles, specs: list[TargetSpec]) -> tuple[list[NoticeTarget], str]:
    """Check every part of the audience against what the sender may address; return the rows to
    store (unsaved) and a label for lists. Raises ValidationError naming the part refused."""
    if not specs:
        raise ValidationError(_("Choose who the notice is for."))
    is_admin = roles.is_admin_of(school.pk)
    targets: list[NoticeTarget] = []
    labels: list[str] = []
    classes = {c.pk: c for c in SchoolClass.objects.filter(school=school, graduated_at__isnull=True)}
    for spec in specs:
        if spec.kind == NoticeTarget.Kind.SCHOOL:
            if not is_admin:
                raise ValidationError(_("Only school admins can send to the whole school."))
            targets.append(NoticeTarget(kind=spec.kind))
            labels.append(_("the whole school"))
        elif spec.kind == NoticeTarget.Kind.GRADE:
            if not is_admin or not spec.grade or not 1 <= spec.grade <= school.grade_count:
                raise ValidationError(_("You may not send to this grade."))
            targets.append(NoticeTarget(kind=spec.kind, grade=spec.grade))
            labels.append(_("grade %(n)d") % {"n": spec.grade})
        elif spec.kind in (NoticeTarget.Kind.CLASS, NoticeTarget.Kind.CLASS_TEACHERS):
            klass = classes.get(spec.class_id or 0)
            if klass is None or not (is_admin or klass.pk in roles.taught_class_ids):
                raise ValidationError(_("You may not send to this class."))
            if spec.kind == NoticeTarget.Kind.CLASS_TEACHERS and not is_admin:
                raise ValidationError(_("Only school admins can send to staff."))
            targets.append(NoticeTarget(kind=spec.kind, school_class=klass))
            labels.append(
                klass.name if spec.kind == NoticeTarget.Kind.CLASS else _("teachers of %(c)s") % {"c": klass.name}
            )
        elif spec.kind == NoticeTarget.Kind.STUDENT:
            student = Student.objects.filter(pk=spec.student_id or 0, school=school, status="active").first()
            if student is None or not (is_admin or student.school_class_id in roles.taught_class_ids):
                raise ValidationError(_("You may not send to this student's family."))
            targets.append(NoticeTarget(kind=spec.kind, student=student))
            labels.append(student.name)
        elif spec.kind == NoticeTarget.Kind.STAFF:
            if not is_admin:
                raise ValidationError(_("Only school admins can send to staff."))
            targets.append(NoticeTarget(kind=spec.kind))
            labels.append(_("all staff"))
        elif spec.kind in AUDIENCE_KINDS:
            kind = AUDIENCE_KINDS[spec.kind]
            allowed = dict(kind.choices(roles, school))
            if spec.ref_id not in allowed:
                raise ValidationError(_("You may not send to this group."))
            targets.append(NoticeTarget(kind=spec.kind, ref_id=spec.ref_id))
            labels.append(allowed[spec.ref_id])
        else:
            raise ValidationError(_("Choose who the notice is for."))
    return targets, "、".join(str(label) for label in labels)[:255]


# --- reading it back ------------------------------------------------------------------------------


def audience_students(school_id: int, targets: Iterable[NoticeTarget]) -> QuerySet[Student]:
    """The active students whose families the audience reaches (the fan-out reaches exactly these)."""
    condition = Q()
    for t in targets:
        if t.kind == NoticeTarget.Kind.SCHOOL:
            condition |= Q(pk__isnull=False)
        elif t.kind == NoticeTarget.Kind.GRADE:
            condition |= Q(school_class__grade=t.grade, school_class__graduated_at__isnull=True)
        elif t.kind == NoticeTarget.Kind.CLASS:
            condition |= Q(school_class_id=t.school_class_id)
        elif t.kind == NoticeTarget.Kind.STUDENT:
            condition |= Q(pk=t.student_id)
    if not condition:
        return Student.objects.none()
    return Student.objects.filter(condition, school_id=school_id, status=Student.Status.ACTIVE)


def audience_class_ids(school_id: int, targets: Iterable[NoticeTarget]) -> QuerySet | None:
    """The classes the audience reaches as a group (ids, as a subquery), or None when it reaches
    no group: a message to a group of families is checked against the names of those classes'
    students. The whole school, a grade and a class are groups; one family picked alone is not,
    several picked one by one are."""
    targets = list(targets)
    picked = [t for t in targets if t.kind == NoticeTarget.Kind.STUDENT]
    group = [t for t in targets if t.kind in FAMILY_KINDS and t.kind != NoticeTarget.Kind.STUDENT]
    if len(picked) > 1:
        group += picked
    if not group:
        return None
    return audience_students(school_id, group).filter(school_class__isnull=False).values("school_class_id")


def audience_staff_users(school_id: int, targets: Iterable[NoticeTarget]) -> QuerySet | None:
    """The user ids of the staff the audience reaches, or None when it reaches no staff."""
    user_ids: QuerySet | None = None
    for t in targets:
        qs: QuerySet
        if t.kind in AUDIENCE_KINDS:
            qs = AUDIENCE_KINDS[t.kind].staff_users(school_id, t.ref_id or 0)
        elif t.kind == NoticeTarget.Kind.STAFF:
            qs = StaffMember.objects.filter(school_id=school_id, is_active=True).values("user_id")
        elif t.kind == NoticeTarget.Kind.CLASS_TEACHERS:
            qs = StaffAssignment.objects.filter(
                school_id=school_id,
                school_class_id=t.school_class_id,
                term__is_current=True,
                staff__is_active=True,
            ).values("staff__user_id")
        else:
            continue
        user_ids = qs if user_ids is None else user_ids.union(qs)
    return user_ids


def audience_guardians(school_id: int, targets: Iterable[NoticeTarget]) -> QuerySet | None:
    """The guardian ids a registered audience reaches directly (not through a child), or None."""
    guardian_ids: QuerySet | None = None
    for t in targets:
        if t.kind in AUDIENCE_KINDS:
            qs = AUDIENCE_KINDS[t.kind].guardians(school_id, t.ref_id or 0)
            guardian_ids = qs if guardian_ids is None else guardian_ids.union(qs)
    return guardian_ids


def specs_of(notice_id: int | None) -> list[TargetSpec]:
    """A notice's audience as parts to send to again (e.g. an event's minutes go to its invitees)."""
    return [
        TargetSpec(t.kind, t.grade, t.school_class_id, t.student_id, t.ref_id)
        for t in NoticeTarget.objects.filter(notice_id=notice_id or 0)
    ]
