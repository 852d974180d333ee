"""The results page starts with what matters: students whose family has not read first, then read
but not done, then done; a "only not done" filter; one line per student with details on tap."""

import pytest

from notices.actions import TargetSpec, do_create_notice, do_mark_read
from notices.fanout import fan_out
from schools.roles import compute_roles

pytestmark = pytest.mark.usefixtures("unscoped")


def test_unread_first_done_hidden_by_the_filter(cast):
    notice = do_create_notice(
        cast.school,
        acting_user=cast.ms_li,
        roles=compute_roles(cast.ms_li),
        title="春游",
        body_html="<p>x</p>",
        action="confirm",
        targets=[TargetSpec("class", class_id=cast.class1.pk)],
    )
    fan_out(notice)
    do_mark_read(notice, acting_user=cast.alice)  # 刘小明's family read it; 陈小红's did not
    client = cast.client(cast.ms_li)
    page = client.get(f"/notices/{notice.pk}/results/", headers={"accept-language": "en"}).content.decode()
    rows = page.split('class="roster compact"', 1)[1]
    assert rows.index("陈小红") < rows.index("刘小明")
    assert "<details>" in rows and "2 students not done" in page and "1 family has not read it" in page
    assert 'href="?pending=1"' in page
