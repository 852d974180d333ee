"""What may not be said in a class channel, checked before a class-wide message goes out.

Education authorities (安阳 "八个禁止", 太原, the national 2022 guidance, 双减) forbid, in class notices
and class group chat: posting scores, score lists or rankings; evaluating or criticising a named
student in front of the class; handing homework to parents or asking them to check, mark or sign it;
vote, like and red-packet campaigns; exposing private information. Anything about one child belongs
in a private message to that family.

``check_class_message`` returns ``Concern`` objects that say why and which channel to use instead.
The sender may still send by giving a reason. Every class-wide sender (notices, and the events and
surveys that go out as notices; chat's class groups) goes through one override rule:
``enforce_guardrails`` (or ``require_override`` for concerns already found) raises
``GuardrailWarning`` when there are concerns and no reason, and otherwise returns the
``GuardrailOverride`` that the caller stores with its message and logs, in the same transaction,
with ``audit.actions.record_guardrail_override`` (its ``summary``: codes and evidence, never
children's names).

The checker is meant to be precise rather than noisy: a teacher who is warned about every ordinary
notice learns to click past the warning. So a word alone rarely triggers it; it wants the shape of
the forbidden thing (a name next to a score, a parent next to marking homework, a request next to
"点赞"), and it ignores the words when they are prohibited or waived in the same clause
("本群禁止发红包、拉票", "家长无需签字"). Choices and known gaps:

* Praise of a named child (表扬王小明) is allowed; only criticism of a named child is a concern.
  Some local rules discourage naming any child, but public praise is everyday practice and the
  evidence for harm is about shaming, not praising.
* Students are recognised by the class roster names as written (王小明, not 小明 or 明明), longest
  name first. A roster name that is also a common word (安静, 高兴) counts only when it stands apart
  or is followed by 同学/家长/妈妈/爸爸.
* Without roster names a score list is still recognised from its layout (two or more lines such
  as "张伟 98", or "李娜98分，王芳95分"), using common surnames; a single unknown name with a score
  is let through.
* A mobile number next to 老师/校长/主任/学校/办公室 is the staff's own contact and is let through;
  any other mobile number, an 18-digit ID number, or a labelled ID or home address is a concern.

The module is pure Python (no database) and compiles its patterns once; the roster's name pattern
is cached per roster, so chat can call it on every message.
"""

from __future__ import annotations

import html
import re
import unicodedata
from bisect import bisect_left
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

if TYPE_CHECKING:
    from django.utils.functional import _StrOrPromise

SCORES = "scores"
NAMED_EVALUATION = "named_evaluation"
HOMEWORK_FOR_PARENTS = "homework_for_parents"
VOTE_CAMPAIGN = "vote_campaign"
PRIVATE_INFO = "private_info"
CODES = (SCORES, NAMED_EVALUATION, HOMEWORK_FOR_PARENTS, VOTE_CAMPAIGN, PRIVATE_INFO)

EVIDENCE_MAX = 40


@dataclass(frozen=True)
class Concern:
    """One rule a class-wide message seems to break, with what to do instead."""

    code: str
    reason: _StrOrPromise
    suggestion: _StrOrPromise
    evidence: str
    student_names: tuple[str, ...] = ()


_TEXTS: dict[str, tuple[_StrOrPromise, _StrOrPromise]] = {
    SCORES: (
        _("Scores and rankings of students may not be posted in a class channel."),
        _("Send each family its own child's result in a private message."),
    ),
    NAMED_EVALUATION: (
        _("A named student may not be criticised or evaluated in front of the whole class."),
        _("Talk about one child with that child's family, in a private message."),
    ),
    HOMEWORK_FOR_PARENTS: (
        _("Parents may not be asked to check, mark or sign homework, or be given homework of their own."),
        _("Let the children do and correct their homework; if one child needs help, write to that family privately."),
    ),
    VOTE_CAMPAIGN: (
        _("Class channels may not be used for votes, likes, sharing for likes or red packets."),
        _("Leave the request out of the class channel; families are free to take part on their own."),
    ),
    PRIVATE_INFO: (
        _("The message shows a phone number, an ID number or an address to the whole class."),
        _("Send personal details only to the family concerned, in a private message."),
    ),
}

# --- preparing the text --------------------------------------------------------------------------

_HTML_DROP = re.compile(r"<(script|style)\b[^>]*>.*?</\1\s*>|<!--.*?-->", re.IGNORECASE | re.DOTALL)
_HTML_BREAK = re.compile(
    r"<\s*/?\s*(?:br|p|div|li|tr|h[1-6]|ul|ol|table|blockquote|pre|hr|section|article)\b[^>]*>", re.IGNORECASE
)
_HTML_CELL = re.compile(r"<\s*/?\s*(?:td|th)\b[^>]*>", re.IGNORECASE)
_HTML_TAG = re.compile(r"</?[A-Za-z][^>]*>")
_INVISIBLE = re.compile(r"[\u00ad\u200b-\u200f\u2060\ufeff]")
_SPACES = re.compile(r"[^\S\n]+")

_H = "\u3400-\u4dbf\u4e00-\u9fff"  # Han characters (NFKC folds the compatibility block into these)
_SENTENCE = re.compile(r"[^。!?;\n]+")  # NFKC turns ！？； into ASCII; 。 stays
_CLAUSE_END = "。!?;\n,"


def normalize_text(text: str) -> str:
    """Plain text as a reader sees it: tags gone (blocks become lines, cells spaces), entities
    decoded, full-width forms folded (NFKC), invisible characters removed, spaces collapsed."""
    text = str(text or "")
    if "<" in text:
        text = _HTML_DROP.sub("", text)
        text = _HTML_BREAK.sub("\n", text)
        text = _HTML_CELL.sub(" ", text)
        text = _HTML_TAG.sub("", text)
    text = unicodedata.normalize("NFKC", html.unescape(text))
    text = _INVISIBLE.sub("", text).replace("\r\n", "\n").replace("\r", "\n")
    return _SPACES.sub(" ", text)


_LOOK_BACK = 30


def _clause_before(text: str, pos: int) -> str:
    """The part of the clause that precedes ``pos``, at most 30 characters: a negation such as
    禁止 or 无需 stands close to what it negates, and a bounded look keeps long messages fast."""
    window = text[max(0, pos - _LOOK_BACK) : pos]
    cut = max(window.rfind(mark) for mark in _CLAUSE_END)
    return window[cut + 1 :]


def _snippet(text: str, start: int, end: int) -> str:
    piece = " ".join(text[max(start, 0) : end].split())
    return piece if len(piece) <= EVIDENCE_MAX else piece[: EVIDENCE_MAX - 1] + "…"


def _evidence(text: str, spans: Sequence[tuple[int, int]]) -> str:
    """The words that triggered a concern: one stretch if short, else the pieces joined by …."""
    start, end = min(s for s, _e in spans), max(e for _s, e in spans)
    if end - start <= EVIDENCE_MAX:
        return _snippet(text, start, end)
    pieces = [" ".join(text[s:e].split()) for s, e in sorted(spans)[:3]]
    return _snippet("…".join(pieces), 0, len("…".join(pieces)))


# --- recognising students -----------------------------------------------------------------------

# Roster names that are also everyday words count only when they stand apart or are followed by
# 同学/家长/妈妈/爸爸: "安静同学迟到了" names a child, "请保持安静" does not.
# fmt: off
_COMMON_WORDS = frozenset({
    "高兴", "安静", "平安", "文明", "方便", "白天", "明天", "金牌", "和平", "公平", "安全", "马上", "于是", "向上",
    "文静", "白云", "高山", "江河", "夏天", "高飞", "万里", "常青", "程序", "石头", "田野", "文章", "时光", "海洋",
    "阳光", "温暖", "高峰", "黄金", "江山", "金星", "连续", "关心", "成功", "成才", "朱红", "申请", "宁静", "钟表",
    "章程", "雷鸣", "左右", "胡说", "方向", "任务", "全面", "林立", "龙舟", "童话", "夏雨",
})
# fmt: on
_PERSON_AFTER = ("同学", "家长", "妈妈", "爸爸", "小朋友", "的家长")


def _clean_name(raw: str) -> str:
    return "".join(unicodedata.normalize("NFKC", str(raw or "")).split())


@lru_cache(maxsize=128)
def _name_pattern(names: tuple[str, ...]) -> re.Pattern[str] | None:
    """One alternation of the roster's names, longest first so 王小明 wins over 王小. Built once
    per roster: chat checks every message of a class against the same names."""
    if not names:
        return None
    parts = []
    for name in sorted(names, key=lambda n: (-len(n), n)):
        part = re.escape(name)
        if re.search(r"[A-Za-z]", name):
            part = rf"(?<![A-Za-z]){part}(?![A-Za-z])"
        parts.append(part)
    return re.compile("|".join(parts))


def _find_names(text: str, names: Iterable[str]) -> list[tuple[int, int, str]]:
    cleaned = tuple(sorted({n for n in map(_clean_name, names) if len(n) >= 2}))
    pattern = _name_pattern(cleaned)
    if pattern is None:
        return []
    found = []
    for match in pattern.finditer(text):
        name = match.group()
        if name in _COMMON_WORDS:
            before = text[match.start() - 1 : match.start()]
            after = text[match.end() : match.end() + 3]
            apart = not re.match(f"[{_H}]", before) and not re.match(f"[{_H}]", after[:1])
            if not apart and not after.startswith(_PERSON_AFTER):
                continue
        found.append((match.start(), match.end(), name))
    return found


def _names_in(found: list[tuple[int, int, str]], start: int, end: int) -> list[tuple[int, int, str]]:
    """The names found between start and end; ``found`` is in text order, so bisect."""
    first = bisect_left(found, start, key=lambda item: item[0])
    last = bisect_left(found, end, lo=first, key=lambda item: item[0])
    return [item for item in found[first:last] if item[1] <= end]


def _unique(names: Iterable[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(names))


# --- scores and rankings ------------------------------------------------------------------------

# Between a name and its score: separators, "同学", a subject, "考了", "成绩". Not 第 (第3组), not time.
_SCORE_WORDS = r"考了|考|得了|得|获得|拿了|语文|数学|英语|科学|总分|总成绩|成绩|分数|得分|平均分"
_GAP = rf"(?:\s|[:()\-—,、=]|同学|的|为|是|{_SCORE_WORDS})"
_NUMBER = r"(?P<num>\d{1,3}(?:\.\d{1,2})?)(?![\d.])"
_FEN = r"(?P<fen>\s?分(?!钟|之|别|享|组|配|班|发|开|批|类|工|布|成|析|解|散|手|离|辨|明|数线))?"
_SCORE_TAIL = re.compile(rf"(?P<gap>{_GAP}{{0,6}}){_NUMBER}{_FEN}\)?")
# A score said in a sentence: "这次数学只考了58分", "考了100分", "成绩是92".
_SCORE_STATEMENT = re.compile(rf"(?:考了?|得了?|拿了|成绩|分数|总分)(?:是|为)?\s*{_NUMBER}{_FEN}")
_STRONG_GAP = re.compile(_SCORE_WORDS)
_ENUMERATION = re.compile(r"^\s*(?:\(?\d{1,3}[.、)]|\(\d{1,3}\)|第?[一二三四五六七八九十]{1,3}[.、]|[-*•·])?\s*")

_SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁"
    "任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付傅方白邹孟熊秦邱江尹薛闫阎段雷侯龙史陶黎贺顾毛郝龚邵万钱严"
    "覃武戴莫孔向汤常温康施文牛樊葛邢安齐易乔伍庞颜倪庄聂章鲁岳翟殷詹申欧耿关兰焦俞左柳甘祝包宁尚符"
    "舒阮柯纪梅童凌毕单季裴霍涂成苗谷盛曲翁冉骆蓝路游辛靳管柴蒙鲍华喻祁蒲房滕屈饶解牟艾尤阳时穆农司"
    "卓古吉缪简车项连芦麦褚娄窦戚岑景党宫费卜冷晏席卫米杭"
)
# A number followed by one of these is a time, a price, a count or a class, not a score. After a
# space, a unit that is also a surname (张, 周, 时) more likely starts the next name: "95 张伟".
_UNITS = "点时元角块个人名号岁次页月日年班级天本米斤张支节条份件组排楼栋层室期周"
_SPACED_UNITS = "".join(unit for unit in _UNITS if unit not in _SURNAMES)
_NOT_SCORE_AFTER = re.compile(rf"[{_UNITS}:/%~\-°届A-Za-z]|\s+[{_SPACED_UNITS}]")
_COMPOUND_SURNAMES = "欧阳|司马|诸葛|上官|东方|皇甫|令狐|慕容|尉迟|长孙|司徒|夏侯|公孙|轩辕|端木|南宫"
_GENERIC_PAIR = re.compile(
    rf"(?<![{_H}A-Za-z])(?P<name>(?:{_COMPOUND_SURNAMES})[{_H}]{{1,2}}|[{_SURNAMES}][{_H}]{{1,2}})"
    rf"\s*[:=]?\s*{_NUMBER}{_FEN}"
)
_NOT_A_NAME = re.compile(
    r"老师|校长|主任|家长|同学|妈妈|爸爸|年级|班|^周[一二三四五六日天末]|^星期|^[高初][一二三]|^第|[额费价计码率量间积龄]$"
)
_SENTENCE_LINES = re.compile(r"[^\n]+")
_PAIR_SEPARATORS = re.compile(r"[\s,、;|/:]+")
_TABLE_HEADER = re.compile(r"姓名.{0,20}?(?:成绩|分数|得分|语文|数学|英语|总分|名次|排名)")

_RANK = re.compile(
    r"排名|名次|排行|第[一二三四五六七八九十\d]{1,3}名|倒数第[一二三四五六七八九十\d]{0,3}名?|倒数[一二三四五六七八九十\d]{1,3}名"
    r"|前[一二三四五六七八九十\d]{1,3}名|后[一二三四五六七八九十\d]{1,3}名|成绩单|成绩表|分数"
    r"|满分|不及格|没及格|零分|最高分|最低分|\d{1,3}分以[上下]"
)
_RANK_NEGATED = re.compile(r"不公布|不排|不设|不进行|不搞|不做|不得|禁止|严禁|不再|不准|不允许|取消|淡化|不会")
_LIST_CUE = re.compile(r"以下同学|下列同学|如下同学|以下学生|以下孩子|名单|榜单|的同学(?:有|是|如下)")


def _score_unit_ok(text: str, match: re.Match[str]) -> bool:
    if match.group("fen"):
        return True
    return float(match.group("num")) <= 150 and not _NOT_SCORE_AFTER.match(text, match.end("num"))


def _line_bounds(text: str, start: int, end: int) -> tuple[int, int]:
    line_start = text.rfind("\n", 0, start) + 1
    line_end = text.find("\n", end)
    return line_start, len(text) if line_end < 0 else line_end


def _check_scores(text: str, found: list[tuple[int, int, str]]) -> Concern | None:
    spans: list[tuple[int, int]] = []
    names: list[str] = []
    strong = False
    pairs: set[str] = set()

    # 1. A roster name followed by a number: "王小明 98分", "王小明：语文98", "王小明(98)".
    for start, end, name in found:
        match = _SCORE_TAIL.match(text, end)
        if not match or not _score_unit_ok(text, match):
            continue
        line_start, line_end = _line_bounds(text, start, match.end())
        whole_line = (
            _ENUMERATION.fullmatch(text[line_start:start]) is not None
            and text[match.end() : line_end].strip(" ,;。") == ""
            and bool(re.search(r"[:\s]", match.group("gap")))
        )
        if match.group("fen") or _STRONG_GAP.search(match.group("gap")) or whole_line:
            strong = True
        pairs.add(name)
        spans.append((start, match.end()))
        names.append(name)

    # 2. A score list without roster names: lines made only of name-number pairs, or pairs with 分.
    generic: list[re.Match[str]] = []
    for line in _SENTENCE_LINES.finditer(text):
        line_pairs = [
            m
            for m in _GENERIC_PAIR.finditer(text, line.start(), line.end())
            if not _NOT_A_NAME.search(m.group("name")) and _score_unit_ok(text, m)
        ]
        if not line_pairs:
            continue
        rest = text[line.start() : line.end()]
        for m in reversed(line_pairs):
            rest = rest[: m.start() - line.start()] + rest[m.end() - line.start() :]
        only_pairs = _PAIR_SEPARATORS.sub("", _ENUMERATION.sub("", rest, count=1)) == ""
        generic += [m for m in line_pairs if only_pairs or m.group("fen")]
    generic_names = {m.group("name") for m in generic}
    if len(generic_names) >= 2:
        strong = True
        spans += [m.span() for m in generic]
        names += [m.group("name") for m in generic]
    if pairs and _TABLE_HEADER.search(text):
        strong = True
    if strong or len(pairs) >= 2:
        return _concern(SCORES, text, spans, names)

    # 3. A ranking or score word in a sentence that names a student, or that announces a list.
    for sentence in _SENTENCE.finditer(text):
        in_sentence = _names_in(found, sentence.start(), sentence.end())
        cue = _LIST_CUE.search(text, sentence.start(), sentence.end())
        if not in_sentence and not cue:
            continue
        ranks = [*_RANK.finditer(text, sentence.start(), sentence.end())]
        ranks += [
            m for m in _SCORE_STATEMENT.finditer(text, sentence.start(), sentence.end()) if _score_unit_ok(text, m)
        ]
        for rank in sorted(ranks, key=lambda m: m.start()):
            if _RANK_NEGATED.search(_clause_before(text, rank.start())):
                continue
            if in_sentence:
                anchor = [in_sentence[0][:2]]
            else:
                anchor = [cue.span()] if cue else []
            return _concern(SCORES, text, [rank.span(), *anchor], [n for _s, _e, n in in_sentence])
    return None


# --- criticism of a named student ---------------------------------------------------------------

_CRITICISM = re.compile(
    r"批评|警告|处分|惩罚|罚站|罚抄|检讨|反省|屡教不改|不像话|不自觉|不上进|不听话|不听讲|不专心|不认真|不遵守"
    r"|违反纪律|违纪|捣乱|扰乱|调皮|顽皮|打架|打人|骂人|欺负|说脏话|迟到|早退|旷课|逃课|作弊|抄袭|抄作业|撒谎|说谎"
    r"|偷(?:东西|钱|拿)|拖拉|磨蹭|马虎|粗心|潦草|退步|落后|拖后腿|最差|很差|太差|极差|差劲|不合格|懒惰|懒散"
    r"|没礼貌|不礼貌|不文明|不讲卫生|态度不端正|注意力不集中|上课(?:讲话|说话|走神|睡觉|玩|吃东西|做小动作)"
    r"|影响(?:他人|别人|课堂|纪律|同学)|表现(?:很|太|非常|极|比较)?(?:差|不好)|不好好"
    r"|(?:没有?|未|不)(?:交|写|完成)(?:作业|练习)?|(?:没有?|忘了?)带(?:作业|课本|书|练习|本子)"
    r"|严加管教|好好管教|多加管教|管管|问题(?:学生|孩子)"
)
_CRITICISM_NEGATED = (
    "从不",
    "从没",
    "从未",
    "从来不",
    "从来没",
    "从来没有",
    "不再",
    "没再",
    "没有再",
    "不会再",
    "很少",
)
_CRITICISM_UNDONE = ("改掉了", "改掉", "克服了", "克服")
_PUBLIC_CRITICISM = re.compile(r"点名批评|通报批评|公开批评")
_PUBLIC_CRITICISM_NEGATED = re.compile(r"不|禁止|严禁|避免|杜绝")


def _check_named_evaluation(text: str, found: list[tuple[int, int, str]]) -> Concern | None:
    for sentence in _SENTENCE.finditer(text):
        in_sentence = _names_in(found, sentence.start(), sentence.end())
        if not in_sentence:
            continue
        for word in _CRITICISM.finditer(text, sentence.start(), sentence.end()):
            before = _clause_before(text, word.start())
            if before.endswith(_CRITICISM_NEGATED + _CRITICISM_UNDONE):
                continue
            nearest = min(in_sentence, key=lambda item: abs(item[0] - word.start()))
            if nearest[0] <= word.start() < nearest[1]:
                continue  # the "word" is part of a name
            names = [n for _s, _e, n in in_sentence]
            return _concern(NAMED_EVALUATION, text, [nearest[:2], word.span()], names)
    for match in _PUBLIC_CRITICISM.finditer(text):
        if not _PUBLIC_CRITICISM_NEGATED.search(_clause_before(text, match.start())):
            return _concern(NAMED_EVALUATION, text, [match.span()], [])
    return None


# --- homework for parents -----------------------------------------------------------------------

_PARENT = re.compile(r"家长(?!会|群|学校|委|开放日|课堂)|爸爸|妈妈|爸妈|父母|监护人")
# Verbs only a parent would do here, and verbs the child may do while the parent only reminds.
_PARENT_VERB = r"批改|批阅|打分|评分|打钩|打勾|打√|签字|签名|报听写|出题|判(?:作业|卷)"
_SHARED_VERB = r"检查|订正|修改|改错|默写|听写|拍照|上传|打卡|对答案|核对"
_HW_VERB = re.compile(rf"(?P<parent>{_PARENT_VERB})|(?P<shared>{_SHARED_VERB})")
# Reading counts only as a task ("每天阅读30分钟", "阅读打卡"), not "已阅读告知书".
_HW_OBJECT = re.compile(
    r"作业|练习|试卷|卷子|口算|生字|单词|错题|课文|背诵|听写|默写|习题|作文|日记|读书卡"
    r"|(?:阅读|朗读)(?:打卡|记录|单|卡|[^。!?;\n]{0,4}分钟)"
)
_HW_DIRECT = re.compile(
    r"家长(?:批改|批阅|打分|评分)|帮(?:孩子)?(?:改错|订正|批改)|给孩子(?:默写|听写|报听写|出题|批改|打分)"
    r"|家长作业|亲子作业|家长(?:帮|替|给)孩子(?:听写|默写|批改|订正|改错|检查)"
)
_NO_NEED = re.compile(
    r"不要求|不需要|不需|无需|无须|不必|不用|不得|禁止|严禁|请勿|不要|切勿|不再|不能|不应|不允许|不准|不会"
)
_CHILD_DOES = re.compile(r"督促|提醒|监督|让|叫|鼓励|引导|要求孩子|孩子自己|孩子独立")


def _check_homework(text: str, found: list[tuple[int, int, str]]) -> Concern | None:
    for match in _HW_DIRECT.finditer(text):
        if not _NO_NEED.search(_clause_before(text, match.start()) + match.group()):
            return _concern(HOMEWORK_FOR_PARENTS, text, [match.span()], _sentence_names(text, found, match.start()))
    for sentence in _SENTENCE.finditer(text):
        lo, hi = sentence.span()
        parents = list(_PARENT.finditer(text, lo, hi))
        if not parents:
            continue
        work = _HW_OBJECT.search(text, lo, hi)
        if not work:
            continue
        for verb in _HW_VERB.finditer(text, lo, hi):
            if _NO_NEED.search(_clause_before(text, verb.start())):
                continue
            if verb.group("shared"):
                # 请家长督促孩子订正错题: the child corrects, the parent reminds. Fine.
                before = [p for p in parents if p.end() <= verb.start()]
                if not before or _CHILD_DOES.search(text, before[-1].end(), verb.start()):
                    continue
            parent = min(parents, key=lambda p: abs(p.start() - verb.start()))
            spans = [parent.span(), verb.span()]
            if abs(work.start() - verb.start()) <= 12:
                spans.append(work.span())
            names = [n for _s, _e, n in _names_in(found, lo, hi)]
            return _concern(HOMEWORK_FOR_PARENTS, text, spans, names)
    return None


def _sentence_names(text: str, found: list[tuple[int, int, str]], pos: int) -> list[str]:
    for sentence in _SENTENCE.finditer(text):
        if sentence.start() <= pos < sentence.end():
            return [n for _s, _e, n in _names_in(found, *sentence.span())]
    return []


# --- votes, likes, red packets ------------------------------------------------------------------

_CAMPAIGN = re.compile(
    r"投票|拉票|刷票|集赞|砍一刀|帮忙砍|帮砍|打榜|投一票|投上一票|(?:发|抢|领|拆|拼手气)红包|红包(?:雨|接龙)"
    r"|转发[^。!?;\n]{0,8}朋友圈|朋友圈[^。!?;\n]{0,4}集赞"
)
# 点赞 and 助力 are also everyday praise ("为孩子们点赞"): a campaign only with a request around them.
_LIKE = re.compile(r"点赞|点个赞|助力")
_LIKE_REQUEST = re.compile(
    r"帮忙|帮|麻烦|动动|链接|http|扫码|二维码|转发|每天|每人|小程序|公众号|作品|参赛|票|点击|打开"
)
_CAMPAIGN_NEGATED = re.compile(r"禁止|严禁|不要|请勿|不得|切勿|谢绝|拒绝|不允许|不准|杜绝|不发|不参与|不组织")
_ELECTION = re.compile(r"选举|班干部|班委|队委|少代会")


def _check_vote(text: str, found: list[tuple[int, int, str]]) -> Concern | None:
    for sentence in _SENTENCE.finditer(text):
        lo, hi = sentence.span()
        hits = list(_CAMPAIGN.finditer(text, lo, hi))
        if hits and _ELECTION.search(text, lo, hi):
            hits = [m for m in hits if not m.group().startswith("投")]  # 班干部选举投票: the pupils vote
        if _LIKE_REQUEST.search(text, lo, hi):
            hits += _LIKE.finditer(text, lo, hi)
        for match in sorted(hits, key=lambda m: m.start()):
            if not _CAMPAIGN_NEGATED.search(_clause_before(text, match.start())):
                return _concern(VOTE_CAMPAIGN, text, [match.span()], [n for _s, _e, n in _names_in(found, lo, hi)])
    return None


# --- private information ------------------------------------------------------------------------

_MOBILE = re.compile(r"(?<![\d])(?:\+?86[\s-]?)?1[3-9]\d(?:[\s-]?\d{4}){2}(?![\d])")
_STAFF_CONTACT = re.compile(r"老师|校长|主任|教练|学校|校医|门卫|值班|办公室|热线|咨询|教务处|政教处")
_ID_NUMBER = re.compile(
    r"(?<![0-9A-Za-z])[1-9]\d{5}(?:18|19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])\d{3}[\dXx](?![0-9A-Za-z])"
)
_ID_LABEL = re.compile(r"(?:身份证号码?|身份证|证件号码?|银行卡号?|卡号)\s*(?:[:：]|是|为)?\s*(?P<value>[\dXx*\s]{6,})")
_ADDRESS_LABEL = re.compile(
    rf"(?:家庭住址|家庭地址|住址|家住|住在)\s*(?:[:：]|是|为)?\s*(?P<value>[{_H}\dA-Za-z#\-]{{4,}})"
)
_ADDRESS_NUMBER = re.compile(r"\d|[一二三四五六七八九十百]+(?:号|栋|幢|室|楼|弄|单元)")
_ADDRESS_PLACE = re.compile(r"[路街巷弄号栋幢室楼苑村]|小区|单元")


def _check_private(text: str, found: list[tuple[int, int, str]]) -> Concern | None:
    hits: list[tuple[int, int]] = []
    for match in _MOBILE.finditer(text):
        if not _STAFF_CONTACT.search(_clause_before(text, match.start())[-12:]):
            hits.append(match.span())
    hits += [m.span() for m in _ID_NUMBER.finditer(text)]
    hits += [m.span() for m in _ID_LABEL.finditer(text) if len(re.sub(r"\D", "", m.group("value"))) >= 6]
    for match in _ADDRESS_LABEL.finditer(text):
        value = match.group("value")
        if _ADDRESS_PLACE.search(value) and _ADDRESS_NUMBER.search(value):
            hits.append(match.span())
    if not hits:
        return None
    first = min(hits)
    return _concern(PRIVATE_INFO, text, [first], _sentence_names(text, found, first[0]))


# --- the checker ----------------------------------------------------------------------------------


def _concern(code: str, text: str, spans: Sequence[tuple[int, int]], names: Iterable[str]) -> Concern:
    reason, suggestion = _TEXTS[code]
    return Concern(
        code=code,
        reason=reason,
        suggestion=suggestion,
        evidence=_evidence(text, spans),
        student_names=_unique(names),
    )


_CHECKS = (_check_scores, _check_named_evaluation, _check_homework, _check_vote, _check_private)


def check_class_message(text: str, *, student_names: Iterable[str] = ()) -> list[Concern]:
    """The rules a class-wide message seems to break, at most one concern per code, in the order
    of ``CODES``. ``text`` may be HTML; ``student_names`` are the names on the class roster."""
    plain = normalize_text(text)
    if not plain.strip():
        return []
    found = _find_names(plain, student_names)
    concerns = []
    for check in _CHECKS:
        concern = check(plain, found)
        if concern is not None:
            concerns.append(concern)
    return concerns


_LONG_DIGITS = re.compile(r"\d(?:[\s-]?\d){6,}[\dXx]?")


def _mask_digits(match: re.Match[str]) -> str:
    digits = re.sub(r"[\s-]", "", match.group())
    return digits[:3] + "*" * (len(digits) - 3)


def summary(concerns: Iterable[Concern]) -> str:
    """One line per concern for the audit log: code and evidence, with children's names replaced,
    long numbers masked and addresses cut; a log must not carry a child's name or a family's phone
    number or address. The count of students named says how serious it was."""
    lines = []
    for concern in concerns:
        evidence = concern.evidence
        for name in sorted(concern.student_names, key=len, reverse=True):
            evidence = evidence.replace(name, "[name]")
        evidence = _LONG_DIGITS.sub(_mask_digits, evidence)
        if address := _ADDRESS_LABEL.search(evidence):
            evidence = evidence[: address.start("value")] + "***"
        line = f"{concern.code}: {evidence}"
        if concern.student_names:
            count = len(concern.student_names)
            line += f" ({count} student{'s' if count != 1 else ''})"
        lines.append(line)
    return "\n".join(lines)


# --- the override: warn, or go ahead with a reason that is logged -----------------------------------

REASON_LOGGED = 500  # characters of the sender's reason kept in the audit row


class GuardrailWarning(ValidationError):
    """The text looks like something the rules forbid in a class channel. The composer shows the
    concerns; the sender may still send by giving a reason, which is logged."""

    def __init__(self, concerns: Sequence[Concern]) -> None:
        self.concerns = list(concerns)
        super().__init__([str(c.reason) for c in self.concerns])


@dataclass(frozen=True)
class GuardrailOverride:
    """A class-wide message that goes out despite concerns, and the sender's reason (stripped)."""

    concerns: tuple[Concern, ...]
    reason: str

    @property
    def summary(self) -> str:
        """The audit row's summary: codes and evidence, children's names replaced."""
        return summary(self.concerns)[:255]

    @property
    def logged_reason(self) -> str:
        return self.reason[:REASON_LOGGED]


def require_override(concerns: Sequence[Concern], override_reason: str) -> GuardrailOverride | None:
    """No concerns: None, send. Concerns and no reason: ``GuardrailWarning``. Concerns and a
    reason: the override, for the caller to store with the message and log."""
    if not concerns:
        return None
    reason = (override_reason or "").strip()
    if not reason:
        raise GuardrailWarning(concerns)
    return GuardrailOverride(tuple(concerns), reason)


def enforce_guardrails(
    text: str, *, student_names: Iterable[str] = (), override_reason: str = ""
) -> GuardrailOverride | None:
    """Check a class-wide message (``check_class_message``) and apply the override rule
    (``require_override``) in one call."""
    return require_override(check_class_message(text, student_names=student_names), override_reason)
