"""Choosing an audience, shared by everything that goes out as a notice (notices, surveys, events):
the classes, students and grades a sender may pick from, and the parts of the audience they picked."""

from notices.actions import TargetSpec
from schools.models import SchoolClass, Student


def audience_choices(request, school) -> dict:
    """What the sender may address: their taught classes and those classes' students; admins also
    grades, the whole school and all staff (``is_admin``)."""
    roles = request.roles
    is_admin = roles.is_admin_of(school.pk)
    classes = SchoolClass.objects.filter(school=school, graduated_at__isnull=True)
    if not is_admin:
        classes = classes.filter(pk__in=roles.taught_class_ids)
    by_id = {c.pk: c for c in classes}
    students = Student.objects.filter(school_class_id__in=list(by_id), status=Student.Status.ACTIVE)
    return {
        "class_choices": [(c.pk, c.name) for c in by_id.values()],
        "student_choices": [
            (s.pk, f"{by_id[s.school_class_id].name} {s.name}") for s in students if s.school_class_id in by_id
        ],
        "grade_choices": [(g, f"{g}") for g in range(1, school.grade_count + 1)],
        "is_admin": is_admin,
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
    return specs
