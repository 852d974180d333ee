"""The class-channel checker: ordinary notices pass untouched, forbidden ones get the right code."""

import time

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from core.guardrails import (
    CODES,
    EVIDENCE_MAX,
    REASON_LOGGED,
    Concern,
    GuardrailOverride,
    GuardrailWarning,
    check_class_message,
    enforce_guardrails,
    normalize_text,
    require_override,
    summary,
)

ROSTER = ["王小明", "李华", "张三", "李四", "陈静", "刘洋", "安静", "欧阳娜娜", "刘小明", "陈小红"]


def codes(text, names=ROSTER):
    return [concern.code for concern in check_class_message(text, student_names=names)]


ORDINARY = [
    "明天春游，请带好水壶和帽子。",
    "家长会定于周五下午3点在三年级2班教室召开，请准时参加。",
    "本周五下午放学时间提前到3点。",
    "请家长提醒孩子注意交通安全。",
    "运动会报名表请于周三前交回。",
    "期中考试安排：语文周二上午8:00-9:30，数学周二下午2:00-3:30，英语周三上午9:00。",
    "作业请孩子独立完成，家长无需批改和签字。",
    "感谢各位家长的配合！",
    "本次期末考试不公布成绩和排名，成绩将私信告知各位家长。",
    "运动会每个项目前三名将获得奖状，欢迎家长来观看。",
    "为孩子们在合唱比赛中的精彩表现点赞！",
    "本群禁止发红包、拉票和发广告，谢谢配合。",
    "表扬王小明同学乐于助人，主动帮助同学打扫教室。",
    "李华同学在区作文比赛中获得一等奖，祝贺！",
    "王小明从不迟到，值得大家学习。",
    "如有疑问请联系班主任王老师：13812345678。",
    "请家长督促孩子按时完成作业，早睡早起。",
    "请家长督促孩子订正错题。",
    "请家长让孩子自己检查作业。",
    "周五进行班干部选举投票，请同学们做好准备。",
    "请家长填写回执：姓名、家庭住址、联系电话，周三前交回。",
    "期末成绩单已放在孩子书包里，请家长查收。",
    "下周一升旗仪式，请穿校服，8点前到校。",
    "流感高发，请每天给孩子测体温，体温超过37.3℃请在家休息。",
    "每位同学准备2个塑料袋、1本笔记本，材料费30元。",
    "集合时间：7:30\n集合地点：校门口\n费用：30元",
    "请孩子们在图书馆保持安静，不要迟到。",
    "请家长关注孩子每天的阅读情况，鼓励孩子多读书。",
    "欢迎各位家长为学校运动会助力加油！",
    "请家长在回执上签字，明天交回。",
    "请家长签字确认孩子已阅读安全告知书。",
    "本学期期末考试成绩以等级呈现（优、良、合格），不排名。",
    "王小明、李华、张三，这三位同学明天早上7:40到校排练节目。",
    "周一：王小明 李华\n周二：张三 李四",
    "本周作业：抄写生字两遍，背诵课文第三段。",
    "提醒孩子不要沉迷手机抢红包。",
    "请家长提醒孩子检查书包，带齐课本。",
    "王小明的妈妈捡到一把雨伞，已交到门卫室。",
    "第1组：王小明、李华、张三\n第2组：李四、陈静、刘洋",
    "请王小明、李华8:00到校参加升旗排练。",
    "三年级2班 45人，周三下午2点体检。",
    "<p>明天春游</p><p>请带好&nbsp;水壶和帽子</p>",
    "本周五下午３点放学，请家长准时接孩子。",
    "以下同学请于周五前交回回执：王小明、李华。",
]


@pytest.mark.parametrize("text", ORDINARY)
def test_ordinary_notices_pass(text):
    assert codes(text) == []


@pytest.mark.parametrize("text", ORDINARY[:12])
def test_ordinary_notices_pass_without_a_roster(text):
    assert codes(text, names=()) == []


@pytest.mark.parametrize("text", ["", "   ", "\n\n", "<p></p>", "<br>&nbsp;"])
def test_empty_text_has_no_concern(text):
    assert check_class_message(text, student_names=ROSTER) == []


CONCERNING = [
    # scores: several layouts
    ("期中成绩：\n王小明 98分\n李华 95分\n张三 87分", "scores"),
    ("张三：92\n李四：88\n陈静：79", "scores"),
    ("姓名 语文 数学\n王小明 98 95\n李华 90 88", "scores"),
    ("<table><tr><td>王小明</td><td>98</td></tr><tr><td>李华</td><td>95</td></tr></table>", "scores"),
    ("期中成绩：刘小明 98分，陈小红 65分。", "scores"),
    ("王小明 数学 98分", "scores"),
    ("1. 王小明（98）\n2. 李华（95）", "scores"),
    ("本次期中考试王小明全班第一名，李华第二名。", "scores"),
    ("数学考试倒数三名：张三、李四、陈静。", "scores"),
    ("这次单元测验刘洋的分数全班最低。", "scores"),
    ("刘洋这次数学只考了58分，请家长多关注。", "scores"),
    ("恭喜以下同学考了100分：王小明、李华。", "scores"),
    ("成绩不及格的同学有：张三、李四。", "scores"),
    ("这次考试全班平均分85分，张三考了全班倒数第一。", "scores"),
    # criticism of a named student
    ("王小明今天上课一直说话，严重影响课堂纪律，请家长好好管教。", "named_evaluation"),
    ("点名批评王小明，这周三次没有完成作业。", "named_evaluation"),
    ("以下同学作业未交：李华、张三。", "named_evaluation"),
    ("刘洋同学上课走神，字迹潦草，屡教不改。", "named_evaluation"),
    # homework for parents
    ("请家长批改今天的数学作业并签字。", "homework_for_parents"),
    ("请家长检查孩子的作业并签字，明天交回。", "homework_for_parents"),
    ("作业完成后，请家长签字。", "homework_for_parents"),
    ("请家长每天给孩子听写生字。", "homework_for_parents"),
    ("请家长帮孩子改错，明天交。", "homework_for_parents"),
    ("本周亲子作业：和孩子一起制作手抄报。", "homework_for_parents"),
    ("请家长拍照上传孩子的作业到群里。", "checkin"),
    ("期中试卷请家长签名后交回。", "homework_for_parents"),
    ("每天阅读30分钟，请家长签字。", "homework_for_parents"),
    # votes, likes, red packets
    ("请各位家长帮忙投票，每天可投一次。", "vote_campaign"),
    ("麻烦大家帮孩子的作品点赞，链接如下。", "vote_campaign"),
    ("请帮忙助力，点击链接即可。", "vote_campaign"),
    ("请转发朋友圈集赞，满38个赞可领取奖品。", "vote_campaign"),
    ("今晚8点在群里发红包庆祝！", "vote_campaign"),
    # private information
    ("王小明家长的电话是13812345678，有事可以联系他。", "private_info"),
    ("请核对身份证号：110105201503071234", "private_info"),
    ("ID 11010520150307123X 已登记。", "private_info"),
    ("李华家住幸福小区3栋2单元502室。", "private_info"),
    ("李华妈妈手机：138 1234 5678", "private_info"),
    ("有事打 +86 139-1234-5678", "private_info"),
]


@pytest.mark.parametrize(("text", "code"), CONCERNING)
def test_forbidden_messages_get_exactly_their_code(text, code):
    assert codes(text) == [code]


@pytest.mark.parametrize(
    "text",
    [
        "张伟 98\n李娜 95\n王芳 90",
        "本次测验李娜98分，王芳95分，刘强60分。",
        "以下同学获得满分：张伟、李娜、王芳。",
        "姓名 成绩\n张伟 98\n李娜 95",
    ],
)
def test_score_lists_are_recognised_without_a_roster(text):
    assert codes(text, names=()) == ["scores"]


def test_a_name_after_a_score_is_not_read_as_a_unit():
    # 张 and 周 are measure words (3张纸, 3周) and surnames: "95 张伟" starts the next name.
    assert codes("李娜 95 张伟 98 周杰 90", names=()) == ["scores"]
    assert codes("李华 95 张三 98") == ["scores"]
    assert codes("Tom 98 Amy 95", names=["Tom", "Amy"]) == ["scores"]
    assert codes("王小明 3张 李华 2张") == []


def test_a_single_unknown_name_with_a_score_is_let_through_without_a_roster():
    assert codes("张伟 98分", names=()) == []
    assert codes("张伟 98分", names=["张伟"]) == ["scores"]


def test_html_is_read_as_text():
    assert codes("<p>请家长<b>批改</b>今天的数学作业并<i>签字</i></p>") == ["homework_for_parents"]
    assert codes("<p>王小明&nbsp;98&#20998;</p>") == ["scores"]
    assert codes("<script>王小明 98分</script><p>明天春游</p>") == []
    assert normalize_text("<div>王小明</div><div>98</div>") == "\n王小明\n\n98\n"


def test_full_width_input_is_folded():
    assert codes("王小明：９８分\n李华：９５分") == ["scores"]
    assert codes("王小明家长电话：１３８１２３４５６７８") == ["private_info"]
    assert codes("请家长帮忙投票！") == ["vote_campaign"]


def test_every_code_at_once_in_a_stable_order():
    text = (
        "王小明 98分。李华上课说话被批评。请家长批改作业并签字。请帮忙投票。陈静家长电话13812345678。"
        "每天在群里打卡朗读。推荐大家购买《口算天天练》。本学期班费每人100元。刘洋爸爸住院了。请家长来打扫教室。"
    )
    concerns = check_class_message(text, student_names=ROSTER)
    assert [c.code for c in concerns] == list(CODES)
    assert concerns[0].student_names == ("王小明",)
    assert concerns[1].student_names == ("李华",)
    assert concerns[4].student_names == ("陈静",)
    assert concerns[8].student_names == ("刘洋",)


def test_concern_carries_evidence_and_the_students_involved():
    [concern] = check_class_message("期中成绩：\n王小明 98分\n李华 95分\n张三 87分", student_names=ROSTER)
    assert isinstance(concern, Concern)
    assert concern.student_names == ("王小明", "李华", "张三")
    assert concern.evidence.startswith("王小明 98分")
    assert len(concern.evidence) <= EVIDENCE_MAX

    [concern] = check_class_message("王小明今天上课一直说话，严重影响课堂纪律。", student_names=ROSTER)
    assert concern.code == "named_evaluation"
    assert concern.student_names == ("王小明",)
    assert "王小明" in concern.evidence and "说话" in concern.evidence

    [concern] = check_class_message("张三考了全班倒数第一。", student_names=ROSTER)
    assert concern.evidence == "张三考了全班倒数第一"

    [concern] = check_class_message("请家长批改今天的数学作业并签字。")
    assert concern.evidence == "家长批改" and concern.student_names == ()


def test_evidence_is_short_even_for_a_long_message():
    text = "王小明" + "，今天在学校里和同学们一起参加了很多很多活动" * 5 + "，但是上课一直捣乱。"
    [concern] = check_class_message(text, student_names=ROSTER)
    assert concern.code == "named_evaluation"
    assert len(concern.evidence) <= EVIDENCE_MAX
    assert "王小明" in concern.evidence and "捣乱" in concern.evidence


def test_reason_and_suggestion_are_translated():
    [concern] = check_class_message("请家长帮忙投票。")
    with translation.override("en"):
        assert (
            str(concern.reason) == "Class channels may not be used for votes, likes, sharing for likes or red packets."
        )
        assert "families" in str(concern.suggestion)


def test_praise_is_fine_and_criticism_is_not():
    assert codes("表扬王小明作业书写工整。") == []
    assert codes("王小明进步很大，不再拖拉了。") == []
    assert codes("王小明作业书写潦草。") == ["named_evaluation"]
    assert codes("表扬李华，批评王小明。") == ["named_evaluation"]


def test_a_roster_name_that_is_a_common_word_needs_to_stand_as_a_name():
    assert codes("请保持安静，不要迟到。") == []
    assert codes("安静同学今天迟到了。") == ["named_evaluation"]
    assert codes("安静 98\n李华 95") == ["scores"]


def test_roster_names_are_matched_as_written_and_longest_first():
    assert codes("小明今天迟到了。") == []  # a given name alone is not recognised
    assert codes("王 小明今天迟到了。", names=["王小明"]) == []
    assert codes("王小明今天迟到了。", names=["王 小明"]) == ["named_evaluation"]
    [concern] = check_class_message("欧阳娜娜今天迟到了。", student_names=["欧阳娜", "欧阳娜娜"])
    assert concern.student_names == ("欧阳娜娜",)
    assert codes("Tom 98分\nAmy 95分", names=["Tom", "Amy"]) == ["scores"]
    assert codes("Tomorrow 8点集合", names=["Tom"]) == []


def test_prohibitions_and_waivers_are_not_concerns():
    assert codes("请家长不要帮孩子改错。") == []
    assert codes("家长不需要检查作业，也不用签字。") == []
    assert codes("严禁在群里拉票、刷票。") == []
    assert codes("我们不会点名批评孩子。") == []


def test_numbers_that_are_not_scores():
    assert codes("王小明 3点在校门口等。") == []
    assert codes("王小明 2个水壶落在教室了。") == []
    assert codes("王小明、李华 10分钟后到操场集合。") == []
    assert codes("王小明 3 点在校门口等。") == []
    assert codes("王小明家长 13812345678") == ["private_info"]


def test_summary_names_no_child_and_masks_numbers():
    text = "期中成绩：\n王小明 98分\n李华 95分。陈静家长电话13812345678。"
    concerns = check_class_message(text, student_names=ROSTER)
    line = summary(concerns)
    assert line.splitlines() == [
        "scores: [name] 98分 [name] 95分 (2 students)",
        "private_info: 138******** (1 student)",
    ]
    for name in ROSTER:
        assert name not in line
    assert summary([]) == ""


def test_summary_carries_no_address_or_id():
    assert summary(check_class_message("李华家住幸福小区3栋2单元502室。", student_names=ROSTER)) == (
        "private_info: 家住*** (1 student)"
    )
    assert summary(check_class_message("身份证号：110105201503071234")) == "private_info: 身份证号:110***************"


def test_summary_masks_generic_names_too():
    line = summary(check_class_message("张伟 98\n李娜 95", student_names=()))
    assert line == "scores: [name] 98 [name] 95 (2 students)"


def test_a_long_message_with_a_full_class_is_checked_quickly():
    surnames = "王李张刘陈杨黄赵吴周徐孙马朱胡"
    roster = [f"{s}{g}" for s in surnames for g in ("子涵", "梓萱", "一诺")][:45]
    assert len(roster) == 45
    sentence = "本周五下午三点召开家长会，请各位家长准时参加，{}同学的家长请提前十分钟到。"
    text = "".join(sentence.format(roster[i % 45]) for i in range(200))[:5000]
    assert len(text) == 5000
    check_class_message(text, student_names=roster)  # warm the roster cache and the regexes
    best = min(_timed(text, roster) for _ in range(3))
    assert best < 0.05, f"{best * 1000:.1f} ms"
    assert check_class_message(text, student_names=roster) == []


def _timed(text, roster):
    start = time.perf_counter()
    check_class_message(text, student_names=roster)
    return time.perf_counter() - start


# --- the override rule ---------------------------------------------------------------------------

SCORE_LIST = "刘小明数学59分，陈小红62分，都要加油。"


def test_an_ordinary_message_needs_no_override():
    assert enforce_guardrails("明天春游，请带好水壶和帽子。", student_names=ROSTER) is None
    assert enforce_guardrails("明天春游", student_names=ROSTER, override_reason="不需要") is None
    assert require_override([], "") is None


@pytest.mark.parametrize("reason", ["", "   ", "\n\t"])
def test_a_warning_without_a_reason_stops_the_message_and_says_why(reason):
    with pytest.raises(GuardrailWarning) as raised:
        enforce_guardrails(SCORE_LIST, student_names=ROSTER, override_reason=reason)
    warning = raised.value
    assert isinstance(warning, ValidationError)  # callers that only catch ValidationError still refuse it
    assert [c.code for c in warning.concerns] == ["scores"]
    assert warning.messages == [str(c.reason) for c in warning.concerns]


def test_a_reason_overrides_the_warning_and_the_log_line_names_no_child():
    override = enforce_guardrails(SCORE_LIST, student_names=ROSTER, override_reason="  家长会上已说明  ")
    assert isinstance(override, GuardrailOverride)
    assert override.reason == "家长会上已说明"
    assert [c.code for c in override.concerns] == ["scores"]
    assert override.summary == summary(override.concerns)
    assert "刘小明" not in override.summary and "陈小红" not in override.summary
    assert override.summary.startswith("scores: ")


def test_the_logged_reason_and_summary_are_bounded():
    concern = Concern(code="scores", reason="r", suggestion="s", evidence="x" * 300)
    override = require_override([concern], "因" * 800)
    assert override is not None
    assert len(override.reason) == 800 and len(override.logged_reason) == REASON_LOGGED
    assert len(override.summary) == 255
