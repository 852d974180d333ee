"""What a signed-in user is, school by school: computed once per request (three queries) from
staff memberships, this term's class assignments and guardian links. The school ids it yields
are the scope every query of the request runs in (schools.middleware)."""

from dataclasses import dataclass, field

from django_scopes import scopes_disabled

from .models import StaffAssignment, StaffMember, Student, StudentGuardian


@dataclass
class Roles:
    user_id: int | None = None
    staff: dict[int, StaffMember] = field(default_factory=dict)  # school id → membership
    admin_school_ids: set[int] = field(default_factory=set)
    care_school_ids: set[int] = field(default_factory=set)
    head_class_ids: set[int] = field(default_factory=set)
    taught_class_ids: set[int] = field(default_factory=set)  # head or subject teacher, this term
    child_ids: list[int] = field(default_factory=list)
    child_school_ids: set[int] = field(default_factory=set)

    @property
    def school_ids(self) -> list[int]:
        return sorted(set(self.staff) | self.child_school_ids)

    @property
    def is_staff(self) -> bool:
        return bool(self.staff)

    @property
    def is_parent(self) -> bool:
        return bool(self.child_ids)

    @property
    def is_school_admin(self) -> bool:
        return bool(self.admin_school_ids)

    def is_admin_of(self, school_id: int) -> bool:
        return school_id in self.admin_school_ids

    def is_staff_of(self, school_id: int) -> bool:
        return school_id in self.staff

    def can_view_class(self, school_class) -> bool:
        return self.is_admin_of(school_class.school_id) or school_class.id in self.taught_class_ids

    def can_manage_class(self, school_class) -> bool:
        return self.is_admin_of(school_class.school_id) or school_class.id in self.head_class_ids


def compute_roles(user) -> Roles:
    if user is None or not user.is_authenticated or not user.is_active:
        return Roles()
    roles = Roles(user_id=user.pk)
    # Reviewed unscoped reads: they are filtered by the user and decide the scope itself.
    with scopes_disabled():
        for member in StaffMember.objects.filter(user=user, is_active=True).select_related("school"):
            roles.staff[member.school_id] = member
            if member.is_school_admin:
                roles.admin_school_ids.add(member.school_id)
            if member.is_care_staff:
                roles.care_school_ids.add(member.school_id)
        if roles.staff:
            assignments = StaffAssignment.objects.filter(
                staff__in=[m.pk for m in roles.staff.values()], term__is_current=True
            ).values_list("school_class_id", "role")
            for class_id, role in assignments:
                roles.taught_class_ids.add(class_id)
                if role == StaffAssignment.Role.HEAD_TEACHER:
                    roles.head_class_ids.add(class_id)
        links = StudentGuardian.objects.filter(guardian__user=user, student__status=Student.Status.ACTIVE).values_list(
            "student_id", "school_id"
        )
        for student_id, school_id in links:
            if student_id not in roles.child_ids:
                roles.child_ids.append(student_id)
            roles.child_school_ids.add(school_id)
    return roles
