"""Records of a term for the rhythm tests (and the dashboards' tests): notices, events, chat,
contacts, care cases and evaluation answers, made directly (the readers are what is tested)."""

import datetime

from django.utils import timezone

from chat.models import Conversation, Message
from contactbook.models import CareCase, ContactRecord, ContactStudent
from events.models import Event
from notices.models import Notice, NoticeTarget, Receipt
from surveys.models import Answer, Question, Response, Survey


def at(day: datetime.date, hour: int = 10) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour)))


def notice(school, author, *, day, targets, kind=Notice.Kind.GENERAL, themed=False, action=Notice.Action.READ):
    n = Notice.objects.create(
        school=school,
        author=author,
        title="班级动态" if kind == Notice.Kind.CLASS_UPDATE else "通知",
        body_html="<p>x</p>",
        kind=kind,
        themed=themed,
        action=Notice.Action.NONE if kind == Notice.Kind.CLASS_UPDATE else action,
        status=Notice.Status.PUBLISHED,
        published_at=at(day),
    )
    for t in targets:
        NoticeTarget.objects.create(school=school, notice=n, **t)
    return n


def event(school, author, *, day, kind, targets):
    invitation = notice(school, author, day=day, targets=targets)
    return Event.objects.create(
        school=school,
        author=author,
        kind=kind,
        title="家长会",
        starts_at=at(day, 15),
        ends_at=at(day, 16),
        notice=invitation,
    )


def contact(school, term, author, student, *, day, kind=ContactRecord.Kind.SCHOOL_TALK, follow_up_on=None):
    record = ContactRecord.objects.create(
        school=school,
        term=term,
        author=author,
        kind=kind,
        occurred_on=day,
        summary="谈话",
        school_class=student.school_class,
        follow_up_on=follow_up_on,
    )
    ContactStudent.objects.create(school=school, record=record, student=student)
    return record


def care_case(school, student, by):
    return CareCase.objects.create(school=school, student=student, concern="learning", description="x", opened_by=by)


def class_group(school_class, by):
    return Conversation.objects.create(
        school=school_class.school, kind=Conversation.Kind.CLASS, school_class=school_class, created_by=by
    )


def chat_message(conversation, sender, *, when, kind=Message.Kind.TEXT, theme=""):
    return Message.objects.create(
        school=conversation.school,
        conversation=conversation,
        sender=sender,
        kind=kind,
        body="大家好",
        theme=theme,
        created_at=when,
    )


def evaluation_answer(school, author, student, guardian, *, day, rating):
    survey = Survey.objects.filter(school=school, series=Survey.Series.EVAL_PARENTS, period=day.replace(day=1)).first()
    if survey is None:
        survey = Survey.objects.create(
            school=school,
            author=author,
            title="月度评价",
            series=Survey.Series.EVAL_PARENTS,
            period=day.replace(day=1),
            status=Survey.Status.SENT,
        )
        Question.objects.create(school=school, survey=survey, kind=Question.Kind.RATING, text="及时吗？", key="timely")
    question = survey.questions.get()
    response = Response.objects.create(
        school=school,
        survey=survey,
        school_class=student.school_class,
        grade=student.school_class.grade,
        guardian=guardian,
        student=student,
        submitted_at=at(day),
    )
    Answer.objects.create(school=school, survey=survey, response=response, question=question, number=rating)
    return response


def receipt(notice_obj, guardian, *, read=False, acted=False):
    return Receipt.objects.create(
        school=notice_obj.school,
        notice=notice_obj,
        guardian=guardian,
        read_at=timezone.now() if read else None,
        acted_at=timezone.now() if acted else None,
    )
