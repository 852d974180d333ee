"""A little life in the demo school, so that `make run` shows every feature at work: 三年级2班's
head teacher has sent the class a notice to confirm, invited it to a parent meeting, sent this
month's evaluation (a few families have answered), recorded a call with the README parent's family
in the contact book (shared with them, with an agreed action now overdue), and the class group has
a pinned welcome, an answered question and one still waiting; the school admin has called the
class's teachers to a short meeting today. The README parent (schools.demo.DEMO_PARENT_PHONE, a
child in 三年级2班) has done none of it yet: everything waits in their feed, calendar, class group
and contact book. The head teacher's home page has something on each card: notices with their
rates, a question waiting, today's meeting, the to-do list."""

import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django_scopes import scopes_disabled

from schools.demo import DEMO_CLASS, DEMO_PARENT_PHONE
from schools.models import SchoolClass, StaffAssignment, StaffMember, StudentGuardian
from schools.queries import current_term
from schools.roles import compute_roles


def add_demo_activity(school) -> None:
    from chat.actions import class_group, do_pin, do_send
    from contactbook.actions import ActionSpec, do_record_contact
    from contactbook.models import ContactRecord, Topic
    from events.actions import EventFields, do_create_event
    from notices.actions import TargetSpec, do_create_notice
    from notices.fanout import fan_out
    from notices.models import Notice, Receipt
    from surveys.actions import do_answer, do_send_class_evaluation
    from surveys.models import Question

    with scopes_disabled():
        klass = SchoolClass.objects.get(school=school, grade=DEMO_CLASS[0], number=DEMO_CLASS[1])
        head = StaffAssignment.objects.get(school_class=klass, role="head", term__is_current=True).staff.user
        roles = compute_roles(head)
        today = timezone.localdate()
        # The rhythm's records first: what the head teacher sent and was asked most recently stays on top.
        first_admin = StaffMember.objects.filter(school=school, is_school_admin=True).select_related("user").first()
        current = current_term(school)
        if first_admin is not None and current is not None:
            _demo_rhythm(school, current, klass, head, roles, first_admin.user)
        notice = do_create_notice(
            school,
            acting_user=head,
            roles=roles,
            title="春季运动会通知",
            body_html="<p>下周五上午举行春季运动会，请孩子穿校服和运动鞋，带好水壶。家长可以到场观看。</p>",
            action=Notice.Action.CONFIRM,
            deadline=timezone.localtime().replace(hour=20, minute=0, second=0, microsecond=0)
            + datetime.timedelta(days=4),
            targets=[TargetSpec("class", class_id=klass.pk)],
        )
        fan_out(notice)
        starts = (timezone.localtime() + datetime.timedelta(days=3)).replace(hour=19, minute=0, second=0, microsecond=0)
        event = do_create_event(
            school,
            acting_user=head,
            roles=roles,
            fields=EventFields(
                kind="parent_meeting",
                title="三年级2班期中家长会",
                starts_at=starts,
                ends_at=starts + datetime.timedelta(minutes=90),
                place="三年级2班教室",
                description="通报期中学习情况，交流课后阅读与作息安排。",
                capacity=45,
            ),
            targets=[TargetSpec("class", class_id=klass.pk)],
        )
        assert event.notice is not None
        fan_out(event.notice)

        survey = do_send_class_evaluation(school, acting_user=head, roles=roles, class_id=klass.pk)
        assert survey.notice is not None
        fan_out(survey.notice)
        questions = list(survey.questions.all())
        receipts = Receipt.objects.filter(notice=survey.notice, guardian__user__isnull=False).select_related(
            "guardian__user"
        )
        receipts = receipts.exclude(guardian__phone=DEMO_PARENT_PHONE)  # theirs is left to try
        for i, receipt in enumerate(receipts[:7]):
            answers: dict = {}
            for q in questions:
                if q.kind == Question.Kind.MATRIX:
                    answers[str(q.pk)] = [4 + (i + r) % 2 for r in range(len(q.options))]
                elif q.kind in (Question.Kind.RATING, Question.Kind.NPS):
                    answers[str(q.pk)] = 4 if q.kind == Question.Kind.RATING else 8 + i % 3
                elif q.kind == Question.Kind.SINGLE:
                    answers[str(q.pk)] = i % len(q.options)
            do_answer(survey, receipt, answers)

        group = class_group(klass)
        welcome, _replies = do_send(
            group, acting_user=head, body="欢迎来到三年级2班家长群！有问题请在群里提问，老师看到后统一回答。"
        )
        do_pin(group, welcome.pk, acting_user=head)
        parents = list(
            StudentGuardian.objects.filter(student__school_class=klass, guardian__user__isnull=False)
            .exclude(guardian__phone=DEMO_PARENT_PHONE)
            .select_related("guardian__user")
            .order_by("pk")[:2]
        )
        if parents:
            question, _replies = do_send(group, acting_user=parents[0].guardian.user, body="请问周五的运动会几点集合？")
            do_send(group, acting_user=head, body="周五早上7:50在操场集合，请穿校服和运动鞋。", question_id=question.pk)
        if len(parents) > 1:  # left for the head teacher to answer: it waits on their home page
            do_send(group, acting_user=parents[1].guardian.user, body="下周的家长会可以带弟弟妹妹一起来吗？")

        # The admin calls the class's teachers to a short meeting today, the head teacher organising
        # (as late today as the clock allows: an event cannot start in the past).
        admin_member = StaffMember.objects.filter(school=school, is_school_admin=True).select_related("user").first()
        if admin_member is not None:
            admin = admin_member.user
            now = timezone.localtime()
            five_pm = now.replace(hour=17, minute=0, second=0, microsecond=0)
            soon = (now + datetime.timedelta(minutes=15)).replace(second=0, microsecond=0)
            meeting_starts = max(five_pm, soon)
            meeting = do_create_event(
                school,
                acting_user=admin,
                roles=compute_roles(admin),
                fields=EventFields(
                    kind="staff_training",
                    title="三年级2班任课教师碰头会",
                    starts_at=meeting_starts,
                    ends_at=meeting_starts + datetime.timedelta(minutes=30),
                    place="三年级教师办公室",
                    description="对一对期中家长会的分工：各科老师各讲五分钟。",
                ),
                targets=[TargetSpec("class_teachers", class_id=klass.pk)],
                organiser_ids=[head.pk],
            )
            assert meeting.notice is not None
            fan_out(meeting.notice)

        # A call with the README parent's family, shared with them: they acknowledge it in the book.
        # Three days ago (within the term), so that what was agreed then is overdue now.
        demo_child = StudentGuardian.objects.get(student__school_class=klass, guardian__phone=DEMO_PARENT_PHONE).student
        term = current_term(school)
        called_on = max(today - datetime.timedelta(days=3), term.start_date if term else today)
        do_record_contact(
            school,
            acting_user=head,
            roles=roles,
            kind=ContactRecord.Kind.PHONE,
            occurred_on=called_on,
            duration_minutes=10,
            participants="母亲",
            student_ids=[demo_child.pk],
            topics=[Topic.LEARNING, Topic.PRAISE],
            summary="孩子这学期课堂发言积极，阅读进步明显；家长反映在家作业拖拉。商定每天晚饭后先读二十分钟书再写作业。",
            shared=True,
            parent_summary="孩子这学期课堂发言积极，阅读进步明显。我们商定：每天晚饭后先读二十分钟书，再写作业。",
            follow_up_on=today + datetime.timedelta(days=14),
            action_items=[ActionSpec("把课外阅读书单发给家长", due_on=called_on + datetime.timedelta(days=1))],
        )
        _demo_volunteers(school, klass, head, roles)
        _demo_duty(school, klass, head, roles)
        _demo_committees(school, klass, head)
        _demo_fund(school, klass, head)
        _demo_feedback(school, klass, head)
        _demo_publishing(school, head)
        if admin_member is not None:
            from publishing.demo_contest import add_demo_contest

            add_demo_contest(school, klass, admin_member.user)
        if admin_member is not None and term is not None:
            _demo_plan(term, klass, head, admin_member.user, event)


def _demo_plan(term, klass, head, admin, event) -> None:
    """The current term's plan from the built-in template (in Chinese), issued. What was due before
    today is done, in 三年级2班 and by the admin, with notes as evidence; the class's next task is in
    progress with the class parent meeting above as its evidence. Nothing is left overdue, so the
    head teacher's to-do card still opens with the overdue action of the contact book."""
    from django.utils import translation

    from plans.actions import do_adopt_template, do_issue_plan, do_update_task
    from plans.models import PlanTask

    with translation.override("zh-hans"):
        plan = do_adopt_template(term, acting_user=admin)
    do_issue_plan(plan, acting_user=admin)
    today = timezone.localdate()
    notes = ["已完成，材料已存档。", "已在班级群公布。", "照片和签到表已上传到学校相册。"]
    mine = PlanTask.objects.filter(plan=plan).filter(Q(school_class=klass) | Q(owner=admin))
    for i, task in enumerate(mine.filter(due_on__lt=today).order_by("due_on", "pk")):
        do_update_task(
            task,
            status=PlanTask.Status.DONE,
            evidence_note=notes[i % len(notes)],
            version=task.version,
            acting_user=admin if task.owner_id else head,
        )
    upcoming = mine.filter(school_class=klass, due_on__gte=today).order_by("due_on", "pk").first()
    if upcoming is not None:
        do_update_task(
            upcoming,
            status=PlanTask.Status.IN_PROGRESS,
            evidence_event=event,
            version=upcoming.version,
            acting_user=head,
        )


def _demo_rhythm(school, term, klass, head, roles, admin) -> None:
    """Something on every chart of the dashboards (reports): class updates (班级动态) with photos
        read by some families, a themed discussion in the class group and one as a notice, a
        parent-school session for the grade, contacts by the head teacher, a message she sent late in
        the evening (the workload page), the evaluation answered above. No follow-up is left overdue: the
    head teacher's to-do card opens with the contact book's overdue action (see _demo_plan)."""
    from chat.actions import class_group, do_mark_theme, do_send
    from chat.models import Message
    from contactbook.actions import do_record_contact
    from contactbook.models import ContactRecord, Topic
    from events.actions import EventFields, do_create_event
    from notices.actions import TargetSpec, do_create_notice, do_mark_read
    from notices.fanout import fan_out
    from notices.models import Notice

    group = class_group(klass)
    parents = list(
        StudentGuardian.objects.filter(student__school_class=klass, guardian__user__isnull=False)
        .exclude(guardian__phone=DEMO_PARENT_PHONE)
        .select_related("guardian__user")
        .order_by("pk")[:1]
    )
    updates = [
        ("本周班级动态：植物角开张了", "<p>孩子们带来了绿萝和多肉，轮流浇水记录生长。</p>"),
        ("本周班级动态：阅读之星", "<p>本周共读《夏洛的网》，五位同学分享了读后感。</p>"),
        ("本周班级动态：大扫除", "<p>全班一起打扫教室和包干区，评为卫生示范班。</p>"),
    ]
    for title, body in updates:
        update = do_create_notice(
            school,
            acting_user=head,
            roles=roles,
            title=title,
            body_html=body,
            action=Notice.Action.NONE,
            kind=Notice.Kind.CLASS_UPDATE,
            targets=[TargetSpec("class", class_id=klass.pk)],
        )
        fan_out(update)
        for link in parents:
            do_mark_read(update, acting_user=link.guardian.user)
    themed = do_create_notice(
        school,
        acting_user=head,
        roles=roles,
        title="本月主题讨论：孩子的手机使用",
        body_html="<p>欢迎家长在班级群分享家里的做法：用多久、怎么约定。</p>",
        action=Notice.Action.READ,
        themed=True,
        targets=[TargetSpec("class", class_id=klass.pk)],
    )
    fan_out(themed)
    opening, _replies = do_send(group, acting_user=head, body="本月主题讨论：如何陪孩子课外阅读？欢迎分享。")
    do_mark_theme(group, opening.pk, "如何陪孩子课外阅读", acting_user=head)
    late, _replies = do_send(group, acting_user=head, body="明天记得带美术工具。")
    yesterday_evening = timezone.localtime().replace(hour=22, minute=15, second=0, microsecond=0) - datetime.timedelta(
        days=1
    )
    if yesterday_evening.date() >= term.start_date:  # reviewed: demo data, a message "sent" late last night
        Message.objects.filter(pk=late.pk).update(created_at=yesterday_evening)
    starts = (timezone.localtime() + datetime.timedelta(days=10)).replace(hour=19, minute=0, second=0, microsecond=0)
    session = do_create_event(
        school,
        acting_user=admin,
        roles=compute_roles(admin),
        fields=EventFields(
            kind="parent_school",
            title="家长学校：如何与孩子谈学习",
            starts_at=starts,
            ends_at=starts + datetime.timedelta(minutes=60),
            place="学校报告厅",
        ),
        targets=[TargetSpec("grade", grade=klass.grade)],
    )
    assert session.notice is not None
    fan_out(session.notice)
    today = timezone.localdate()
    students = list(
        StudentGuardian.objects.filter(student__school_class=klass)
        .exclude(guardian__phone=DEMO_PARENT_PHONE)
        .values_list("student_id", flat=True)
        .order_by("student_id")
        .distinct()[:6]
    )
    for i, student_id in enumerate(students):
        do_record_contact(
            school,
            acting_user=head,
            roles=roles,
            kind=ContactRecord.Kind.SCHOOL_TALK if i % 2 else ContactRecord.Kind.PHONE,
            occurred_on=max(today - datetime.timedelta(days=i + 1), term.start_date),
            duration_minutes=10,
            participants="家长",
            student_ids=[student_id],
            topics=[Topic.LEARNING],
            summary="交流了孩子近期的学习和作息情况。",
        )


def _demo_volunteers(school, klass, head, roles) -> None:
    """三年级2班 asks for helpers at the sports meet in six days: two of its families have offered to
    help and taken places; the README parent has not, and can. Run twice, it adds nothing."""
    from community.actions import ActivityFields, SlotSpec, do_create_activity, do_register_volunteer, do_sign_up
    from community.models import VolunteerActivity
    from notices.fanout import fan_out
    from schools.models import Guardian

    if VolunteerActivity.objects.filter(school=school, school_class=klass).exists():
        return
    day = timezone.localtime() + datetime.timedelta(days=6)
    at = lambda h: day.replace(hour=h, minute=0, second=0, microsecond=0)  # noqa: E731
    activity = do_create_activity(
        school,
        acting_user=head,
        roles=roles,
        school_class=klass,
        fields=ActivityFields(
            kind="sports_meet",
            title="秋季亲子运动会志愿者",
            place="学校操场东门",
            description="运动会需要家长志愿者协助检录和维持赛道秩序，请穿运动鞋。",
            withdraw_until=at(8) - datetime.timedelta(days=2),
            slots=[SlotSpec("检录", at(8), at(10), 3), SlotSpec("赛道秩序", at(10), at(12), 2)],
        ),
    )
    assert activity.notice is not None
    fan_out(activity.notice)
    slots = list(activity.slots.order_by("starts_at"))
    helpers = (
        Guardian.objects.filter(student_links__student__school_class=klass, user__isnull=False)
        .exclude(phone=DEMO_PARENT_PHONE)
        .distinct()
        .order_by("pk")[:2]
    )
    for guardian, skills, slot in zip(helpers, ("摄影", "急救证"), slots, strict=False):
        volunteer = do_register_volunteer(
            guardian, acting_user=guardian.user, skills=skills, availability="周末、工作日上午"
        )
        do_sign_up(slot, volunteer, acting_user=guardian.user)


def _demo_duty(school, klass, head, roles) -> None:
    """三年级2班's 护学岗 roster, published: two weeks of shifts done (each fed into the class's
    quantification, one no-show among them), four weeks to come proposed by Tongxin, and one swap two
    families agreed. Idempotent: nothing happens if the class has a roster."""
    from community.actions import (
        do_add_shifts,
        do_answer_swap,
        do_create_roster,
        do_propose_rotation,
        do_publish_roster,
        do_record_attendance,
        do_request_swap,
    )
    from community.models import DutyAssignment, DutyRoster, DutyShift
    from notices.fanout import fan_out

    if DutyRoster.objects.filter(school_class=klass).exists():
        return
    term = current_term(school)
    if term is None:
        return
    today = timezone.localdate()
    roster = do_create_roster(school, acting_user=head, term=term, title="三年级2班护学岗", school_class=klass)
    families = list(roster.families.order_by("pk"))
    # The two weeks gone by (shifts that have happened cannot be added through the form: written here).
    past_days = [today - datetime.timedelta(days=d) for d in range(1, 15)]
    past_days = [d for d in past_days if d.weekday() < 5 and d >= term.start_date]
    past = DutyShift.objects.bulk_create(
        [
            DutyShift(
                school=school,
                roster=roster,
                date=d,
                starts_at=datetime.time(7, 20),
                ends_at=datetime.time(8, 0),
                place="校门口",
                families_needed=2,
            )
            for d in sorted(past_days)
        ]
    )
    turn = 0
    for shift in past:
        for _ in range(2):
            if not families:
                break
            a = DutyAssignment.objects.create(school=school, shift=shift, family=families[turn % len(families)])
            turn += 1
            missed = turn == 3  # one no-show, so the quantification shows both kinds
            do_record_attendance(a, acting_user=head, status="no_show" if missed else "done")
    first = today + datetime.timedelta(days=1)
    do_add_shifts(
        roster,
        acting_user=head,
        first=first,
        last=first + datetime.timedelta(weeks=4),
        starts_at="07:20",
        ends_at="08:00",
        place="校门口",
        families_needed=2,
    )
    do_propose_rotation(roster, acting_user=head)
    notice = do_publish_roster(roster, acting_user=head, roles=roles)
    fan_out(notice)
    upcoming = list(
        DutyAssignment.objects.filter(shift__roster=roster, shift__date__gt=today)
        .select_related("shift__roster", "family")
        .order_by("shift__date", "pk")
    )
    for mine in upcoming[:2]:  # one swap: the first family on duty gives its shift for a later one
        for theirs in upcoming[4:]:
            if theirs.family_id == mine.family_id:
                continue
            asker = mine.family.guardians.exclude(user=None).first()
            try:
                with transaction.atomic():
                    swap = do_request_swap(mine, acting_user=asker.user if asker else head, in_return_id=theirs.pk)
                    answerer = theirs.family.guardians.exclude(user=None).first()
                    do_answer_swap(swap, acting_user=answerer.user if answerer else head, accept=True)
            except ValidationError:
                continue  # that family is on the same morning already: try the next
            return


def _demo_committees(school, klass, head) -> None:
    """三年级2班's parent committee of this school year: a chair, a treasurer, a publicity member
    and the README parent as a member (community, section committees). Safe to run twice."""
    from community.actions import do_add_committee_member, do_start_committee
    from community.models import CommitteeMember

    committee, _left_out = do_start_committee(school, level="class", school_class=klass, acting_user=head)
    guardians = list(
        dict.fromkeys(
            StudentGuardian.objects.filter(
                student__school_class=klass, student__status="active", guardian__user__isnull=False
            )
            .exclude(guardian__phone=DEMO_PARENT_PHONE)
            .order_by("student__student_number", "guardian_id")
            .values_list("guardian_id", flat=True)[:12]
        )
    )[:3]
    readme_parent = StudentGuardian.objects.filter(
        student__school_class=klass, guardian__phone=DEMO_PARENT_PHONE
    ).values_list("guardian_id", flat=True)[:1]
    seats = list(zip(guardians, ["chair", "treasurer", "publicity"], strict=False)) + [
        (g, "member") for g in readme_parent
    ]
    for guardian_id, role in seats:
        if not CommitteeMember.objects.filter(committee=committee, guardian_id=guardian_id).exists():
            do_add_committee_member(committee, guardian_id=guardian_id, role=role, acting_user=head)


def _demo_fund(school, klass, head) -> None:
    """三年级2班's class fund: the treasurer has recorded the term's collection and three expenses
    with their receipts, the chair has countersigned all but the last, which waits for another
    member (the README parent can countersign it). Safe to run twice."""
    import struct
    import zlib

    from django.core.files.uploadedfile import SimpleUploadedFile

    from community.actions import accept_receipt, do_countersign_entry, do_record_entry
    from community.models import CommitteeMember, LedgerEntry

    if LedgerEntry.objects.filter(school_class=klass).exists():
        return
    seats = {
        m.role: m.guardian.user
        for m in CommitteeMember.objects.filter(
            committee__school_class=klass, left_on__isnull=True, guardian__user__isnull=False
        ).select_related("guardian__user")
    }
    treasurer, chair = seats.get("treasurer"), seats.get("chair")
    if treasurer is None or chair is None:
        return  # the demo's guardians have not signed in: nobody to keep the accounts

    def receipt(color: bytes) -> SimpleUploadedFile:
        def chunk(kind: bytes, data: bytes) -> bytes:
            return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

        png = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0))
        png += chunk(b"IDAT", zlib.compress(b"\x00" + color)) + chunk(b"IEND", b"")
        return SimpleUploadedFile("receipt.png", png)

    today = timezone.localdate()
    term = current_term(school)
    start = max(term.start_date if term else today, today - datetime.timedelta(days=60))
    lines = [
        ("income", "2000.00", start, "本学期班费（40户×50元）", None, True),
        ("expense", "356.80", start + datetime.timedelta(days=10), "图书角新书12本", b"\xcc\x33\x33", True),
        ("expense", "128.00", start + datetime.timedelta(days=30), "运动会饮用水和横幅", b"\x33\x99\x33", True),
        ("expense", "45.50", today, "期中表彰奖状打印", b"\x33\x33\xcc", False),
    ]
    for kind, amount, day, purpose, color, sign in lines:
        entry = do_record_entry(
            klass,
            kind=kind,
            amount=amount,
            occurred_on=min(day, today),
            purpose=purpose,
            receipt=accept_receipt(receipt(color)) if color else None,
            acting_user=treasurer,
        )
        if sign:
            do_countersign_entry(entry, acting_user=chair)


def _demo_feedback(school, klass, head) -> None:
    """The suggestion box with a suggestion at every step: one just sent (anonymous), one
    acknowledged, one answered, one decided with its rectification open, and one done, answered
    publicly ("you said, we did"). Canteen suggestions go to the admin's 后勤处 within a day."""
    from feedback.actions import (
        do_acknowledge,
        do_close_rectification,
        do_close_suggestion,
        do_decide,
        do_open_rectification,
        do_publish_answer,
        do_reply,
        do_set_route,
        do_submit_suggestion,
    )

    admin = StaffMember.objects.filter(school=school, is_school_admin=True).order_by("pk").first()
    if admin is None:
        return
    do_set_route(
        school,
        acting_user=admin.user,
        kind="canteen",
        head_teacher=False,
        owner_id=admin.user_id,
        department="后勤处",
        ack_hours=24,
    )
    parents = [
        g.guardian.user
        for g in StudentGuardian.objects.filter(student__school_class=klass, guardian__user__isnull=False)
        .select_related("guardian__user")
        .order_by("pk")[:5]
    ]
    if not parents:
        return

    def send(i, kind, text, **kw):
        where = klass if kind == "class" else None
        return do_submit_suggestion(
            school, where, acting_user=parents[i % len(parents)], kind=kind, text=text, **kw
        ).suggestion

    send(0, "class", "教室后排看不清黑板，能否调整座位轮换？", anonymous=True)
    s = send(1, "class", "希望每周五能把下周的作业安排提前告诉家长。")
    do_acknowledge(s, acting_user=head)
    s = send(2, "canteen", "午饭的汤有时候是凉的。")
    do_reply(s, acting_user=admin.user, reply="谢谢反馈，后勤处已和食堂沟通，改用保温桶。")
    s = send(3, "safety", "放学时校门口车辆太多，孩子过马路不安全。", public_consent=True)
    do_reply(s, acting_user=admin.user, reply="已联系交警，放学时段增加护学岗。")
    do_decide(s, acting_user=admin.user, decision="放学时段校门口设家长志愿护学岗，并申请交警协助。")
    do_open_rectification(
        s,
        acting_user=admin.user,
        what="排出护学岗值班表并与交警对接",
        owner_id=admin.user_id,
        due_on=timezone.localdate() + datetime.timedelta(days=7),
    )
    s = send(4, "class", "图书角的书太旧了，希望能更新一批。", public_consent=True)
    do_reply(s, acting_user=head, reply="好建议！班级会组织一次图书漂流。")
    do_decide(s, acting_user=head, decision="每月一次图书漂流，家委会协助采购新书。")
    rect = do_open_rectification(
        s, acting_user=head, what="采购二十本新书", owner_id=head.pk, due_on=timezone.localdate()
    )
    do_close_rectification(rect, acting_user=head, note="已采购二十本新书，放入图书角。")
    do_close_suggestion(s, acting_user=head)
    do_publish_answer(s, acting_user=head, answer="图书角已更新二十本新书，今后每月一次图书漂流。")


def _demo_publishing(school, head) -> None:
    """The family-education column with a few articles (one on the public page, one in the
    teachers' space, one waiting for review), and issue 8 of the parent newspaper (家长报), sent to
    every family, with an article, a photo and short items."""
    import io

    from django.core.files.uploadedfile import SimpleUploadedFile
    from PIL import Image

    from publishing.actions_articles import do_review_article, do_save_article, do_submit_article
    from publishing.actions_newspaper import accept_photo, do_add_section, do_create_issue, do_send_issue

    admin = StaffMember.objects.filter(school=school, is_school_admin=True).order_by("pk").first()
    if admin is None:
        return
    pieces = [
        (
            "睡前二十分钟：亲子共读的三个小习惯",
            "reading",
            1,
            3,
            True,
            "<p>每天睡前和孩子一起读二十分钟书。</p><ul><li>让孩子自己挑书；</li><li>读完聊一聊书里的人物；</li>"
            "<li>家长也读自己的书，做孩子的榜样。</li></ul>",
        ),
        (
            "作业拖拉怎么办？",
            "learning",
            2,
            4,
            False,
            "<p>先定时间、再定顺序：晚饭后先做最难的一科，每做完一项休息五分钟。家长陪伴而不代替。</p>",
        ),
        (
            "和孩子谈谈情绪",
            "emotions",
            None,
            None,
            False,
            "<p>孩子发脾气时，先接住情绪，再讲道理。“你现在很生气，对吗？”比“不许哭”更有用。</p>",
        ),
    ]
    published = []
    for title, topic, low, high, public, body in pieces:
        article = do_save_article(
            school,
            acting_user=head,
            title=title,
            body_html=body,
            topic=topic,
            grade_from=low,
            grade_to=high,
            allow_comments=True,
        )
        do_submit_article(article, acting_user=head)
        do_review_article(article, acting_user=admin.user, publish=True, public=public)
        published.append(article)
    staff_piece = do_save_article(
        school,
        acting_user=head,
        space="staff",
        topic="classroom",
        title="班级日志轮值：我的做法",
        body_html="<p>每天两名同学轮流写班级日志，周五在班会上读一读，孩子们很期待。</p>",
    )
    do_submit_article(staff_piece, acting_user=head)
    do_review_article(staff_piece, acting_user=admin.user, publish=True)
    waiting = do_save_article(
        school,
        acting_user=head,
        topic="health",
        title="冬季作息小贴士",
        body_html="<p>天冷了，早睡半小时，早餐吃热的。</p>",
    )
    do_submit_article(waiting, acting_user=head)

    today = timezone.localdate()
    issue = do_create_issue(
        school, acting_user=admin.user, number=8, date=datetime.date(today.year, 5, 20), title="五月刊"
    )
    do_add_section(issue, acting_user=admin.user, kind="article", article=published[0])
    buffer = io.BytesIO()
    Image.new("RGB", (640, 400), (190, 220, 240)).save(buffer, format="PNG")
    photo = accept_photo(SimpleUploadedFile("运动会.png", buffer.getvalue(), content_type="image/png"))
    do_add_section(
        issue, acting_user=admin.user, kind="photo", heading="春季运动会", text="接力赛上的三年级2班", photo=photo
    )
    do_add_section(
        issue,
        acting_user=admin.user,
        kind="item",
        heading="温馨提示",
        text="五一假期注意出行安全；返校时请带好作业和红领巾。",
    )
    do_add_section(issue, acting_user=admin.user, kind="article", article=published[1])
    do_send_issue(issue, acting_user=admin.user, roles=compute_roles(admin.user))
