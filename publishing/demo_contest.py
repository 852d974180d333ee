"""The demo school's essay contest "我的教育故事", being judged: the call closed yesterday, four
families of the demo class and a teacher of another class sent their stories, two judges from
other classes (no tie to any author) have each entry, some are scored, one with the judges far
apart (a disagreement the organiser sees). home/demo.py calls it."""

import datetime

from django.core.exceptions import ValidationError
from django.utils import timezone

from schools.models import StaffAssignment, StaffMember, StudentGuardian
from schools.roles import compute_roles

from .actions_contest import do_add_judge, do_assign_judges, do_create_contest, do_score, do_submit_entry
from .models import Assignment, Contest

STORIES = [
    ("陪孩子读完一本书", "这个学期我们约定每天晚饭后一起读二十分钟书。一开始孩子坐不住，后来主动催我：“该读书了！”"),
    (
        "一次没有吼叫的作业辅导",
        "那天孩子的数学题又错了三道。我深吸一口气，请孩子当小老师给我讲一遍，讲着讲着他自己发现了错在哪里。",
    ),
    ("学做家务", "周末我们给孩子安排了一项家务：洗自己的袜子。第一次洗得满地是水，第三次已经像模像样了。"),
    (
        "运动会上的最后一名",
        "孩子跑了最后一名，回家哭了。我们没有安慰“没关系”，而是一起看了他冲过终点时的照片：他一直没有停下。",
    ),
]


def add_demo_contest(school, klass, admin_user) -> Contest | None:
    try:
        contest = do_create_contest(
            school,
            acting_user=admin_user,
            title="我的教育故事",
            theme="家庭教育中的一件小事",
            rules="每位家长或教师限投一篇，1500字以内；可直接填写，也可上传 Word（.docx）或 PDF。请勿在作品中署名。",
            audience=Contest.Audience.BOTH,
            deadline=timezone.now() + datetime.timedelta(minutes=5),
            criteria=[("立意", 40, 10), ("内容", 40, 10), ("文采", 20, 10)],
        )
        parents = [
            link.guardian.user
            for link in StudentGuardian.objects.filter(student__school_class=klass, guardian__user__isnull=False)
            .select_related("guardian__user")
            .order_by("pk")[: len(STORIES)]
        ]
        for user, (title, text) in zip(parents, STORIES, strict=False):
            do_submit_entry(contest, acting_user=user, roles=compute_roles(user), title=title, text=text)
        tied = set(
            StaffAssignment.objects.filter(school_class=klass, term__is_current=True).values_list(
                "staff__user_id", flat=True
            )
        )
        free = [
            m.user
            for m in StaffMember.objects.filter(school=school, is_active=True, is_school_admin=False)
            .select_related("user")
            .order_by("pk")
            if m.user_id not in tied
        ][:3]
        if len(free) < 2:
            return contest
        for user in free:
            do_add_judge(contest, acting_user=admin_user, user_id=user.pk)
        # The call closed yesterday.
        Contest.objects.filter(pk=contest.pk).update(deadline=timezone.now() - datetime.timedelta(days=1))
        contest.refresh_from_db()
        do_assign_judges(contest, acting_user=admin_user)
        criteria = list(contest.criteria.all())
        scored = list(Assignment.objects.filter(entry__contest=contest).select_related("entry__contest", "judge"))
        for i, a in enumerate(scored[:5]):
            values = [9, 8, 9] if i != 1 else [4, 3, 5]  # the second copy: far from its other judge
            do_score(
                a,
                acting_user=a.judge,
                values={c.pk: v for c, v in zip(criteria, values, strict=True)},
                comment="真情实感，细节生动。" if i != 1 else "结构松散。",
            )
        return contest
    except ValidationError:
        return None
