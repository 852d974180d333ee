"""Roster import: from rows of a school's spreadsheet to students, guardians and classes.

Three steps, each testable on its own:

1. ``parse_rows``: find the header row (a title row or several may sit above it), map the headers
   teachers write (姓名 / 学生姓名, 学号 / 学籍号, 联系电话 / 手机号 …) to fields, and turn each row
   into a ``RosterRow`` or a ``Rejection`` with the row number and a reason. Blank rows and footer
   lines (班主任：…, 合计) are skipped; bad rows are refused one by one and the good rows go on.
2. ``plan_import``: compare with the database in a fixed number of queries and say what would
   change (the preview).
3. ``schools.actions.do_import_roster``: write it with bulk statements inside one transaction that
   holds the school's lock, so imports of one school never run at the same time. Importing the same
   file twice changes nothing. (This module only reads; every write is in ``schools.actions``.)
"""

import re
import unicodedata
from collections import defaultdict
from dataclasses import dataclass, field

from django.utils.translation import gettext as _

from core.classnames import InvalidClassName, format_class_name, parse_class_name
from core.phones import InvalidPhone, normalize_phone

from .models import Guardian, RosterUpload, School, SchoolClass, Student, StudentGuardian, Term
from .queries import current_term
from .rosterfile import Formula, RosterFileError, SheetRow, read_roster_file

HEADERS: dict[str, list[str]] = {
    "name": ["姓名", "学生姓名", "学生", "名字", "学生名字", "name", "studentname"],
    "number": ["学号", "学籍号", "学生学号", "学生编号", "学籍编号", "全国学籍号", "studentnumber", "studentno"],
    "gender": ["性别", "gender", "sex"],
    "grade": ["年级", "grade"],
    "class": ["班级", "班别", "所在班级", "班级名称", "年级班级", "class"],
    "g1_name": [
        "家长姓名",
        "家长1姓名",
        "家长一姓名",
        "监护人",
        "监护人姓名",
        "监护人1姓名",
        "联系人",
        "家长1",
        "家长",
    ],
    "g1_phone": [
        "联系电话",
        "手机号",
        "手机",
        "手机号码",
        "家长电话",
        "家长手机",
        "家长手机号",
        "家长1电话",
        "家长1手机",
        "家长1手机号",
        "家长一电话",
        "家长一手机",
        "监护人电话",
        "监护人手机",
        "联系方式",
        "电话",
        "phone",
        "mobile",
    ],
    "g1_rel": ["关系", "与学生关系", "家长1关系", "家长一关系", "称谓", "监护人关系", "与本人关系", "relationship"],
    "g2_name": ["家长2姓名", "家长二姓名", "监护人2姓名", "家长2"],
    "g2_phone": ["家长2电话", "家长2手机", "家长2手机号", "家长二电话", "家长二手机", "监护人2电话", "备用电话"],
    "g2_rel": ["家长2关系", "家长二关系", "监护人2关系", "关系2"],
    "father_name": ["父亲姓名", "父亲"],
    "father_phone": ["父亲电话", "父亲手机", "父亲手机号", "父亲联系电话"],
    "mother_name": ["母亲姓名", "母亲"],
    "mother_phone": ["母亲电话", "母亲手机", "母亲手机号", "母亲联系电话"],
}
_HEADER_INDEX = {alias: name for name, aliases in HEADERS.items() for alias in aliases}
_HEADER_NOISE = re.compile(r"[\s*＊:：]|[(（](必填|选填|可选|必须)[)）]")
FOOTER_STARTS = ("班主任", "合计", "总计", "共计", "备注", "说明", "制表", "填表", "审核", "注:", "注：", "统计")
RELATIONSHIPS = {"爸爸": "父亲", "父": "父亲", "妈妈": "母亲", "母": "母亲", "爷": "爷爷", "奶": "奶奶"}
_NUMBER_LIKE = re.compile(r"^[+\-][\d\s\-()]+$")


@dataclass
class GuardianEntry:
    name: str
    phone: str
    relationship: str


@dataclass
class RosterRow:
    row: int
    name: str
    number: str
    gender: str
    grade_class: tuple[int, int] | None
    guardians: list[GuardianEntry]


@dataclass
class Rejection:
    row: int
    reason: str


@dataclass
class ParseResult:
    rows: list[RosterRow] = field(default_factory=list)
    rejected: list[Rejection] = field(default_factory=list)
    skipped: int = 0


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else str(value)
    return unicodedata.normalize("NFKC", str(value)).strip()


def _header_field(value) -> str | None:
    text = _HEADER_NOISE.sub("", _text(value)).lower()
    return _HEADER_INDEX.get(text)


def _map_header(cells: list) -> dict[str, int]:
    columns: dict[str, int] = {}
    for index, cell in enumerate(cells):
        name = _header_field(cell)
        if name is None:
            continue
        if name in columns and name.startswith("g1_") and f"g2_{name[3:]}" not in columns:
            name = f"g2_{name[3:]}"  # a second 家长姓名 / 联系电话 column is the second guardian
        columns.setdefault(name, index)
    return columns


def _find_header(rows: list[SheetRow]) -> tuple[int, dict[str, int]]:
    for position, row in enumerate(rows[:20]):
        columns = _map_header(row.cells)
        if "name" in columns and len(columns) >= 2:
            return position, columns
    raise RosterFileError(
        _(
            "No header row was found. The sheet needs a row of column names with at least 姓名 and one of "
            "学号, 班级, 联系电话."
        )
    )


def _looks_like_formula(value) -> bool:
    if isinstance(value, Formula):
        return True
    if not isinstance(value, str):
        return False
    text = value.strip()
    if text[:1] in ("=", "@"):
        return True
    return text[:1] in ("+", "-") and len(text) > 1 and not _NUMBER_LIKE.match(text)


def _person_name(value) -> str:
    text = _text(value)
    if any("\u4e00" <= ch <= "\u9fff" for ch in text):
        text = re.sub(r"\s+", "", text)  # 张 三 → 张三; 阿依古丽·买买提 keeps its dot
    return text[:64]


def _gender(value) -> str:
    text = _text(value).upper()
    if text in {"男", "M", "MALE", "男生", "B", "BOY"}:
        return "M"
    if text in {"女", "F", "FEMALE", "女生", "G", "GIRL"}:
        return "F"
    return ""


def _relationship(value, default: str = "") -> str:
    text = _text(value)[:16] or default
    return RELATIONSHIPS.get(text, text)


def parse_rows(
    sheet_rows: list[SheetRow], *, default_class: tuple[int, int] | None = None, max_grade: int = 6
) -> ParseResult:
    """Rows of the spreadsheet → roster rows and rejections. ``default_class`` is the class of a
    head teacher's import (or ``--class``): rows of another class are refused."""
    header_at, columns = _find_header(sheet_rows)
    result = ParseResult()
    seen_numbers: dict[str, int] = {}

    def cell(row: SheetRow, name: str):
        index = columns.get(name)
        return row.cells[index] if index is not None and index < len(row.cells) else None

    for row in sheet_rows[header_at + 1 :]:
        texts = [_text(v) for v in row.cells]
        if not any(texts):
            continue  # blank row
        first = next(t for t in texts if t)
        if first.startswith(FOOTER_STARTS) or _map_header(row.cells).get("name") is not None:
            result.skipped += 1  # footer line, or the header repeated for the next class
            continue
        if any(_looks_like_formula(v) for v in row.cells):
            result.rejected.append(
                Rejection(row.number, _("A cell holds a formula or starts like one (= + - @); type the value itself."))
            )
            continue
        name = _person_name(cell(row, "name"))
        if not name:
            result.rejected.append(Rejection(row.number, _("No student name.")))
            continue
        number = _text(cell(row, "number"))[:32]
        if number:
            if number in seen_numbers:
                result.rejected.append(
                    Rejection(
                        row.number,
                        _("Student number %(number)s is already on row %(row)d of this file.")
                        % {"number": number, "row": seen_numbers[number]},
                    )
                )
                continue
            seen_numbers[number] = row.number

        class_text = _text(cell(row, "class"))
        grade_text = _text(cell(row, "grade"))
        grade_class = default_class
        if class_text or grade_text:
            written = class_text if not grade_text or grade_text in class_text else f"{grade_text}{class_text}"
            try:
                grade_class = parse_class_name(written, max_grade=max_grade)
            except InvalidClassName:
                result.rejected.append(
                    Rejection(
                        row.number,
                        _("The class “%(name)s” cannot be understood. Write it like 三年级2班 or 三(2)班.")
                        % {"name": written},
                    )
                )
                continue
            if default_class is not None and grade_class != default_class:
                result.rejected.append(
                    Rejection(
                        row.number,
                        _("This student is in %(other)s, not in %(mine)s.")
                        % {"other": format_class_name(*grade_class), "mine": format_class_name(*default_class)},
                    )
                )
                continue
        if grade_class is None:
            result.rejected.append(Rejection(row.number, _("No class: add a 班级 column or choose the class.")))
            continue

        guardians: list[GuardianEntry] = []
        bad_phone = ""
        for prefix, default_rel in (("g1", ""), ("g2", ""), ("father", "父亲"), ("mother", "母亲")):
            raw_phone = cell(row, f"{prefix}_phone")
            phone_text = _text(raw_phone)
            if not phone_text:
                continue
            try:
                phone = normalize_phone(raw_phone)
            except InvalidPhone:
                bad_phone = phone_text
                break
            if any(g.phone == phone for g in guardians):
                continue
            relationship = _relationship(cell(row, f"{prefix}_rel"), default_rel)
            guardian_name = _person_name(cell(row, f"{prefix}_name")) or f"{name}{relationship or '家长'}"
            guardians.append(GuardianEntry(guardian_name, phone, relationship))
        if bad_phone:
            result.rejected.append(
                Rejection(
                    row.number,
                    _("“%(phone)s” is not a valid mobile number (11 digits, starting with 1).") % {"phone": bad_phone},
                )
            )
            continue
        result.rows.append(RosterRow(row.number, name, number, _gender(cell(row, "gender")), grade_class, guardians))
    return result


# --- planning and applying ----------------------------------------------------------------------


@dataclass
class StudentChange:
    row: RosterRow
    student: Student | None  # None: a new student
    changes: list[str] = field(default_factory=list)


@dataclass
class ImportPlan:
    school: School
    term: Term
    parse: ParseResult
    allow_new_classes: bool
    only_class: SchoolClass | None = None
    classes_to_create: list[tuple[int, int]] = field(default_factory=list)
    new_students: list[StudentChange] = field(default_factory=list)
    updated_students: list[StudentChange] = field(default_factory=list)
    new_guardians: dict[str, GuardianEntry] = field(default_factory=dict)  # phone → entry
    new_links: list[tuple[RosterRow, str, str]] = field(default_factory=list)  # row, phone, relationship
    matched: dict[int, Student] = field(default_factory=dict)  # row number → existing student
    rejected: list[Rejection] = field(default_factory=list)

    def summary(self) -> dict:
        return {
            "students_created": len(self.new_students),
            "students_updated": len(self.updated_students),
            "guardians_created": len(self.new_guardians),
            "guardians_linked": len(self.new_links),
            "classes_created": len(self.classes_to_create),
            "rejected": [{"row": r.row, "reason": r.reason} for r in sorted(self.rejected, key=lambda r: r.row)],
        }

    @property
    def changes_anything(self) -> bool:
        return bool(
            self.new_students or self.updated_students or self.new_guardians or self.new_links or self.classes_to_create
        )


def plan_import(
    school: School, parsed: ParseResult, *, allow_new_classes: bool, only_class: SchoolClass | None = None
) -> ImportPlan:
    """Compare the parsed rows with the database: a fixed number of queries, whatever the size."""
    term = current_term(school)
    if term is None:
        raise RosterFileError(_("The school has no current term yet. An admin must create one first."))
    plan = ImportPlan(
        school=school,
        term=term,
        parse=parsed,
        allow_new_classes=allow_new_classes,
        only_class=only_class,
        rejected=list(parsed.rejected),
    )
    classes = {(c.grade, c.number): c for c in SchoolClass.objects.filter(school=school, graduated_at__isnull=True)}
    rows: list[RosterRow] = []
    for row in parsed.rows:
        assert row.grade_class is not None
        if row.grade_class not in classes:
            if not allow_new_classes:
                plan.rejected.append(
                    Rejection(
                        row.row,
                        _("There is no class %(name)s in the school; an admin must create it.")
                        % {"name": format_class_name(*row.grade_class)},
                    )
                )
                continue
            if row.grade_class not in plan.classes_to_create:
                plan.classes_to_create.append(row.grade_class)
        rows.append(row)

    numbers = [r.number for r in rows if r.number]
    by_number = {s.student_number: s for s in Student.objects.filter(school=school, student_number__in=numbers)}
    numberless_classes = {classes[r.grade_class].pk for r in rows if not r.number and r.grade_class in classes}
    by_class_name: dict[tuple[int, str], Student] = {}
    for s in Student.objects.filter(
        school=school, school_class_id__in=numberless_classes, status=Student.Status.ACTIVE
    ).order_by("pk"):
        by_class_name.setdefault((s.school_class_id or 0, s.name), s)

    matched = plan.matched
    for row in rows:
        existing = by_number.get(row.number) if row.number else None
        if existing is None and not row.number and row.grade_class in classes:
            existing = by_class_name.get((classes[row.grade_class].pk, row.name))
        if existing is not None and only_class is not None and existing.school_class_id != only_class.pk:
            # A head teacher's import may not pull a child of another class into theirs.
            plan.rejected.append(
                Rejection(
                    row.row,
                    _("Student number %(number)s belongs to a student of another class; ask a school admin.")
                    % {"number": row.number},
                )
            )
            continue
        if existing is not None and existing.status != Student.Status.ACTIVE:
            plan.rejected.append(
                Rejection(
                    row.row,
                    _("Student number %(number)s belongs to a student who has left or graduated.")
                    % {"number": row.number},
                )
            )
            continue
        if existing is None:
            plan.new_students.append(StudentChange(row=row, student=None))
            continue
        matched[row.row] = existing
        changes = []
        if existing.name != row.name:
            changes.append(_("name %(old)s → %(new)s") % {"old": existing.name, "new": row.name})
        if row.gender and existing.gender != row.gender:
            changes.append(_("gender"))
        target = classes.get(row.grade_class)  # type: ignore[arg-type]
        if target is None or existing.school_class_id != target.pk:
            changes.append(_("class → %(name)s") % {"name": format_class_name(*row.grade_class)})  # type: ignore[misc]
        if changes:
            plan.updated_students.append(StudentChange(row=row, student=existing, changes=changes))

    accepted = [c.row for c in plan.new_students] + [r for r in rows if r.row in matched]
    phones = {g.phone for r in accepted for g in r.guardians}
    existing_guardians = {g.phone: g for g in Guardian.objects.filter(school=school, phone__in=phones)}
    existing_links = set(
        StudentGuardian.objects.filter(student_id__in=[s.pk for s in matched.values()]).values_list(
            "student_id", "guardian__phone"
        )
    )
    for row in accepted:
        student = matched.get(row.row)
        for g in row.guardians:
            if g.phone not in existing_guardians and g.phone not in plan.new_guardians:
                plan.new_guardians[g.phone] = g
            if student is None or (student.pk, g.phone) not in existing_links:
                plan.new_links.append((row, g.phone, g.relationship))
    return plan


def plan_upload(upload: RosterUpload) -> ImportPlan:
    """The plan of a stored upload: a head teacher's upload goes into their class (only admins
    create classes). Raises ``RosterFileError`` when the file cannot be read."""
    school = upload.school
    default_class = (upload.school_class.grade, upload.school_class.number) if upload.school_class else None
    parsed = parse_rows(
        read_roster_file(bytes(upload.content), upload.filename),
        default_class=default_class,
        max_grade=school.grade_count,
    )
    return plan_import(school, parsed, allow_new_classes=upload.school_class is None, only_class=upload.school_class)


def group_rejections_by_reason(rejected: list[Rejection]) -> dict[str, list[int]]:
    grouped: dict[str, list[int]] = defaultdict(list)
    for r in rejected:
        grouped[r.reason].append(r.row)
    return dict(grouped)
