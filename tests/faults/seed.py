"""Seed the private database of the faults suite: the named cast of docs/testing.md, a big school
(``--families`` guardians, two a student) for the fan-out, email addresses for the cast's parents,
and API tokens. Run as ``python -m tests.faults.seed N`` with DATABASE_URL set to the private
cluster (never the shared one); prints the ids and tokens as JSON on its last line."""

import json
import sys


def main(families: int) -> dict:
    import django

    django.setup()
    from django.db import connection, transaction
    from django.utils import timezone
    from django_scopes import scopes_disabled

    from accounts.actions import do_create_api_token
    from accounts.models import User
    from chat.actions import class_group
    from conftest import build_cast
    from delivery.models import DeliveryPreference
    from schools.models import Guardian, School, SchoolClass, StaffMember, Student, StudentGuardian, Term
    from schools.queries import term_dates_containing

    cast = build_cast()
    with scopes_disabled():
        for user, address in ((cast.alice, "alice@example.cn"), (cast.bob, "bob@example.cn")):
            DeliveryPreference.objects.create(user=user, email=address, email_enabled=True)
        group = class_group(cast.class1)

        admin = User.objects.create_user("big_admin", "correct-horse-42", name="大校管理员", phone="13900000077")
        school = School.objects.create(name="大同小学", code="big")
        term_name, start, end = term_dates_containing(timezone.localdate())
        Term.objects.create(school=school, name=term_name, start_date=start, end_date=end, is_current=True)
        StaffMember.objects.create(school=school, user=admin, is_school_admin=True)
        classes = SchoolClass.objects.bulk_create(
            [SchoolClass(school=school, grade=1 + i % 6, number=1 + i // 6) for i in range(48)]
        )
        students = max(1, families // 2)
        now = timezone.now()
        with transaction.atomic(), connection.cursor() as cursor:
            # COPY: tens of thousands of rows in a second or two, ids from the sequences.
            with cursor.copy(
                "COPY schools_student (school_id, name, student_number, gender, school_class_id, status, created_at)"
                " FROM STDIN"
            ) as copy:
                for i in range(students):
                    copy.write_row((school.pk, f"学生{i}", f"S{i:07d}", "FM"[i % 2], classes[i % 48].pk, "active", now))
            with cursor.copy("COPY schools_guardian (school_id, name, phone, created_at) FROM STDIN") as copy:
                for g in range(families):
                    copy.write_row((school.pk, f"家长{g}", f"15{g:09d}", now))
            cursor.execute(
                """
                INSERT INTO schools_studentguardian (school_id, student_id, guardian_id, relationship)
                SELECT %s, s.id, g.id, CASE WHEN g.rn %% 2 = 0 THEN '母亲' ELSE '父亲' END
                FROM (SELECT id, row_number() OVER (ORDER BY id) - 1 AS rn FROM schools_guardian WHERE school_id = %s) g
                JOIN (SELECT id, row_number() OVER (ORDER BY id) - 1 AS rn FROM schools_student WHERE school_id = %s) s
                  ON s.rn = g.rn / 2
                """,
                [school.pk, school.pk, school.pk],
            )
            cursor.execute("ANALYZE")
        counts = (
            Student.objects.filter(school=school).count(),
            Guardian.objects.filter(school=school).count(),
            StudentGuardian.objects.filter(school=school).count(),
        )
        assert counts == (students, families, families), counts

        tokens = {
            name: do_create_api_token(acting_user=user, name="faults")
            for name, user in (
                ("big_admin", admin),
                ("ms_li", cast.ms_li),
                ("alice", cast.alice),
                ("bob", cast.bob),
                ("carol", cast.carol),
            )
        }
    return {
        "big_school": school.pk,
        "school": cast.school.pk,
        "class1": cast.class1.pk,
        "class2": cast.class2.pk,
        "families": families,
        "class_group": group.pk,
        "tokens": tokens,
        "users": {"alice": cast.alice.pk, "bob": cast.bob.pk, "carol": cast.carol.pk, "ms_li": cast.ms_li.pk},
    }


if __name__ == "__main__":
    print(json.dumps(main(int(sys.argv[1]))))
