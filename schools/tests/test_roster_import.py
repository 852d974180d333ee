import json
from io import StringIO

import pytest
from django.core.management import call_command
from django_scopes import scope

from schools.models import Guardian, SchoolClass, Student, StudentGuardian
from schools.roster import parse_rows, plan_import
from schools.rosterfile import RosterFileError, read_roster_file

from .rosterfiles import (
    big_school_xlsx,
    csv_bytes,
    entity_bomb_xlsx,
    merged_cell_bomb_xlsx,
    school_xlsx,
    zip_bomb_xlsx,
)

pytestmark = pytest.mark.usefixtures("unscoped")


def run_import(tmp_path, data: bytes, name: str, *extra) -> dict:
    path = tmp_path / name
    path.write_bytes(data)
    out = StringIO()
    call_command("import_roster", str(path), "--school", "a", "--json", *extra, stdout=out)
    return json.loads(out.getvalue())


def test_a_real_school_file(cast, tmp_path):
    result = run_import(tmp_path, school_xlsx(), "花名册.xlsx")
    assert result["students_created"] == 5
    assert result["classes_created"] == 0
    # 王大明 (twins and a sibling), 李秀英, 张父, 赵妈妈 — one guardian per phone.
    assert result["guardians_created"] == 4
    assert result["guardians_linked"] == 6
    assert {r["row"] for r in result["rejected"]} == {10, 11, 12, 13, 14, 15}
    reasons = {r["row"]: r["reason"] for r in result["rejected"]}
    assert "1381234" in reasons[11] and "00123" in reasons[12] and "4" in reasons[12]
    assert "初三(9)班" in reasons[15]

    with scope(school=[cast.school.pk]):
        wang = Guardian.objects.get(phone="13812345678")
        children = set(StudentGuardian.objects.filter(guardian=wang).values_list("student__name", flat=True))
        assert children == {"王小明", "王小红", "王小刚"}
        assert Student.objects.get(student_number="00123").school_class == cast.class1
        assert Student.objects.get(student_number="00125").name == "张三"
        assert Student.objects.get(student_number="00126").school_class == cast.class2
        assert Guardian.objects.filter(phone="13900001111").exists()
        assert Guardian.objects.filter(phone="13700002222").exists()
        # Nothing from a file is ever stored as a formula.
        assert not Guardian.objects.filter(name__startswith="@").exists()
        assert not Student.objects.filter(name__in=["周公式", "吴注入", "钱多多", "孙悟空"]).exists()


def test_importing_the_same_file_twice_changes_nothing(cast, tmp_path):
    run_import(tmp_path, school_xlsx(), "a.xlsx")
    again = run_import(tmp_path, school_xlsx(), "a.xlsx")
    assert {k: v for k, v in again.items() if k != "rejected"} == {
        "students_created": 0,
        "students_updated": 0,
        "guardians_created": 0,
        "guardians_linked": 0,
        "classes_created": 0,
    }


def test_a_corrected_file_updates_what_changed(cast, tmp_path):
    run_import(tmp_path, csv_bytes("utf-8"), "a.csv")
    corrected = csv_bytes("utf-8").decode().replace("陈一,G2019001,三(2)班", "陈壹,G2019001,三(1)班")
    result = run_import(tmp_path, corrected.encode(), "b.csv")
    assert result["students_updated"] == 1 and result["students_created"] == 0
    with scope(school=[cast.school.pk]):
        student = Student.objects.get(student_number="G2019001")
        assert (student.name, student.school_class) == ("陈壹", cast.class1)


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk", "gb18030"])
def test_csv_in_every_encoding_schools_use(cast, tmp_path, encoding):
    result = run_import(tmp_path, csv_bytes(encoding), "名单.csv")
    assert result["students_created"] == 2 and result["rejected"] == []
    with scope(school=[cast.school.pk]):
        assert Student.objects.filter(name__in=["陈一", "林二"], school_class=cast.class2).count() == 2


def test_dry_run_changes_nothing(cast, tmp_path):
    result = run_import(tmp_path, school_xlsx(), "a.xlsx", "--dry-run")
    assert result["students_created"] == 5
    with scope(school=[cast.school.pk]):
        assert not Student.objects.filter(student_number="00123").exists()


def test_new_classes_are_created_for_the_school(cast, tmp_path):
    result = run_import(tmp_path, big_school_xlsx(24), "big.xlsx")
    assert result["classes_created"] == 10  # grades 1–6 × 2 classes, less the cast's 三年级1班 and 2班
    with scope(school=[cast.school.pk]):
        assert SchoolClass.objects.filter(school=cast.school).count() == 12


def test_class_option_refuses_rows_of_other_classes(cast, tmp_path):
    result = run_import(tmp_path, school_xlsx(), "a.xlsx", "--class", "三年级1班")
    assert result["students_created"] == 3
    reasons = {r["row"]: r["reason"] for r in result["rejected"]}
    assert "三年级2班" in reasons[7] and "三年级2班" in reasons[8]


@pytest.mark.parametrize(
    ("data", "name", "words"),
    [
        (zip_bomb_xlsx(), "bomb.xlsx", "zip bomb"),
        (merged_cell_bomb_xlsx(), "merged.xlsx", "merged cells"),
        (entity_bomb_xlsx(), "lol.xlsx", "entity"),
        (b"PK\x03\x04 not really a zip", "x.xlsx", "damaged"),
        (b"", "empty.csv", "empty"),
        (b"x" * (6 * 1024 * 1024), "huge.csv", "MB"),
        ("没有表头的文件\n一,二\n".encode(), "x.csv", "header"),
    ],
)
def test_bad_files_are_refused_with_a_clear_message_and_nothing_stored(cast, tmp_path, data, name, words):
    path = tmp_path / name
    path.write_bytes(data)
    from django.core.management.base import CommandError
    from django.utils import translation

    before = (Student.objects.count(), Guardian.objects.count())
    with pytest.raises(CommandError) as error, translation.override("en"):
        call_command("import_roster", str(path), "--school", "a", "--json", stdout=StringIO())
    assert words.lower() in str(error.value).lower()
    assert (Student.objects.count(), Guardian.objects.count()) == before


def test_macro_files_are_refused(cast):
    with pytest.raises(RosterFileError):
        read_roster_file(school_xlsx(), "花名册.xlsm")


def test_guardian_with_an_account_elsewhere_is_linked_only_when_they_prove_the_phone(cast, tmp_path):
    from schools.actions import user_for_phone

    csv = "姓名,学号,班级,家长姓名,手机号\n新生,N1,三(1)班,吴怡,13800000009\n".encode()
    run_import(tmp_path, csv, "a.csv")
    with scope(school=[cast.school.pk]):
        guardian = Guardian.objects.get(phone="13800000009")
        # Typing a phone on a roster attaches nobody's account to a child …
        assert guardian.user is None and not guardian.is_activated
    # … the account's owner is linked when they sign in with a code sent to that phone.
    assert user_for_phone("13800000009", name="吴怡") == cast.erin
    with scope(school=[cast.school.pk]):
        guardian.refresh_from_db()
        assert guardian.user == cast.erin and guardian.is_activated


@pytest.mark.parametrize("rows", [60, 600])
def test_import_query_count_does_not_grow_with_rows(cast, django_assert_num_queries, rows):
    data = big_school_xlsx(rows)
    with scope(school=[cast.school.pk]):
        parsed = parse_rows(read_roster_file(data, "big.xlsx"))
        plan = plan_import(cast.school, parsed, allow_new_classes=True)
        from schools.actions import do_import_roster

        # lock, re-plan (6), classes (2), students, enrollments (2), guardians (2), links, audit
        with django_assert_num_queries(16):
            summary = do_import_roster(plan, acting_user=cast.admin_zhang)
    assert summary["students_created"] == rows and summary["guardians_created"] == 2 * rows


def test_legacy_xls_with_merged_cells_and_numbers(cast, tmp_path):
    from .rosterfiles import legacy_xls

    result = run_import(tmp_path, legacy_xls(), "旧名单.xls")
    assert result["students_created"] == 2 and result["rejected"] == []
    with scope(school=[cast.school.pk]):
        assert set(
            Student.objects.filter(school_class=cast.class2, name__startswith="旧表").values_list(
                "student_number", flat=True
            )
        ) == {"301", "302"}
        assert Guardian.objects.filter(phone__in=["13911119999", "13911118888"]).count() == 2
