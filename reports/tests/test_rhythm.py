"""The class rhythm, measured (reports.rhythm): each rule's figure, target and state per class, from
the records, with a fixed number of queries whatever the size of the school."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from contactbook.models import ContactRecord
from events.models import Event
from notices.models import Notice, NoticeTarget
from reports import rhythm
from reports.models import RhythmRules
from schools.models import Enrollment, SchoolClass, Student

from .rhythm_records import (
    at,
    care_case,
    chat_message,
    class_group,
    contact,
    evaluation_answer,
    event,
    notice,
    receipt,
)

pytestmark = pytest.mark.usefixtures("unscoped")


def term_records(cast, today: datetime.date):
    """Class 1 keeps its rhythm for updates and themed discussions; class 2 posts nothing. A
    school-wide parent meeting, a parent-school session for grade 3, one staff training."""
    period = rhythm.period_of(cast.term, today)
    due = max(1, int(period.weeks * period.fraction))
    start = cast.term.start_date
    for i in range(due):
        notice(
            cast.school,
            cast.ms_li,
            day=min(start + datetime.timedelta(days=7 * i), today),
            kind=Notice.Kind.CLASS_UPDATE,
            targets=[{"kind": NoticeTarget.Kind.CLASS, "school_class": cast.class1}],
        )
    for _ in range(period.months):
        notice(
            cast.school,
            cast.ms_li,
            day=today,
            themed=True,
            targets=[{"kind": NoticeTarget.Kind.CLASS, "school_class": cast.class1}],
        )
    event(
        cast.school,
        cast.admin_zhang,
        day=today,
        kind=Event.Kind.PARENT_MEETING,
        targets=[{"kind": NoticeTarget.Kind.SCHOOL}],
    )
    event(
        cast.school,
        cast.admin_zhang,
        day=today,
        kind=Event.Kind.PARENT_SCHOOL,
        targets=[{"kind": NoticeTarget.Kind.GRADE, "grade": 3}],
    )
    Event.objects.create(
        school=cast.school,
        author=cast.admin_zhang,
        kind=Event.Kind.STAFF_TRAINING,
        title="班主任培训",
        starts_at=at(today, 14),
        ends_at=at(today, 16),
    )
    for _ in range(2):
        contact(cast.school, cast.term, cast.ms_li, cast.alice_child, day=today)
    care_case(cast.school, cast.bob_child, cast.ms_li)
    contact(cast.school, cast.term, cast.ms_li, cast.bob_child, day=today, kind=ContactRecord.Kind.PHONE)
    evaluation_answer(cast.school, cast.admin_zhang, cast.alice_child, cast.alice_guardian, day=today, rating=4)


def test_each_rule_per_class(school_day, cast):
    today = timezone.localdate()
    term_records(cast, today)
    # School B's class update reaches no class of school A.
    notice(
        cast.school_b,
        cast.dave,
        day=today,
        kind=Notice.Kind.CLASS_UPDATE,
        targets=[{"kind": NoticeTarget.Kind.SCHOOL}],
    )
    rows = {row.school_class.pk: row for row in rhythm.class_rhythm(cast.school, cast.term, today=today)}
    one, two = rows[cast.class1.pk], rows[cast.class2.pk]
    assert one.head_teacher == "李老师" and one.students == 2 and two.students == 1

    assert one.figure("updates").state == rhythm.MET
    assert two.figure("updates").value == 0 and two.figure("updates").state == rhythm.BEHIND
    assert one.figure("themed").state == rhythm.MET and two.figure("themed").value == 0
    # The school-wide meeting and the grade's session reach both classes; the training is the school's.
    assert one.figure("meetings").value == 1 == two.figure("meetings").value
    assert one.figure("parent_school").value == 1 == two.figure("parent_school").value
    assert one.figure("trainings").value == 1
    # Alice's child has two contacts, Bob's one: half the class is covered (target 100 %).
    coverage = one.figure("coverage")
    assert coverage.value == 50.0 and coverage.state == rhythm.BEHIND and "1" in coverage.detail
    # Bob's child is of concern and was phoned this month; class 2 has no student of concern.
    assert one.figure("follow_up").value == 100.0 and one.figure("follow_up").state == rhythm.MET
    assert two.figure("follow_up").state == rhythm.NOT_APPLICABLE
    assert one.figure("evaluation").value == 50.0 and one.figure("evaluation").state == rhythm.BEHIND
    assert two.figure("evaluation").value == 0.0


def test_a_themed_chat_message_counts(school_day, cast):
    today = timezone.localdate()
    group = class_group(cast.class2, cast.admin_zhang)
    chat_message(group, cast.admin_zhang, when=at(today), theme="如何陪孩子阅读")
    chat_message(group, cast.admin_zhang, when=at(today))
    rows = {row.school_class.pk: row for row in rhythm.class_rhythm(cast.school, cast.term, today=today)}
    assert rows[cast.class2.pk].figure("themed").value == 1
    assert rows[cast.class1.pk].figure("themed").value == 0


def test_the_schools_own_rules(school_day, cast):
    today = timezone.localdate()
    RhythmRules.objects.create(school=cast.school, meetings_per_term=1, coverage_percent=50, evaluation_percent=50)
    term_records(cast, today)
    one = rhythm.class_rhythm(cast.school, cast.term, today=today, class_ids=[cast.class1.pk])
    assert len(one) == 1
    assert one[0].figure("meetings").state == rhythm.MET and one[0].figure("meetings").target == 1
    assert one[0].figure("coverage").state == rhythm.MET
    assert one[0].figure("evaluation").state == rhythm.MET


def test_after_the_term_what_was_not_done_is_missed(school_day, cast):
    today = timezone.localdate()
    term_records(cast, today)
    after = cast.term.end_date + datetime.timedelta(days=3)
    rows = {row.school_class.pk: row for row in rhythm.class_rhythm(cast.school, cast.term, today=after)}
    two = rows[cast.class2.pk]
    assert two.figure("updates").state == rhythm.MISSED
    # Two parent meetings a term: one was held.
    assert two.figure("meetings").state == rhythm.MISSED
    summary = rhythm.summarise(list(rows.values()))
    meetings = next(s for s in summary if s.rule.key == "meetings")
    assert meetings.missed == 2 and meetings.classes == 2


def test_read_confirm_unanswered_overdue(school_day, cast):
    today = timezone.localdate()
    n = notice(
        cast.school,
        cast.ms_li,
        day=today,
        action=Notice.Action.CONFIRM,
        targets=[{"kind": NoticeTarget.Kind.CLASS, "school_class": cast.class1}],
    )
    from schools.models import Guardian

    bob_guardian = Guardian.objects.get(user=cast.bob)
    receipt(n, cast.alice_guardian, read=True, acted=True)
    receipt(n, bob_guardian, read=True)
    group = class_group(cast.class1, cast.ms_li)
    from chat.models import Message

    chat_message(group, cast.alice, when=at(today, 9), kind=Message.Kind.QUESTION)
    contact(
        cast.school,
        cast.term,
        cast.ms_li,
        cast.alice_child,
        day=today,
        follow_up_on=today - datetime.timedelta(days=1),
    )
    one = rhythm.class_rhythm(cast.school, cast.term, today=today, class_ids=[cast.class1.pk])[0]
    assert one.read_rate == 100.0 and one.confirm_rate == 50.0
    assert one.unanswered == 1 and one.overdue == 1


def test_satisfaction_per_month(school_day, cast):
    today = timezone.localdate()
    evaluation_answer(cast.school, cast.admin_zhang, cast.alice_child, cast.alice_guardian, day=today, rating=5)
    evaluation_answer(cast.school, cast.admin_zhang, cast.carol_child, None, day=today, rating=3)
    months = rhythm.satisfaction(cast.school, cast.term.start_date, today)
    assert [(m.month, m.average, m.answers) for m in months] == [(today.replace(day=1), 4.0, 2)]
    mine = rhythm.satisfaction(cast.school, cast.term.start_date, today, class_ids=[cast.class2.pk])
    assert mine[0].average == 3.0


def _grow(cast, classes: int) -> None:
    """More classes, each with students, updates, contacts and a question: the school grows."""
    today = timezone.localdate()
    for i in range(classes):
        klass = SchoolClass.objects.create(school=cast.school, grade=4 + i % 2, number=10 + i)
        for j in range(3):
            student = Student.objects.create(school=cast.school, name=f"学生{i}-{j}", school_class=klass)
            Enrollment.objects.create(
                school=cast.school, term=cast.term, student=student, school_class=klass, class_name=klass.name
            )
            contact(cast.school, cast.term, cast.ms_li, student, day=today)
        notice(
            cast.school,
            cast.ms_li,
            day=today,
            kind=Notice.Kind.CLASS_UPDATE,
            targets=[{"kind": NoticeTarget.Kind.CLASS, "school_class": klass}],
        )


def test_queries_do_not_grow_with_the_school(school_day, cast):
    today = timezone.localdate()
    term_records(cast, today)
    with CaptureQueriesContext(connection) as small:
        rhythm.class_rhythm(cast.school, cast.term, today=today)
    _grow(cast, 12)
    with CaptureQueriesContext(connection) as big:
        rows = rhythm.class_rhythm(cast.school, cast.term, today=today)
    assert len(rows) == 14
    assert len(big.captured_queries) == len(small.captured_queries) <= 16
