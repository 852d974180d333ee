"""The rules added for issue 18 (打卡, paid materials, money, family circumstances and health,
parents doing staff's work, personal data asked for in the group), the ways a student is named
without a roster name, traditional characters, the channel each warning offers, and bad input."""

import pytest
from django.urls import reverse

from core.guardrails import (
    CHECKIN,
    CODES,
    COLLECTING_MONEY,
    FAMILY_CIRCUMSTANCES,
    MAX_SCANNED,
    NAMED_EVALUATION,
    PAID_MATERIALS,
    PARENTS_STAFF_WORK,
    PRIVATE_INFO,
    SCORES,
    VOTE_CAMPAIGN,
    check_class_message,
    normalize_text,
    summary,
)
from core.hanzi import to_simplified

ROSTER = ["王梓涵", "李一诺", "张浩然", "刘子轩", "陈思彤"]


def codes(text, names=ROSTER):
    return [c.code for c in check_class_message(text, student_names=names)]


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("今晚在群里打卡朗读，坚持21天。", CHECKIN),
        ("作业做完拍照发到群里。", CHECKIN),
        ("请在群里接龙：已完成今日作业。", CHECKIN),
        ("给大家推荐一本练习册，扫码购买有优惠。", PAID_MATERIALS),
        ("需要订《少年报》的家长请报名，一年98元。", PAID_MATERIALS),
        ("本学期班费每人100元，请转给家委会。", COLLECTING_MONEY),
        ("教师节给老师买礼物，每家出50元。", COLLECTING_MONEY),
        ("收款码发群里了，大家凑一下钱。", COLLECTING_MONEY),
        ("王梓涵父母离婚了，请大家多关心她。", FAMILY_CIRCUMSTANCES),
        ("李一诺有哮喘，体育课不能跑步。", FAMILY_CIRCUMSTANCES),
        ("请家长轮流来教室打扫卫生。", PARENTS_STAFF_WORK),
        ("请各位家长在群里发一下孩子的身份证号。", PRIVATE_INFO),
        ("张浩然爸爸的微信号是 zhr_dad88，有事加他。", PRIVATE_INFO),
    ],
)
def test_each_new_rule_warns_on_its_shape(text, code):
    assert codes(text) == [code]


@pytest.mark.parametrize(
    "text",
    [
        "本群禁止打卡和发作业照片。",
        "学校不统一征订任何教辅资料，家长不要购买。",
        "学校不收任何费用，老师不收礼物。",
        "班费收支明细已更新在账本里。",
        "如果孩子有过敏，请私信告诉我。",
        "请家长在家里教孩子做家务，比如扫地。",
        "教室卫生由学生值日负责，家长不需要来打扫。",
        "身份证号等信息请不要发在群里。",
        "如有疑问请联系班主任李老师：13812345678。",
        "新来的体育老师微信：tiyu_wang。",
        "谨防网络抢红包诈骗。",
    ],
)
def test_the_same_words_in_a_prohibition_or_a_harmless_sentence_stay_quiet(text):
    assert codes(text) == []


def test_a_student_named_by_number_or_surname_and_classmate():
    assert codes("3号 95\n15号 87\n22号 58") == [SCORES]
    assert codes("15号同学这次数学只有49分。") == [SCORES]
    assert codes("学号12今天上课又讲话。") == [NAMED_EVALUATION]
    assert codes("8号今天在走廊追跑，撞倒了小朋友。") == [NAMED_EVALUATION]
    assert codes("王同学98分，李同学95分。", names=()) == [SCORES]
    assert codes("唐同学今天又没写作业。", names=()) == [NAMED_EVALUATION]
    [concern] = check_class_message("以下同学课堂表现较差：3号、15号。", student_names=ROSTER)
    assert concern.code == NAMED_EVALUATION and concern.student_names == ("3号", "15号")


@pytest.mark.parametrize(
    "text",
    [
        "请15号之前交回回执。",
        "11月3号下午放学时间提前。",
        "明天在3号教学楼2楼集合。",
        "值日表：周一1-6号，周二7-12号。",
        "按学号轮流，1号到5号先准备。",
        "同学们要向同学们的好榜样学习，迟到的少了。",
    ],
)
def test_numbers_that_are_dates_ranges_or_places_are_not_students(text):
    assert codes(text) == []


def test_traditional_characters_and_full_width_digits_are_read_like_simplified():
    assert to_simplified("請家長批改今天的數學作業並簽字") == "请家长批改今天的数学作业并签字"
    assert codes("請家長批改今天的數學作業並簽字。") == ["homework_for_parents"]
    assert codes("這次數學考試，王梓涵考了１００分，李一諾只考了５８分。", names=["王梓涵", "李一诺"]) == [SCORES]
    assert codes("１号　９８\n２号　８７") == [SCORES]
    assert normalize_text("紅包") == "红包"


def test_every_warning_quotes_its_words_and_offers_a_channel():
    text = "王梓涵 98分。每天在群里打卡。本学期班费每人100元。请家长来打扫教室。推荐大家购买《口算天天练》。"
    concerns = {c.code: c for c in check_class_message(text, student_names=ROSTER)}
    assert set(concerns) == {SCORES, CHECKIN, COLLECTING_MONEY, PARENTS_STAFF_WORK, PAID_MATERIALS}
    assert "98分" in concerns[SCORES].evidence and "打卡" in concerns[CHECKIN].evidence
    assert "100元" in concerns[COLLECTING_MONEY].evidence and "打扫" in concerns[PARENTS_STAFF_WORK].evidence
    assert concerns[SCORES].channel == "private_message" and concerns[SCORES].channel_url == reverse("chat:list")
    assert concerns[CHECKIN].channel == "survey" and concerns[CHECKIN].channel_url == reverse("surveys:new")
    assert concerns[COLLECTING_MONEY].channel == "class_fund"
    assert concerns[PARENTS_STAFF_WORK].channel == "duty_roster"
    assert concerns[PAID_MATERIALS].channel_url == ""  # nowhere: leave it out
    for concern in concerns.values():
        assert str(concern.channel_label)
        assert concern.as_dict()["evidence"] == concern.evidence


def test_the_log_line_of_a_family_circumstance_names_no_child():
    line = summary(check_class_message("陈思彤父母在闹离婚，大家多关心她。", student_names=ROSTER))
    assert line.startswith("family_circumstances: ") and "陈思彤" not in line and "(1 student)" in line


@pytest.mark.parametrize(
    "text",
    [
        "😀" * 5000,
        "1234567890" * 5000,
        "１２３４５６７８９０" * 2000,
        "王梓涵" * 20000,
        "<p>" * 30000,
        "3号" * 10000,
        "\n" * 50000,
        "家长打卡红包班费" * 5000,
    ],
)
def test_bad_input_gives_a_clear_result_without_crashing(text):
    result = check_class_message(text, student_names=ROSTER)
    assert isinstance(result, list)
    assert all(c.code in CODES for c in result)


def test_only_the_first_part_of_a_huge_message_is_read():
    quiet = "明天春游，请带好水壶和帽子。" * (MAX_SCANNED // 10)
    assert codes(quiet + "请帮忙投票。") == []  # beyond what is read
    assert codes("请帮忙投票。" + quiet) == [VOTE_CAMPAIGN]


def test_a_score_table_read_badly_from_a_photo_still_warns_by_its_header_and_rows():
    # What Tesseract read of a photographed sheet on one machine: the names came out as letters.
    misread = "三年级1班期中成绩\n姓名 | 语文\nERR 66\n李-诺 84\nWER TI\nFH 75\nBR 66\nBE 70\nREAR 91\n| 数学\n85"
    assert codes(misread, []) == [SCORES]
    # The header alone, two rows, or rows of times and rooms under another header: no score list.
    assert codes("三年级1班期中成绩\n姓名 | 语文\nERR 66\nFH 75", []) == []
    assert codes("课程表\n时间 | 地点\n上午 8\n下午 2\n晚上 7", []) == []
    assert codes("姓名 | 语文\n王 200\n李 300\n张 400", []) == []
