"""What may not be said in a class channel, checked before a class-wide message goes out.

Education authorities (安阳 "八个禁止", 太原, the national 2022 guidance, 双减) and common local rules
forbid, in class notices and class group chat: posting scores, score lists or rankings; evaluating or
criticising a named student in front of the class; handing homework to parents or asking them to
check, mark or sign it; vote, like and red-packet campaigns; exposing or asking for private
information; 打卡 and photos of work in the group; selling or recommending paid materials; collecting
money or gifts; a child's family circumstances or health; parents doing the staff's work. Anything
about one child belongs in a private message to that family. Each ``Concern`` names the rule, quotes
the words (``evidence``) and the channel the thing belongs in instead (``channel``).

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
  name first; by surname + 同学 (王同学); by student or seat number (3号, 学号15) where the number
  cannot be a date, a range or a place (15号之前, 1-6号, 3号楼). A roster name that is also a
  common word (安静, 高兴) counts only when it stands apart or is followed by 同学/家长/妈妈/爸爸.
* Without roster names a score list is still recognised from its layout (two or more lines such
  as "张伟 98", or "李娜98分，王芳95分"), using common surnames; a single unknown name with a score
  is let through.
* A mobile number next to 老师/校长/主任/学校/办公室 is the staff's own contact and is let through;
  any other mobile number, an 18-digit ID number, or a labelled ID or home address is a concern.

The module is pure Python (no database) and compiles its patterns once; the roster's name pattern
is cached per roster, and each rule first looks for any of its words in the whole text, so chat can
call it on every message. It reads at most ``MAX_SCANNED`` characters. Measured on the labelled
corpus in core/tests/guardrail_corpus/ (test_guardrail_corpus.py, bench/guardrails.py).
"""

from __future__ import annotations

import html
import re
import unicodedata
from bisect import bisect_left
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from functools import lru_cache
from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from core.hanzi import to_simplified

if TYPE_CHECKING:
    from django.utils.functional import _StrOrPromise

SCORES = "scores"
NAMED_EVALUATION = "named_evaluation"
HOMEWORK_FOR_PARENTS = "homework_for_parents"
VOTE_CAMPAIGN = "vote_campaign"
PRIVATE_INFO = "private_info"
CHECKIN = "checkin"
PAID_MATERIALS = "paid_materials"
COLLECTING_MONEY = "collecting_money"
FAMILY_CIRCUMSTANCES = "family_circumstances"
PARENTS_STAFF_WORK = "parents_staff_work"
CODES = (
    SCORES,
    NAMED_EVALUATION,
    HOMEWORK_FOR_PARENTS,
    VOTE_CAMPAIGN,
    PRIVATE_INFO,
    CHECKIN,
    PAID_MATERIALS,
    COLLECTING_MONEY,
    FAMILY_CIRCUMSTANCES,
    PARENTS_STAFF_WORK,
)
# The school's own forbidden words (``school_words``), set by its admins: not a rule of the
# authorities, so not in ``CODES`` (the corpus measures ``CODES``).
SCHOOL_WORDS = "school_words"
ALL_CODES = (*CODES, SCHOOL_WORDS)

EVIDENCE_MAX = 40


# Where the thing belongs instead. A URL name where the product has the place (the template links
# it when it resolves), plain words otherwise.
PRIVATE_MESSAGE = "private_message"
SURVEY = "survey"
CLASS_FUND = "class_fund"
DUTY_ROSTER = "duty_roster"
NOWHERE = "nowhere"
_CHANNELS: dict[str, tuple[_StrOrPromise, str]] = {
    PRIVATE_MESSAGE: (_("a private message to the family"), "chat:list"),
    SURVEY: (_("a survey, which only the staff can read"), "surveys:new"),
    CLASS_FUND: (_("the class-fund ledger, run by the parents' committee"), "community:fund"),
    DUTY_ROSTER: (_("the pupils' duty roster"), "community:duty"),
    NOWHERE: (_("nowhere: leave it out"), ""),
}


@dataclass(frozen=True)
class Concern:
    """One rule a class-wide message seems to break, with what to do instead: ``evidence`` quotes
    the words that triggered it, ``channel`` names the place the message belongs instead."""

    code: str
    reason: _StrOrPromise
    suggestion: _StrOrPromise
    evidence: str
    student_names: tuple[str, ...] = ()
    channel: str = PRIVATE_MESSAGE

    @property
    def channel_label(self) -> _StrOrPromise:
        return _CHANNELS[self.channel][0]

    @property
    def channel_url(self) -> str:
        """The page of the channel, or "" where the product has none (yet)."""
        from django.urls import NoReverseMatch, reverse

        url_name = _CHANNELS[self.channel][1]
        if not url_name:
            return ""
        try:
            return reverse(url_name)
        except NoReverseMatch:
            return ""

    def as_dict(self) -> dict[str, str]:
        """What an API answers for it: the rule, why, what to do, the words, the channel."""
        return {
            "code": self.code,
            "reason": str(self.reason),
            "suggestion": str(self.suggestion),
            "evidence": self.evidence,
            "channel": self.channel,
            "channel_label": str(self.channel_label),
        }


_TEXTS: dict[str, tuple[_StrOrPromise, _StrOrPromise, str]] = {
    SCORES: (
        _("Scores and rankings of students may not be posted in a class channel."),
        _("Send each family its own child's result in a private message."),
        PRIVATE_MESSAGE,
    ),
    NAMED_EVALUATION: (
        _("A named student may not be criticised or evaluated in front of the whole class."),
        _("Talk about one child with that child's family, in a private message."),
        PRIVATE_MESSAGE,
    ),
    HOMEWORK_FOR_PARENTS: (
        _("Parents may not be asked to check, mark or sign homework, or be given homework of their own."),
        _("Let the children do and correct their homework; if one child needs help, write to that family privately."),
        PRIVATE_MESSAGE,
    ),
    VOTE_CAMPAIGN: (
        _("Class channels may not be used for votes, likes, sharing for likes or red packets."),
        _("Leave the request out of the class channel; families are free to take part on their own."),
        NOWHERE,
    ),
    PRIVATE_INFO: (
        _(
            "The message shows or asks for a phone number, an ID number, an address or other personal data"
            " in front of the whole class."
        ),
        _(
            "Collect personal details with a survey, which only the staff can read, or send them privately"
            " to the family concerned."
        ),
        SURVEY,
    ),
    CHECKIN: (
        _("Homework may not be handed in, photographed or checked in (打卡) through the class channel."),
        _("Let the children hand in their work at school; if you need something from each family, use a survey."),
        SURVEY,
    ),
    PAID_MATERIALS: (
        _("Teachers may not sell or recommend paid workbooks, newspapers, courses or apps in a class channel."),
        _("Leave it out; the school's free materials and the library are enough."),
        NOWHERE,
    ),
    COLLECTING_MONEY: (
        _("Money may not be collected in a class channel, for gifts, red packets or the class."),
        _(
            "Gifts to teachers are not allowed; class money goes through the parents' committee and the"
            " class-fund ledger."
        ),
        CLASS_FUND,
    ),
    FAMILY_CIRCUMSTANCES: (
        _("A child's family circumstances or health may not be discussed in front of the whole class."),
        _("Talk about it with that child's family only, in a private message."),
        PRIVATE_MESSAGE,
    ),
    PARENTS_STAFF_WORK: (
        _("Parents may not be asked to do the school's work, such as cleaning the classroom or supervising."),
        _("Classroom duties belong to the pupils' duty roster and the school's staff; parents may only volunteer."),
        DUTY_ROSTER,
    ),
    SCHOOL_WORDS: (
        _("The message uses words your school does not allow in class channels."),
        _("Rephrase it, or send it privately to the family concerned."),
        PRIVATE_MESSAGE,
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


MAX_SCANNED = 10_000  # characters of a message the checker reads: a longer one is read in part


def normalize_text(text: str) -> str:
    """Plain text as a reader sees it: tags gone (blocks become lines, cells spaces), entities
    decoded, full-width forms folded (NFKC), traditional characters simplified (core.hanzi),
    invisible characters removed, spaces collapsed. At most ``MAX_SCANNED`` characters of the
    result, and of the input at most four times as many (markup), so any input takes bounded time."""
    text = str(text or "")[: MAX_SCANNED * 4]
    if "<" in text:
        text = _HTML_DROP.sub("", text)
        text = _HTML_BREAK.sub("\n", text)
        text = _HTML_CELL.sub(" ", text)
        text = _HTML_TAG.sub("", text)
    text = unicodedata.normalize("NFKC", html.unescape(text))
    text = to_simplified(_INVISIBLE.sub("", text).replace("\r\n", "\n").replace("\r", "\n"))
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


@lru_cache(maxsize=128)
def _roster_pattern(names: tuple[str, ...]) -> re.Pattern[str] | None:
    return _name_pattern(tuple(sorted({n for n in map(_clean_name, names) if len(n) >= 2})))


def _find_names(text: str, names: Iterable[str]) -> list[tuple[int, int, str]]:
    pattern = _roster_pattern(tuple(names))
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


# Students named without their names: a surname and 同学 (王同学), a student or seat number (3号,
# 学号15, 座号7). A number is a student's only where it cannot be a date (11月3号, 15号之前), a
# range (1-6号, 1号到5号), a building, a line or a door (3号楼, 8号线).
_NUMBER_REF = re.compile(
    r"(?:学号|座号)\s*(?P<a>\d{1,2})(?!\d)"
    r"|(?<![\d月\-~—到至第.])(?P<b>\d{1,2})\s*号(?:同学)?"
    r"(?![楼线门口床车厅室馆位房院场地球码段\-~—]|之前|之后|前|以前|以后|后|截止|上午|下午|中午|晚|早|当天|开始|起|到|至|左右)"
)


def _refs_without_names(text: str) -> list[tuple[int, int, str]]:
    found = [(m.start(), m.end(), m.group()) for m in _SURNAME_CLASSMATE.finditer(text)]
    for match in _NUMBER_REF.finditer(text):
        number = int(match.group("a") or match.group("b"))
        if 1 <= number <= 70:
            found.append((match.start(), match.end(), match.group()))
    return found


def _find_students(text: str, names: Iterable[str]) -> list[tuple[int, int, str]]:
    """Every mention of a student, in text order: roster names, surname + 同学, numbers."""
    found = _find_names(text, names)
    extra = [item for item in _refs_without_names(text) if not any(s < item[1] and item[0] < e for s, e, _n in found)]
    return sorted(found + extra) if extra else found


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
_SCORE_STATEMENT = re.compile(rf"(?:考了?|得了?|拿了|成绩|分数|总分|只有|只得|才)(?:是|为)?\s*{_NUMBER}{_FEN}")
# Said of a named student: "只考了五十多分", "49分", "28/30", "正确率100%".
_POINTS = re.compile(
    r"(?<![\d.])\d{1,3}(?:\.\d{1,2})?\s?分(?!钟|之|别|享|组|配|班|发|开|批|类|工|布|成|析|解|散|手|离|辨|明|数线)"
    r"|[一二三四五六七八九十百]{1,4}[几多]?分(?!钟|之|别|享|组|配|班|钟)|(?<![\d/])\d{1,3}\s*/\s*\d{1,3}(?![\d/])"
    r"|正确率|得分率|准确率|\d{1,3}%"
)
_GRADE = re.compile(r"\s*[:：]?\s*(?:[A-D][+-]?|[优良中差]等?)(?![A-Za-z])")
# A ranking published as a list, named or not: "排名表已出来了".
_LIST_PUBLISHED = re.compile(r"排名表|名次表|排行榜|成绩排名|总分排名|分数表|光荣榜|红黑榜")
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
_SURNAME_CLASSMATE = re.compile(rf"(?<![{_H}])(?:{_COMPOUND_SURNAMES}|[{_SURNAMES}])同学(?!们)")
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
# A row of a score table as OCR reads a photographed sheet: a short label (a name the engine may
# have misread into letters, "李-诺", "FH") and then only numbers. Three such rows under the header
# are a score list even when no name survived the reading.
_TABLE_ROW = re.compile(r"^[^\d\s|]{1,6}(?:[\s|:：]+\d{1,3}(?:\.\d{1,2})?)+[\s|]*$", re.M)

_RANK = re.compile(
    r"排名|名次|排行|第[一二三四五六七八九十\d]{1,3}名|倒数第[一二三四五六七八九十\d]{0,3}名?|倒数[一二三四五六七八九十\d]{1,3}名"
    r"|前[一二三四五六七八九十\d]{1,3}名|后[一二三四五六七八九十\d]{1,3}名|成绩单|成绩表|分数"
    r"|满分|全对|垫底|末尾|不及格|没及格|零分|最高分|最低分|\d{1,3}分以[上下]|(?:没有?|未|不)达标"
)
_RANK_NEGATED = re.compile(r"不公布|不排|不设|不进行|不搞|不做|不得|禁止|严禁|不再|不准|不允许|取消|淡化|不会")
_LIST_CUE = re.compile(r"以下同学|下列同学|如下同学|以下学生|以下孩子|名单|榜单|的同学(?:有|是|如下)")


def _score_unit_ok(text: str, match: re.Match[str], limit: float = 150) -> bool:
    if match.group("fen"):
        return True
    return float(match.group("num")) <= limit and not _NOT_SCORE_AFTER.match(text, match.end("num"))


def _score_row_ok(row: str) -> bool:
    """Every number of a table row could be a score: at most 150, but for the last of several (a
    total column)."""
    numbers = [float(n) for n in re.findall(r"\d{1,3}(?:\.\d{1,2})?", row)]
    if len(numbers) == 1:
        return numbers[0] <= 150
    return all(n <= 150 for n in numbers[:-1]) and numbers[-1] <= 999


def _line_bounds(text: str, start: int, end: int) -> tuple[int, int]:
    line_start = text.rfind("\n", 0, start) + 1
    line_end = text.find("\n", end)
    return line_start, len(text) if line_end < 0 else line_end


def _check_scores(text: str, found: list[tuple[int, int, str]]) -> Concern | None:
    spans: list[tuple[int, int]] = []
    names: list[str] = []
    strong = False
    pairs: set[str] = set()

    # 1. A roster name followed by a number: "王小明 98分", "王小明：语文98", "王小明(98)". Under a
    # score table's header (姓名 … 总分) a total may pass 150.
    limit = 999 if _TABLE_HEADER.search(text) else 150
    for start, end, name in found:
        match = _SCORE_TAIL.match(text, end)
        if not match or not _score_unit_ok(text, match, limit):
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
            if not _NOT_A_NAME.search(m.group("name")) and _score_unit_ok(text, m, limit)
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
    header = _TABLE_HEADER.search(text)
    if pairs and header:
        strong = True
    if header:
        rows = [m for m in _TABLE_ROW.finditer(text, header.end()) if _score_row_ok(m.group())]
        if len(rows) >= 3:
            strong = True
            spans += [m.span() for m in rows]
    graded = [(start, end, name) for start, end, name in found if _GRADE.match(text, end)]
    if len(graded) >= 2:
        strong = True
        spans += [(start, _GRADE.match(text, end).end()) for start, end, _n in graded]  # type: ignore[union-attr]
        names += [name for _s, _e, name in graded]
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
        if in_sentence:
            ranks += _POINTS.finditer(text, sentence.start(), sentence.end())
        for rank in sorted(ranks, key=lambda m: m.start()):
            if _RANK_NEGATED.search(_clause_before(text, rank.start())):
                continue
            if in_sentence:
                anchor = [in_sentence[0][:2]]
            else:
                anchor = [cue.span()] if cue else []
            return _concern(SCORES, text, [rank.span(), *anchor], [n for _s, _e, n in in_sentence])
    for listed in _LIST_PUBLISHED.finditer(text):
        if not _RANK_NEGATED.search(_clause_before(text, listed.start())):
            return _concern(SCORES, text, [listed.span()], [])
    return None


# --- criticism of a named student ---------------------------------------------------------------

_CRITICISM = re.compile(
    r"批评|警告|处分|惩罚|罚站|罚抄|检讨|反省|屡教不改|不像话|不自觉|不上进|不听话|不听讲|不专心|不认真|不遵守"
    r"|违反纪律|违纪|捣乱|扰乱|调皮|顽皮|打架|打人|骂人|欺负|说脏话|迟到|早退|旷课|逃课|作弊|抄袭|抄作业|撒谎|说谎"
    r"|偷(?:东西|钱|拿)|拖拉|磨蹭|马虎|粗心|潦草|退步|落后|拖后腿|最差|很差|太差|极差|差劲|不合格|懒惰|懒散"
    r"|没礼貌|不礼貌|不文明|不讲卫生|态度不端正|注意力不集中|上课(?:讲话|说话|走神|睡觉|玩|吃东西|做小动作)"
    r"|影响(?:他人|别人|课堂|纪律|同学)|表现(?:很|太|非常|极|比较|较)?(?:差|不好)|不好好"
    r"|(?:没有?|未|不)(?:交|写|完成|背诵?|订正)(?:作业|练习|作文|课文|试卷)|(?:作业|练习|作文|试卷|课文)[^。!?;\n,]{0,3}(?:没有?|未|不)(?:交|写|完成|背)"
    r"|(?:没有?|未)(?:写|完成)|(?:没有?|忘了?)带(?:作业|课本|书|练习|本子)|(?:没有?|未|不)(?:戴|带)(?:红领巾|校牌|帽)?(?=的|红|校|帽|$|[,，])"
    r"|上课[^。!?;\n,]{0,6}(?:讲话|说话|走神|睡觉|玩|吃东西|做小动作|发呆|打闹)|爱讲话|爱说话|打闹|追跑|撞倒|推人|顶撞|顶嘴"
    r"|(?:推|打|踢|咬|抓|掐|撞|抢|骂)(?:了|倒了?)?[^。!?;\n,]{0,3}(?:同学|别人|人|小朋友)|浪费|倒掉"
    r"|缺交|漏交|欠交|迟交|大声(?:说话|喧哗|吵闹)|吵闹|喧哗|忘(?:了|记)?带|影响[^。!?;\n,]{0,4}(?:他人|别人|课堂|纪律|同学|休息|上课)"
    r"|不承认|[弄撕损摔]坏|扣分|抄[^。!?;\n,]{0,5}作业|拖[^。!?;\n,]{0,6}后腿|发呆|较差"
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


_AWARD = re.compile(
    r"获奖|荣获|获得[^。!?;\n,]{0,10}(?:奖|名|称号)|[一二三]等奖|特等奖|金奖|银奖|铜奖|三好学生|之星|被评为|冠军|亚军|季军"
)


def _check_named_award(text: str, found: list[tuple[int, int, str]]) -> Concern | None:
    """Only for a school that chose it: one named child's award is an evaluation too."""
    for sentence in _SENTENCE.finditer(text):
        in_sentence = _names_in(found, sentence.start(), sentence.end())
        award = in_sentence and _AWARD.search(text, sentence.start(), sentence.end())
        if award:
            nearest = min(in_sentence, key=lambda item: abs(item[0] - award.start()))
            return _concern(NAMED_EVALUATION, text, [nearest[:2], award.span()], [n for _s, _e, n in in_sentence])
    return None


# --- homework for parents -----------------------------------------------------------------------

_PARENT = re.compile(r"家长(?!会|群|学校|委|开放日|课堂)|爸爸|妈妈|爸妈|父母|监护人")
# Verbs only a parent would do here, and verbs the child may do while the parent only reminds.
_PARENT_VERB = r"批改|批阅|批完|批好|改完|打分|评分|打钩|打勾|打√|签字|签名|报(?:听写|单词|词语)|出题|判(?:作业|卷)"
_SHARED_VERB = r"检查|订正|修改|改错|默写|听写|对答案|核对"
_HW_VERB = re.compile(rf"(?P<parent>{_PARENT_VERB})|(?P<shared>{_SHARED_VERB})")
# Reading counts only as a task ("每天阅读30分钟", "阅读打卡"), not "已阅读告知书".
_HW_OBJECT = re.compile(
    r"作业|练习|试卷|卷子|口算|生字|单词|词语|错题|课文|背诵|听写|默写|习题|题|作文|日记|读书卡"
    r"|(?:阅读|朗读)(?:打卡|记录|单|卡|[^。!?;\n]{0,4}分钟)"
)
_HW_DIRECT = re.compile(
    r"家长(?:批改|批阅|打分|评分)|帮(?:孩子)?(?:改错|订正|批改|修改)|给孩子(?:默写|听写|报听写|出题|批改|打分)"
    r"|家长作业|亲子作业|家长(?:帮|替|给)孩子(?:听写|默写|批改|订正|改错|检查|出[^。!?;\n]{0,8}题)"
    r"|亲子[^。!?;\n]{0,4}(?:作业|任务|感悟|心得|手抄报|阅读记录|读后感|实验|制作|小报)"
    r"|(?:家长|父母|爸爸妈妈|爸妈)们?[^。!?;\n]{0,10}(?:写|做|完成|提交)[^。!?;\n]{0,8}(?:心得|感悟|读后感|体会|感想|反思)"
    r"|(?:家长|父母|爸爸妈妈|爸妈)(?:和|与|跟|陪|带着?)孩子(?:一起|共同)?[^。!?;\n]{0,10}"
    r"(?:完成|制作|做|填写|设计|写|画)[^。!?;\n]{0,10}(?:作业|表|单|报|作品|制作|手工|模型|实验|日记|感悟|心得|画)"
)
_NO_NEED = re.compile(
    r"不要求|不需要|不需|无需|无须|不必|不用|不得|禁止|严禁|请勿|不要|切勿|不再|不能|不应|不允许|不准|不会"
)
_HOMEWORK_ANY = re.compile(r"家长|爸|妈|父母|监护人|亲子|孩子")
_CLAUSE_SPLIT = re.compile(r"[。!?;\n,]")
_TEACHER_DOES = re.compile(r"我|老师")  # "…发到群里，我统一检查": the teacher checks
_CHILD_DOES = re.compile(r"督促|提醒|监督|让|叫|鼓励|引导|要求孩子|孩子自己|孩子独立")


def _check_homework(text: str, found: list[tuple[int, int, str]]) -> Concern | None:
    if not _HOMEWORK_ANY.search(text):
        return None
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
            before_verb = _clause_before(text, verb.start())
            if _NO_NEED.search(before_verb) or _TEACHER_DOES.search(before_verb):
                continue
            if verb.group("shared"):
                after = _CLAUSE_SPLIT.split(text[verb.end() : hi], maxsplit=1)[0][:12]
                near = _clause_before(text, verb.start())[-12:] + after
                if not _HW_OBJECT.search(near):
                    continue  # "…没带作业本，请家长检查书包": not homework
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
    r"投票|投[个张一]票|拉票|拉拉票|刷票|集赞|砍一刀|帮忙砍|帮砍|打榜|投一票|投上一票|投起来|(?:发[个点几]?|抢|领|拆|拼手气)红包|红包(?:雨|接龙)"
    r"|转发[^。!?;\n]{0,8}朋友圈|朋友圈[^。!?;\n]{0,4}(?:集赞|转发)"
)
# 点赞 and 助力 are also everyday praise ("为孩子们点赞"): a campaign only with a request around them.
_LIKE = re.compile(r"点赞|点个赞|助力")
_LIKE_REQUEST = re.compile(
    r"帮忙|帮|麻烦|动动|链接|http|扫码|二维码|转发|每天|每人|小程序|公众号|作品|参赛|票|点击|打开"
)
_CAMPAIGN_NEGATED = re.compile(
    r"禁止|严禁|不要|请勿|不得|切勿|谢绝|拒绝|不允许|不准|杜绝|不发|不参与|不组织|不搞|谨防|防范|警惕|小心|诈骗"
)
_ELECTION = re.compile(r"选举|班干部|班委|队委|少代会")


_VOTE_ANY = re.compile(r"票|赞|砍|榜|红包|朋友圈|助力|投起来")


def _check_vote(text: str, found: list[tuple[int, int, str]]) -> Concern | None:
    if not _VOTE_ANY.search(text):
        return None
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
    rf"(?:家庭住址|家庭地址|家的?地址|住址|家住|住在)\s*(?:[:：]|是|为)?\s*(?P<value>[{_H}\dA-Za-z#\-]{{4,}})"
)
_ADDRESS_NUMBER = re.compile(r"\d|[一二三四五六七八九十百]+(?:号|栋|幢|室|楼|弄|单元)")
_ADDRESS_PLACE = re.compile(r"[路街巷弄号栋幢室楼苑村]|小区|单元")


_PERSONAL_DATA = re.compile(
    r"身份证|证件|户口本|户籍|家庭住址|住址|详细地址|家里的?地址|手机号|电话号码|联系方式|银行卡|出生日期|出生年月|血型|学籍号|微信号"
)
_TO_GROUP = re.compile(r"(?:在|发到?|发在|传到|报在)(?:班级)?群[里内中]?|群里|群内|本群|接龙")
_DATA_NEGATED = re.compile(r"不要|请勿|切勿|不得|禁止|严禁|不需要|无需|不必|不用|不在|私信|私聊|单独")
_WECHAT_ID = re.compile(r"微信号?\s*(?:是|为|:)?\s*(?P<value>[A-Za-z][-_A-Za-z0-9]{5,19})")


def _check_private(text: str, found: list[tuple[int, int, str]]) -> Concern | None:
    hits: list[tuple[int, int]] = []
    for sentence in _SENTENCE.finditer(text):
        lo, hi = sentence.span()
        data = _PERSONAL_DATA.search(text, lo, hi)
        group = data and _TO_GROUP.search(text, lo, hi)
        if data and group and not _DATA_NEGATED.search(text, lo, hi):
            hits.append(data.span())
    for match in _WECHAT_ID.finditer(text):
        if not _STAFF_CONTACT.search(_clause_before(text, match.start())[-12:]):
            hits.append(match.span())
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


# --- handing in and checking in homework through the channel (打卡, photos of work) ------------------

_CHECKIN = re.compile(r"打卡")
_CHECKIN_NOT = re.compile(r"上班|下班|考勤|景点|网红")
# A photo, video or screenshot to be sent or posted: "拍照发到群里", "录成视频上传", "在本群晒一晒".
_SEND_MEDIA = re.compile(
    r"(?:拍照|拍好照片|拍成?(?:照片|视频)|照片|录成?视频|视频|截图|录音)[^。!?;\n]{0,12}?(?:发|上传|传到|晒|提交)"
    r"|(?:发|上传|晒)[^。!?;\n]{0,6}(?:照片|视频|截图|录音)|晒一晒|晒晒"
)
_IN_GROUP = re.compile(r"群|接龙")
_WORK = re.compile(
    r"作业|作品|背诵|朗读|阅读|读书|练习(?!册)|手抄报|口算|练字|书法|跳绳|听写|默写|试卷|答案|课文|完成|一练|劳动|实践"
)
_SCREENSHOT_PROOF = re.compile(r"截图[^。!?;\n]{0,4}(?:发|晒)[^。!?;\n]{0,3}群")
# Reporting that the work is done, in the group: "在群里接龙：已完成今日作业", "在群里报阅读时长".
_REPORT_IN_GROUP = re.compile(r"(?:群里|群内|本群|班级群|群中)[^。!?;\n]{0,4}(?:接龙|回复|报|发|提交|晒)|接龙")
_CHECKIN_NEGATED = re.compile(
    r"不要|不需要|不需|无需|无须|不必|不用|不得|禁止|严禁|请勿|切勿|不再|不在|停用|取消|已停|不允许|不准"
)


_CHECKIN_ANY = re.compile(r"打卡|截图|照|视频|录音|晒|接龙|群")


def _check_checkin(text: str, found: list[tuple[int, int, str]]) -> Concern | None:
    if not _CHECKIN_ANY.search(text):
        return None
    for sentence in _SENTENCE.finditer(text):
        lo, hi = sentence.span()
        hits: list[re.Match[str]] = []
        if not _CHECKIN_NOT.search(text, lo, hi):
            hits += _CHECKIN.finditer(text, lo, hi)
        hits += _SCREENSHOT_PROOF.finditer(text, lo, hi)
        if _WORK.search(text, lo, hi):
            hits += _SEND_MEDIA.finditer(text, lo, hi)
            hits += [m for m in _REPORT_IN_GROUP.finditer(text, lo, hi) if _work_near(text, m, lo, hi)]
        for match in sorted(hits, key=lambda m: m.start()):
            if _CHECKIN_NEGATED.search(text, max(lo, match.start() - _LOOK_BACK), min(hi, match.end() + 15)):
                continue
            return _concern(CHECKIN, text, [match.span()], [n for _s, _e, n in _names_in(found, lo, hi)])
    return None


def _work_near(text: str, match: re.Match[str], lo: int, hi: int) -> bool:
    return _WORK.search(text, max(lo, match.start() - 20), min(hi, match.end() + 20)) is not None


# --- selling or recommending paid materials ----------------------------------------------------------

_MATERIAL = re.compile(
    r"《[^》\n]{1,24}》|练习册|教辅|辅导(?:资料|书)|资料|试卷集|报纸|杂志|[^画海]报(?:刊|纸)?(?=[,，。]|$)|字帖|点读笔|学习机|词典|APP|app"
    r"|会员|网课|课程|培训|辅导班|[暑寒]假班|思维课|兴趣班|补习|同步(?:练习|作文|训练)|天天练|书"
)
_SALE = re.compile(
    r"购买|买|订购|征订|订阅|预订|订|团购|代购|拿货|链接|二维码|扫码|邀请码|优惠|折扣|特价|报名|开通|下单|付款"
    r"|(?<![\d.])\d{1,7}(?:\.\d{1,2})?\s*元|[一二两三四五六七八九十百几]+[多几]?(?:块|元)|当当|淘宝|京东|拼多多|网店|书店"
)
_SALE_NEGATED = re.compile(
    r"不要|不需要|不需|无需|无须|不必|不用|不得|禁止|严禁|请勿|切勿|不推荐|不代购|不统一|不征订|不收|谨防|警惕|冒充|免费|不另外"
    r"|用于|用来|收支|账本"
)


def _check_paid_materials(text: str, found: list[tuple[int, int, str]]) -> Concern | None:
    if not _MATERIAL.search(text):
        return None
    for sentence in _SENTENCE.finditer(text):
        lo, hi = sentence.span()
        material = _MATERIAL.search(text, lo, hi)
        if not material:
            continue
        if _SALE_NEGATED.search(text, lo, hi):
            continue
        sale = _SALE.search(text, lo, hi)
        if sale and not (sale.start() >= material.start() and sale.end() <= material.end()):
            return _concern(PAID_MATERIALS, text, [material.span(), sale.span()], [])
    return None


# --- collecting money -------------------------------------------------------------------------------

_AMOUNT = re.compile(r"(?<![\d.])\d{1,7}(?:\.\d{1,2})?\s*(?:元|块)|[一二两三四五六七八九十百]+(?:元|块钱)")
_PAY = re.compile(
    r"交|缴|转(?:给|到|账)|微信转|支付宝|付款|收(?:取|齐|钱|款)|凑|AA|出\d|垫付|退|带(?:来|到学校|给老师)"
)
_PER_HEAD = re.compile(r"每(?:人|家|户|位(?:家长|同学)?|个(?:孩子|同学|家庭)|生)")
_MONEY_REPORT = re.compile(r"收支|明细|账本|使用情况|用于|已用|花费了|结余")
_MONEY_ALONE = re.compile(r"收款码|扫码(?:付款|支付|转账)|凑(?:一下|点)?钱|捐款|募捐|众筹|班费|份子钱|礼金")
_GIFT_FOR_TEACHER = re.compile(
    r"(?:老师|班主任|教师)[^。!?;\n]{0,6}(?:礼物|礼品|鲜花|纪念品|红包|购物卡)"
    r"|(?:礼物|礼品|鲜花|纪念品|红包|购物卡)[^。!?;\n]{0,6}(?:老师|班主任|教师)"
)
_MONEY_NEGATED = re.compile(
    r"不要|不需要|不需|无需|无须|不必|不用|不得|禁止|严禁|请勿|切勿|不收|不再|从不|谢绝|拒绝|不允许|不准|不以|免费|承担|收支|明细|账本|使用情况"
)


_MONEY_ANY = re.compile(r"元|块|收款|扫码|钱|捐|募|众筹|班费|礼|红包|鲜花|纪念品|购物卡")


def _check_money(text: str, found: list[tuple[int, int, str]]) -> Concern | None:
    if not _MONEY_ANY.search(text):
        return None
    for sentence in _SENTENCE.finditer(text):
        lo, hi = sentence.span()
        hits: list[tuple[int, int]] = []
        amount = _AMOUNT.search(text, lo, hi)
        per_head = amount and _PER_HEAD.search(text, max(lo, amount.start() - 8), amount.start())
        if amount and (per_head or _PAY.search(text, lo, hi)):
            hits.append(amount.span())
        hits += [m.span() for m in _MONEY_ALONE.finditer(text, lo, hi)]
        gift = _GIFT_FOR_TEACHER.search(text, lo, hi)
        if gift and (amount or _PAY.search(text, lo, hi) or "发" in text[lo:hi]):
            hits.append(gift.span())
        if _MONEY_REPORT.search(text, lo, hi):
            continue  # "班费已用于…，收支明细见账本": an account of money spent, not a collection
        kept = [
            (start, end)
            for start, end in sorted(hits)
            if not _MONEY_NEGATED.search(text, max(lo, start - _LOOK_BACK), min(hi, end + 6))
        ]
        if kept:
            return _concern(COLLECTING_MONEY, text, kept, [])
    return None


# --- a child's family circumstances or health ----------------------------------------------------------

_CIRCUMSTANCE = re.compile(
    r"离婚|离异|闹离婚|分居|单亲|低保|贫困|困难户|困难补助|家庭困难|家里(?:比较|很|非常)?困难|经济困难|补助|助学金|资助|减免"
    r"|留守|孤儿|去世|过世|病逝|欠债|起诉|坐牢|服刑|吵架|家暴|二胎|改嫁|再婚"
    r"|住院|手术|车祸|ICU|重症|病危|生病|病了|得了|确诊|诊断|病史|发烧|发热|\d{2}(?:\.\d)?度|水痘|甲流|流感|感冒|肺炎|手足口"
    r"|哮喘|多动症|抑郁|自闭|焦虑症|癫痫|心脏病|白血病|癌|过敏|弱视|近视|视力|残疾|智力|心理(?:状态|问题|疾病)"
    r"|身体不(?:太)?舒服|隔离|吃药|请病假|糖尿病|高血压|肾病|贫血|骨折|胰岛素|输液|打针|查出"
)


def _check_family(text: str, found: list[tuple[int, int, str]]) -> Concern | None:
    if not found or not _CIRCUMSTANCE.search(text):
        return None
    for sentence in _SENTENCE.finditer(text):
        lo, hi = sentence.span()
        in_sentence = _names_in(found, lo, hi)
        if not in_sentence:
            continue
        for word in _CIRCUMSTANCE.finditer(text, lo, hi):
            if any(s <= word.start() < e for s, e, _n in in_sentence):
                continue
            nearest = min(in_sentence, key=lambda item: abs(item[0] - word.start()))
            return _concern(FAMILY_CIRCUMSTANCES, text, [nearest[:2], word.span()], [n for _s, _e, n in in_sentence])
    return None


# --- parents doing the school's work -------------------------------------------------------------------

_PARENT_ADULT = re.compile(r"家长|爸爸|妈妈|爸妈|父母|家委会?|家委会成员")
_STAFF_TASK = re.compile(
    r"打扫|扫地|拖地|擦窗|擦玻璃|擦桌|擦[^。!?;\n,]{0,3}(?:桌|椅|窗|玻璃|黑板|地)|(?:桌椅|窗户|玻璃|黑板|地面)[^。!?;\n,]{0,2}(?:擦|拖|扫)|大扫除|倒垃圾|卫生|布置教室|搬桌椅|贴墙纸|值日|看午休|看护午休|午休看护|打饭|分饭"
    r"|装订|登分|录入[^。!?;\n]{0,12}成绩|统计[^。!?;\n]{0,6}成绩|出黑板报|整理图书角|窗帘|桌布"
)
_STAFF_TASK_NOT = re.compile(r"在家|家务|自己的|家里")
_STAFF_TASK_OTHERS = re.compile(r"学生|孩子|值日生|同学|保洁|阿姨|志愿")


def _check_staff_work(text: str, found: list[tuple[int, int, str]]) -> Concern | None:
    if not _STAFF_TASK.search(text) or not _PARENT_ADULT.search(text):
        return None
    for sentence in _SENTENCE.finditer(text):
        lo, hi = sentence.span()
        parents = list(_PARENT_ADULT.finditer(text, lo, hi))
        if not parents or _STAFF_TASK_NOT.search(text, lo, hi):
            continue
        for task in _STAFF_TASK.finditer(text, lo, hi):
            clause_lo = task.start() - len(_clause_before(text, task.start()))
            clause_hi = next((i for i in range(task.end(), hi) if text[i] in _CLAUSE_END), hi)
            if _NO_NEED.search(text, clause_lo, task.start()):
                continue
            parent = min(parents, key=lambda p: abs(p.start() - task.start()))
            if parent.start() > task.start() and _STAFF_TASK_OTHERS.search(text, clause_lo, clause_hi):
                continue  # "教室卫生由学生值日…": someone else does it
            between = text[min(parent.end(), task.start()) : max(parent.start(), task.start())]
            if _NO_NEED.search(between) or _CHILD_DOES.search(between) or _STAFF_TASK_OTHERS.search(between):
                continue
            return _concern(PARENTS_STAFF_WORK, text, [parent.span(), task.span()], [])
    return None


# --- the checker ----------------------------------------------------------------------------------


def _concern(code: str, text: str, spans: Sequence[tuple[int, int]], names: Iterable[str]) -> Concern:
    reason, suggestion, channel = _TEXTS[code]
    return Concern(
        code=code,
        reason=reason,
        suggestion=suggestion,
        evidence=_evidence(text, spans),
        student_names=_unique(names),
        channel=channel,
    )


_CHECKS = (
    _check_scores,
    _check_named_evaluation,
    _check_homework,
    _check_vote,
    _check_private,
    _check_checkin,
    _check_paid_materials,
    _check_money,
    _check_family,
    _check_staff_work,
)


@lru_cache(maxsize=64)
def _words_pattern(words: tuple[str, ...]) -> re.Pattern[str] | None:
    cleaned = sorted({"".join(normalize_text(w).split()) for w in words} - {""}, key=lambda w: (-len(w), w))
    return re.compile("|".join(map(re.escape, cleaned)), re.IGNORECASE) if cleaned else None


def _check_school_words(text: str, found: list[tuple[int, int, str]], words: tuple[str, ...]) -> Concern | None:
    pattern = _words_pattern(words)
    hits = list(pattern.finditer(text)) if pattern else []
    if not hits:
        return None
    return _concern(SCHOOL_WORDS, text, [m.span() for m in hits[:3]], _sentence_names(text, found, hits[0].start()))


def check_class_message(
    text: str,
    *,
    student_names: Iterable[str] = (),
    school_words: Iterable[str] = (),
    warn_named_awards: bool = False,
) -> list[Concern]:
    """The rules a class-wide message seems to break, at most one concern per code, in the order
    of ``ALL_CODES``. ``text`` may be HTML; ``student_names`` are the names on the class roster;
    ``school_words`` the school's own forbidden words and ``warn_named_awards`` its choice to treat
    one child's award as an evaluation (guardrails.queries.school_rules)."""
    plain = normalize_text(text)[:MAX_SCANNED]
    if not plain.strip():
        return []
    found = _find_students(plain, student_names)
    concerns = []
    for check in _CHECKS:
        concern = check(plain, found)
        if concern is None and check is _check_named_evaluation and warn_named_awards:
            concern = _check_named_award(plain, found)
        if concern is not None:
            concerns.append(concern)
    if school_words:
        concern = _check_school_words(plain, found, tuple(school_words))
        if concern is not None:
            concerns.append(concern)
    return [_with_names_in_evidence(concern, found) for concern in concerns]


def _with_names_in_evidence(concern: Concern, found: list[tuple[int, int, str]]) -> Concern:
    """Every student named in the evidence is in ``student_names``, so the log line replaces them
    all, also where the rule itself is not about a child ("请家长帮王小明家打扫")."""
    extra = [name for _s, _e, name in found if name in concern.evidence and name not in concern.student_names]
    if not extra:
        return concern
    return replace(concern, student_names=_unique([*concern.student_names, *extra]))


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
        """The sender's reason as logged: cut, and any child named by the concerns replaced."""
        reason = self.reason
        names = {name for concern in self.concerns for name in concern.student_names}
        for name in sorted(names, key=len, reverse=True):
            reason = reason.replace(name, "[name]")
        return reason[:REASON_LOGGED]


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
    text: str, *, student_names: Iterable[str] = (), override_reason: str = "", school_words: Iterable[str] = ()
) -> GuardrailOverride | None:
    """Check a class-wide message (``check_class_message``) and apply the override rule
    (``require_override``) in one call."""
    concerns = check_class_message(text, student_names=student_names, school_words=school_words)
    return require_override(concerns, override_reason)
