import json as jsonlib
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django_scopes import scope, scopes_disabled

from core.classnames import InvalidClassName, parse_class_name
from schools.actions import do_import_roster
from schools.models import School
from schools.roster import parse_rows, plan_import
from schools.rosterfile import RosterFileError, read_roster_file


class Command(BaseCommand):
    help = "Import a roster (.xlsx, .xls or .csv) into a school: 导入学生花名册。"

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument("--school", help="school code (may be left out where there is one school)")
        parser.add_argument("--class", dest="class_name", help="the class of every row, e.g. 三年级2班 or 三(2)班")
        parser.add_argument("--dry-run", action="store_true", help="show what would change, change nothing")
        parser.add_argument("--json", action="store_true", help="print one JSON object")

    def handle(self, *args, file, school=None, class_name=None, dry_run=False, json=False, **options):
        with scopes_disabled():  # reviewed: the command picks its school, then works inside its scope
            schools = School.objects.filter(code=school) if school else School.objects.all()
            found = list(schools[:2])
        if not found:
            raise CommandError(f"No school with code {school!r}." if school else "There is no school yet.")
        if len(found) > 1:
            raise CommandError("There are several schools: say which one with --school CODE.")
        target = found[0]
        path = Path(file)
        if not path.is_file():
            raise CommandError(f"No such file: {file}")
        default_class = None
        if class_name:
            try:
                default_class = parse_class_name(class_name, max_grade=target.grade_count)
            except InvalidClassName:
                raise CommandError(f"The class {class_name!r} cannot be understood; write it like 三年级2班.") from None
        with scope(school=[target.pk]):
            try:
                parsed = parse_rows(
                    read_roster_file(path.read_bytes(), path.name),
                    default_class=default_class,
                    max_grade=target.grade_count,
                )
                plan = plan_import(target, parsed, allow_new_classes=True)
            except RosterFileError as exc:
                raise CommandError(str(exc)) from None
            summary = plan.summary() if dry_run else do_import_roster(plan, acting_user=None, filename=path.name)
        if json:
            self.stdout.write(jsonlib.dumps(summary, ensure_ascii=False))
            return
        verb = "Would change" if dry_run else "Imported"
        self.stdout.write(
            f"{verb}: {summary['students_created']} students created, {summary['students_updated']} updated, "
            f"{summary['guardians_created']} guardians created, {summary['guardians_linked']} links, "
            f"{summary['classes_created']} classes created; {len(summary['rejected'])} rows refused."
        )
        for rejection in summary["rejected"]:
            self.stdout.write(f"  row {rejection['row']}: {rejection['reason']}")
