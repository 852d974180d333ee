"""The navigation: the phone's bottom tab bar, its badges, the 我的 page, and the top bar's fixed
number of queries whatever the size of the audience (home.context_processors.top_bar)."""

import pytest

from chat.actions import class_group, do_send
from contactbook.actions import do_record_contact
from notices.actions import TargetSpec, do_create_notice
from notices.fanout import fan_out
from schools.roles import compute_roles

pytestmark = pytest.mark.usefixtures("unscoped")


def _activity(cast, n):
    """n notices to the class, n messages in its group and n records shared with alice's family."""
    roles = compute_roles(cast.ms_li)
    group = class_group(cast.class1)
    for i in range(n):
        notice = do_create_notice(
            cast.school,
            acting_user=cast.ms_li,
            roles=roles,
            title=f"通知{i}",
            body_html="<p>x</p>",
            action="confirm",
            targets=[TargetSpec("class", class_id=cast.class1.pk)],
        )
        fan_out(notice)
        do_send(group, acting_user=cast.ms_li, body=f"消息{i}")
        do_record_contact(
            cast.school,
            acting_user=cast.ms_li,
            roles=roles,
            kind="phone",
            occurred_on=cast.term.start_date,
            student_ids=[cast.alice_child.pk],
            summary="x",
            shared=True,
            parent_summary=f"记录{i}",
        )


def _tab(page: str, href: str) -> str:
    """The tab bar's link to href, with its badge."""
    bar = page.split('class="tabbar"', 1)[1].split("</nav>", 1)[0]
    return bar.split(f'href="{href}"', 1)[1].split("</a>", 1)[0]


def test_a_parent_s_tabs_carry_the_badges(cast):
    _activity(cast, 3)
    page = cast.client(cast.alice).get("/", headers={"accept-language": "en"}).content.decode()
    assert 'aria-current="page"' in _tab(page, "/")
    assert 'class="tab-badge">3<span class="sr-only"> unread' in _tab(page, "/notices/")
    assert 'class="tab-badge">3<span class="sr-only"> unread' in _tab(page, "/chat/")
    assert 'class="tab-badge">3<span class="sr-only"> to acknowledge' in _tab(page, "/family/records/")
    assert 'href="/me/"' in page


def test_a_teacher_s_tabs_are_the_staff_ones(cast):
    _activity(cast, 1)
    page = cast.client(cast.ms_li).get("/notices/sent/", headers={"accept-language": "en"}).content.decode()
    assert 'aria-current="page"' in _tab(page, "/notices/sent/")
    assert "tab-badge" not in _tab(page, "/chat/")  # her own message is not unread for her
    assert 'href="/contacts/todo/"' in page.split('class="tabbar"', 1)[1]
    assert 'href="/family/records/"' not in page.split('class="tabbar"', 1)[1]


def test_the_me_page_lists_every_destination_of_the_role(cast):
    page = cast.client(cast.alice).get("/me/").content.decode()
    for href in (
        "/notices/",
        "/chat/",
        "/family/records/",
        "/calendar/",
        "/children/",
        "/family/",
        "/accounts/password/",
    ):
        assert f'href="{href}"' in page
    assert "/logout/" in page and "/notices/new/" not in page
    admin = cast.client(cast.admin_zhang).get("/me/").content.decode()
    for href in ("/notices/new/", "/notices/sent/", "/contacts/todo/", "/surveys/", "/events/", "/school/classes/"):
        assert f'href="{href}"' in admin
    assert 'aria-current="page"' in _tab(admin, "/me/")


def test_anonymous_pages_have_no_tab_bar_and_a_description(cast):
    page = cast.client().get("/login/").content.decode()
    assert 'class="tabbar"' not in page
    assert '<meta name="description" content="' in page


@pytest.mark.parametrize("n", [1, 25])
def test_the_top_bar_takes_a_fixed_number_of_queries(cast, django_assert_num_queries, n):
    """The /me/ page renders nothing but the navigation: its queries are the session, the user,
    the roles (a parent 2, staff 3) and the badges: notices 1, chat 2, the contact book 1 (a
    parent), the to-do list 3 (staff: the contact book, events, the term plan)."""
    _activity(cast, n)
    parent, teacher = cast.client(cast.alice), cast.client(cast.ms_li)
    with django_assert_num_queries(8):
        assert parent.get("/me/").status_code == 200
    with django_assert_num_queries(11):
        assert teacher.get("/me/").status_code == 200
