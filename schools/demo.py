"""The demo school 阳光小学 (fictitious): six grades of two classes, about 40 students a class,
guardians (some shared by siblings and twins), a head teacher per class, subject teachers, a
school admin and the current term. Built with bulk inserts: a few seconds on SQLite.

One family is not left to chance: the README's parent (``DEMO_PARENT_PHONE``) has signed up and
has two children, the first of 一年级1班 and the first of 三年级2班, the class home.demo fills with a
notice, a meeting, a survey, a class group and a contact-book record; so the README's accounts try
each of them from both sides, and the parent's child picker has two children to pick from."""

import random

from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.utils import timezone
from django_scopes import scopes_disabled

from accounts.models import User

from .models import (
    Enrollment,
    Guardian,
    School,
    SchoolClass,
    StaffAssignment,
    StaffMember,
    Student,
    StudentGuardian,
    Term,
)
from .queries import term_dates_containing

DEMO_CODE = "yangguang"
DEMO_PASSWORD = "tongxin-demo"
DEMO_PARENT_PHONE = "13800000032"  # outside the generated 1381000xxxx numbers
DEMO_PARENT_NAME = "林晓梅"
DEMO_CLASS = (3, 2)  # the class with the demo activity (home.demo)
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
GIVEN = "子涵欣怡梓轩浩宇一诺雨桐思远可馨佳琪俊杰晨曦语嫣博文宇航若汐梓萱明轩天佑嘉怡沐阳诗涵铭泽安然心怡浩然雅琪梓豪乐瑶文博子墨紫琪"
SUBJECTS = ["语文", "数学", "英语", "科学", "体育", "音乐", "美术"]


def _given(rng: random.Random) -> str:
    n = rng.choice([1, 2, 2, 2])
    return "".join(rng.choice(GIVEN) for _ in range(n))


@transaction.atomic
def load_demo(*, students_per_class: int = 40, seed: int = 2026) -> School:
    rng = random.Random(seed)
    with scopes_disabled():
        school = School.objects.create(name="阳光小学", code=DEMO_CODE)
        name, start, end = term_dates_containing(timezone.localdate())
        term = Term.objects.create(school=school, name=name, start_date=start, end_date=end, is_current=True)
        password = make_password(DEMO_PASSWORD)  # hashed once: every demo account shares it

        def staff_user(username: str, name: str, phone: str, **member) -> StaffMember:
            user = User.objects.create(username=username, name=name, phone=phone, password=password)
            return StaffMember.objects.create(school=school, user=user, **member)

        staff_user("admin", "赵校长", "13900000001", is_school_admin=True, title="德育处主任")

        classes = SchoolClass.objects.bulk_create(
            [SchoolClass(school=school, grade=g, number=n) for g in range(1, 7) for n in (1, 2)]
        )
        assignments = []
        for i, c in enumerate(classes, start=1):
            head = staff_user(
                f"t{c.grade}{c.number}", rng.choice(SURNAMES) + "老师", f"1390000{1000 + i:04d}", title="班主任"
            )
            assignments.append(StaffAssignment(school=school, term=term, staff=head, school_class=c, role="head"))
        for j, subject in enumerate(SUBJECTS):
            teacher = staff_user(
                f"s{j + 1}", rng.choice(SURNAMES) + "老师", f"1390000{2000 + j:04d}", title=f"{subject}教师"
            )
            for c in classes:
                if (c.grade + j) % 3 == 0 or (subject == "英语" and c.grade >= 3):
                    assignments.append(
                        StaffAssignment(
                            school=school, term=term, staff=teacher, school_class=c, role="subject", subject=subject
                        )
                    )
        StaffAssignment.objects.bulk_create(assignments)

        students: list[Student] = []
        family_of: list[int] = []  # index into families for each student
        families: list[list[tuple[str, str, str]]] = []
        phone_counter = 10_000_000
        demo_family = 0  # the README parent's: the first family, that of 一年级1班's first child
        for c in classes:
            for k in range(students_per_class):
                # The README parent's older child: the first of 三年级2班, a sibling of 一年级1班's first.
                demo_sibling = (c.grade, c.number) == DEMO_CLASS and k == 0
                surname = students[0].name[0] if demo_sibling else rng.choice(SURNAMES)  # family 0's child
                number = f"{2026 - c.grade + 1}{c.number:02d}{k + 1:02d}"
                twin = k > 0 and k % 19 == 0  # a pair of twins now and then: same family as the previous child
                students.append(
                    Student(
                        school=school,
                        name=(students[-1].name[0] if twin else surname) + _given(rng),
                        student_number=number,
                        gender=rng.choice("FM"),
                        school_class=c,
                    )
                )
                if twin or demo_sibling:
                    family_of.append(family_of[-1] if twin else demo_family)
                    continue
                sibling = len(families) > 61 and rng.random() < 0.04  # an older or younger sibling
                if sibling:  # never the README parent's family: it has its two children
                    family_of.append(rng.randrange(1, len(families) - 60))
                    continue
                phone_counter += 1
                guardians = [(surname + _given(rng), f"138{phone_counter:08d}", rng.choice(["父亲", "父亲", "爷爷"]))]
                if not families:  # the README parent's family: the mother is the README parent
                    guardians.insert(0, (DEMO_PARENT_NAME, DEMO_PARENT_PHONE, "母亲"))
                if rng.random() < 0.7 and len(guardians) == 1:
                    phone_counter += 1
                    guardians.append(
                        (
                            rng.choice(SURNAMES) + _given(rng),
                            f"138{phone_counter:08d}",
                            rng.choice(["母亲", "母亲", "奶奶", "外婆"]),
                        )
                    )
                families.append(guardians)
                family_of.append(len(families) - 1)
        Student.objects.bulk_create(students)
        Enrollment.objects.bulk_create(
            [
                Enrollment(school=school, term=term, student=s, school_class=klass, class_name=klass.name)
                for s in students
                if (klass := s.school_class) is not None
            ]
        )

        now = timezone.now()
        guardian_rows: list[list[Guardian]] = []
        users = []
        for members in families:
            rows = []
            for name, phone, _rel in members:
                activated = rng.random() < 0.65 or phone == DEMO_PARENT_PHONE
                rows.append(Guardian(school=school, name=name, phone=phone, activated_at=now if activated else None))
                if activated:
                    users.append(User(username=phone, phone=phone, name=name, password=password))
            guardian_rows.append(rows)
        User.objects.bulk_create(users)
        user_by_phone = {u.phone: u for u in User.objects.filter(phone__in=[u.phone for u in users])}
        flat = [g for rows in guardian_rows for g in rows]
        for g in flat:
            g.user = user_by_phone.get(g.phone)
        Guardian.objects.bulk_create(flat)
        links = []
        for student, f in zip(students, family_of, strict=True):
            for guardian, (_n, _p, rel) in zip(guardian_rows[f], families[f], strict=True):
                links.append(StudentGuardian(school=school, student=student, guardian=guardian, relationship=rel))
        StudentGuardian.objects.bulk_create(links)

    return school


def demo_sign_ins(school: School) -> list[tuple[str, str, str]]:
    """The demo accounts as ``(who, sign in with, password)``, read back from the database (so a
    second run prints them too). The README's table is these rows (schools/tests/test_demo.py)."""
    with scopes_disabled():
        head = (
            StaffAssignment.objects.filter(
                school=school, role="head", school_class__grade=DEMO_CLASS[0], school_class__number=DEMO_CLASS[1]
            )
            .select_related("staff__user", "school_class")
            .first()
        )
        subject = StaffAssignment.objects.filter(school=school, role="subject").order_by("staff_id").first()
        parent = Guardian.objects.filter(school=school, phone=DEMO_PARENT_PHONE, user__isnull=False).first()
        rows = [("学校管理员 school admin", "admin", DEMO_PASSWORD)]
        if head is not None:
            rows.append((f"班主任 head teacher of {head.school_class.name}", head.staff.user.username, DEMO_PASSWORD))
        if subject is not None:
            rows.append((f"任课教师 subject teacher ({subject.subject})", subject.staff.user.username, DEMO_PASSWORD))
        if parent is not None:
            classes = (
                SchoolClass.objects.filter(students__guardian_links__guardian=parent)
                .order_by("-grade", "-number")
                .distinct()
            )
            rows.append(
                (f"家长 parent of children in {' and '.join(c.name for c in classes)}", parent.phone, DEMO_PASSWORD)
            )
        rows.append(
            ("家长 parent, by SMS code", "any guardian's phone on a class page", "the code is in var/sms/outbox.jsonl")
        )
    return rows


def demo_counts(school: School) -> str:
    """What the demo school holds, in one line: printed by load_demo and quoted in the README."""
    with scopes_disabled():
        classes = SchoolClass.objects.filter(school=school).count()
        students = Student.objects.filter(school=school).count()
        guardians = Guardian.objects.filter(school=school)
        staff = StaffMember.objects.filter(school=school).count()
        return (
            f"{classes} classes, {students} students, {guardians.count()} guardians "
            f"({guardians.filter(user__isnull=False).count()} signed up), {staff} staff"
        )
