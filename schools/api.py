from ninja import Router, Schema

from core.phones import mask_phone

from . import queries
from .access import access_class

router = Router(tags=["school"])


class SchoolRef(Schema):
    id: int
    name: str


class ClassRef(Schema):
    id: int
    name: str
    grade: int
    number: int


class MeOut(Schema):
    id: int
    name: str
    username: str
    phone: str | None
    is_staff: bool
    is_parent: bool
    schools: list[SchoolRef]
    admin_school_ids: list[int]
    head_teacher_class_ids: list[int]
    teaching_class_ids: list[int]


class ChildOut(Schema):
    id: int
    name: str
    school: SchoolRef
    school_class: ClassRef | None
    head_teacher: str | None


class ClassOut(ClassRef):
    school: SchoolRef
    student_count: int
    head_teacher: str | None
    i_am_head_teacher: bool


class GuardianOut(Schema):
    id: int
    name: str
    phone: str
    relationship: str
    activated: bool


class StudentOut(Schema):
    id: int
    name: str
    student_number: str
    gender: str
    guardians: list[GuardianOut]


class RosterOut(Schema):
    school_class: ClassRef
    students: list[StudentOut]


def _class_ref(c) -> dict:
    return {"id": c.pk, "name": c.name, "grade": c.grade, "number": c.number}


@router.get("/me", response=MeOut)
def me(request):
    roles = request.roles
    schools = {m.school_id: m.school for m in roles.staff.values()}
    schools.update({c.school_id: c.school for c in queries.children_of(roles)} if roles.is_parent else {})
    user = request.user
    return {
        "id": user.pk,
        "name": user.display_name,
        "username": user.username,
        "phone": user.phone,
        "is_staff": roles.is_staff,
        "is_parent": roles.is_parent,
        "schools": [{"id": s.pk, "name": s.name} for s in sorted(schools.values(), key=lambda s: s.pk)],
        "admin_school_ids": sorted(roles.admin_school_ids),
        "head_teacher_class_ids": sorted(roles.head_class_ids),
        "teaching_class_ids": sorted(roles.taught_class_ids),
    }


@router.get("/me/children", response=list[ChildOut])
def my_children(request):
    return [
        {
            "id": c.pk,
            "name": c.name,
            "school": {"id": c.school.pk, "name": c.school.name},
            "school_class": _class_ref(c.school_class) if c.school_class else None,
            "head_teacher": c.head_teacher.display_name if c.head_teacher else None,
        }
        for c in queries.children_of(request.roles)
    ]


@router.get("/me/classes", response=list[ClassOut])
def my_classes(request):
    roles = request.roles
    result = []
    for c in queries.classes_of_teacher(roles).select_related("school"):
        head = queries.head_teacher(c)
        result.append(
            {
                **_class_ref(c),
                "school": {"id": c.school.pk, "name": c.school.name},
                "student_count": c.student_count,
                "head_teacher": head.user.display_name if head else None,
                "i_am_head_teacher": c.pk in roles.head_class_ids,
            }
        )
    return result


@router.get("/classes/{class_id}/roster", response=RosterOut)
def class_roster(request, class_id: int):
    """The class's students and guardians. Phone numbers are shown in full to the head teacher
    and admins, masked for subject teachers."""
    school_class = access_class(request, class_id)
    full = request.roles.can_manage_class(school_class)
    students = []
    for s in queries.class_roster(school_class):
        students.append(
            {
                "id": s.pk,
                "name": s.name,
                "student_number": s.student_number,
                "gender": s.gender,
                "guardians": [
                    {
                        "id": link.guardian.pk,
                        "name": link.guardian.name,
                        "phone": link.guardian.phone if full else mask_phone(link.guardian.phone),
                        "relationship": link.relationship,
                        "activated": link.guardian.is_activated,
                    }
                    for link in s.guardian_links.all()
                ],
            }
        )
    return {"school_class": _class_ref(school_class), "students": students}
