"""A staff member of several schools chooses the school they work in (issue 20: the session's
choice was read by access_staff_school and access_admin_school but no page ever set it)."""

import pytest

from schools.models import StaffMember

pytestmark = pytest.mark.usefixtures("unscoped")


@pytest.fixture
def li_in_two_schools(cast):
    StaffMember.objects.create(school=cast.school_b, user=cast.ms_li)
    return cast.client(cast.ms_li)


def test_a_teacher_of_two_schools_switches_and_the_pages_follow(cast, li_in_two_schools):
    li = li_in_two_schools
    page = li.get("/me/").content.decode()
    assert "阳光小学" in page and "明德小学" in page
    assert li.post("/school/switch/", {"school": cast.school_b.pk}).status_code == 302
    assert li.session["school_id"] == cast.school_b.pk
    assert f'<option value="{cast.school_b.pk}" selected>' in li.get("/me/").content.decode()
    # The to-do page and the staff pages now read school B: none of school A's children show.
    assert "刘小明" not in li.get("/events/new/").content.decode()
    li.post("/school/switch/", {"school": cast.school.pk})
    assert "刘小明" in li.get("/events/new/").content.decode()


def test_nobody_switches_into_a_school_they_do_not_work_in(cast, li_in_two_schools):
    assert cast.client(cast.mr_wang).post("/school/switch/", {"school": cast.school_b.pk}).status_code == 404
    assert cast.client(cast.dave).post("/school/switch/", {"school": cast.school.pk}).status_code == 404
    assert cast.client(cast.alice).post("/school/switch/", {"school": cast.school.pk}).status_code == 404
    assert li_in_two_schools.post("/school/switch/", {"school": "x"}).status_code == 404


def test_one_school_shows_no_switch(cast):
    assert 'name="school"' not in cast.client(cast.ms_li).get("/me/").content.decode()


def test_the_chat_list_and_its_badge_follow_the_school_chosen(cast, li_in_two_schools):
    from chat.access import chat_school_id

    li = li_in_two_schools
    assert chat_school_id(li.get("/chat/").wsgi_request) == cast.school.pk
    li.post("/school/switch/", {"school": cast.school_b.pk})
    assert chat_school_id(li.get("/chat/").wsgi_request) == cast.school_b.pk
