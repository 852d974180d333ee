"""Formatted text that staff write and families read: notices now, other rich text later.

The editor in the browser is a convenience, never a defence: whatever HTML arrives is rebuilt here
by an allowlist sanitizer (nh3, the Python binding of Rust's ammonia, which parses like a browser
so that mutation tricks such as ``<noscript><p title="</noscript><img onerror=…>">`` are parsed
the way a browser would parse them). Only the tags a notice needs survive, only ``href``/``title`` on
links and ``colspan``/``rowspan`` on table cells, and links only to http, https and mailto.

The same module turns the HTML into plain text (emails, SMS previews, search, the class-message
checker), plain text into HTML (teachers who type without the editor), and shows families what
changed when a published notice is edited.
"""

import difflib
import html
import re
import unicodedata
from html.parser import HTMLParser

import nh3

ALLOWED_TAGS = frozenset(
    {
        "p", "br", "strong", "b", "em", "i", "u", "s", "ul", "ol", "li", "h2", "h3", "h4", "blockquote",
        "a", "span", "table", "thead", "tbody", "tr", "th", "td", "hr",
    }
)  # fmt: skip
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "td": {"colspan", "rowspan"}, "th": {"colspan", "rowspan"}}
URL_SCHEMES = frozenset({"http", "https", "mailto"})
# ``target`` is not allowed at all: links open where the reader's browser or the app's own script
# decides, so a notice can never open a window that keeps a handle on ours. ``rel`` is always set
# (and any rel the author wrote is replaced), so even a page opened in a new tab gets no opener and
# no referrer, and search engines get no endorsement of links pasted into a school notice.
LINK_REL = "noopener noreferrer nofollow"
# Elements whose content is dropped with them, not kept as text: scripts and styles, and the
# elements browsers parse as raw text or as a separate document, where "keep the text" would
# show readers markup as if it were words.
DROP_CONTENT_TAGS = frozenset(
    {
        "script", "style", "iframe", "frame", "frameset", "noscript", "noembed", "noframes", "xmp", "template",
        "textarea", "title", "object", "embed", "applet", "svg", "math", "select", "plaintext",
    }
)  # fmt: skip
MAX_TABLE_SPAN = 100

_SCHEME = re.compile(r"^([a-z][a-z0-9+.\-]*):")
_INVISIBLE_CATEGORIES = frozenset({"Cc", "Cf", "Zs", "Zl", "Zp", "Mn"})


def _href_scheme_allowed(value: str) -> bool:
    """Judge a link by what it could turn into, not by how it is spelt.

    Browsers drop tabs and newlines inside URLs and some tools fold full-width letters
    (``ｊａｖａｓｃｒｉｐｔ:``) or drop zero-width characters (``java\u200bscript:``). A link whose
    scheme becomes anything but http, https or mailto under any of those foldings is removed.
    The href itself is kept as written (no NFKC on content: a Chinese path or query must not change).
    """
    probe = unicodedata.normalize("NFKC", value)
    probe = "".join(ch for ch in probe if unicodedata.category(ch) not in _INVISIBLE_CATEGORIES).lower()
    match = _SCHEME.match(probe)
    if match:
        return match.group(1) in URL_SCHEMES
    # No scheme after folding: a relative link, unless a colon still comes before any path,
    # query or fragment (``ja va:…`` and friends), which browsers might read as a scheme.
    head = re.split(r"[/?#]", probe, maxsplit=1)[0]
    return ":" not in head


def _attribute_filter(tag: str, attr: str, value: str) -> str | None:
    if attr == "href":
        return value if _href_scheme_allowed(value) else None
    if attr in ("colspan", "rowspan"):
        digits = value.strip()
        if not (digits.isascii() and digits.isdigit()):
            return None
        return str(min(max(int(digits), 1), MAX_TABLE_SPAN))
    return value


def _clean_once(fragment: str, attribute_filter=_attribute_filter) -> str:
    return nh3.clean(
        fragment,
        tags=set(ALLOWED_TAGS),
        clean_content_tags=set(DROP_CONTENT_TAGS),
        # "*": none on every tag, or ammonia's defaults (lang, title) would be allowed everywhere.
        attributes={"*": set(), **{tag: set(attrs) for tag, attrs in ALLOWED_ATTRIBUTES.items()}},
        attribute_filter=attribute_filter,
        strip_comments=True,
        link_rel=LINK_REL,
        url_schemes=set(URL_SCHEMES),
        generic_attribute_prefixes=set(),
    )


def clean_html(html_text: str) -> str:
    """The only HTML from users that may be stored and later rendered with ``|safe``.

    Idempotent, so that cleaning again on every edit or on output never changes stored text: the
    sanitizer runs until its output is stable (removing a tag can leave markup that the parser
    nests differently the second time; in practice one or two passes). If it has not settled after
    a few passes the input is treated as plain text, whose HTML form is stable.
    """
    current = _clean_once(html_text or "")
    for _attempt in range(4):
        again = _clean_once(current)
        if again == current:
            return current
        current = again
    return _clean_once(text_to_html(html_to_text(current)))


def absolute_links(html_text: str, base: str) -> str:
    """A cleaned fragment with its site-relative links (``/surveys/3/answer/``) made absolute on
    ``base`` (``settings.SITE_URL``), for text that leaves the site: an email, where a relative link
    leads nowhere. Text the site writes into a notice links site-relative, so that the page shows
    links on whatever address the reader opened it from; only what is sent out names an address."""
    base = base.rstrip("/")

    def rewrite(tag: str, attr: str, value: str) -> str | None:
        kept = _attribute_filter(tag, attr, value)
        if attr == "href" and kept and kept.startswith("/") and not kept.startswith("//"):
            return base + kept
        return kept

    return _clean_once(html_text or "", rewrite)


# --- HTML to plain text -------------------------------------------------------------------------

_PARAGRAPH_TAGS = frozenset({"p", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "ul", "ol", "table", "hr", "pre"})
_LINE_TAGS = frozenset({"br", "li", "tr", "div", "section", "article", "header", "footer", "dt", "dd"})
_SKIP_TAGS = frozenset({"script", "style", "template", "noscript", "title", "head"})
_HTML_SPACE = re.compile(r"[ \t\n\r\f\v\xa0]+")
_LINE = 1  # break markers in the extractor's output; the strongest of a run wins
_PARAGRAPH = 2
_BR = -1  # <br><br> is how pasted text marks a paragraph: line breaks add up (to a blank line)


class _TextExtractor(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str | int] = []
        self.lists: list[list] = []  # per open list: [ordered, next number]
        self.links: list[tuple[str, int]] = []  # (href, index in parts where its text starts)
        self.cells_in_row = 0
        self.skipping = 0

    def handle_starttag(self, tag, attrs):
        if tag in _SKIP_TAGS:
            self.skipping += 1
        elif tag in _PARAGRAPH_TAGS:
            self.parts.append(_PARAGRAPH)
            if tag in ("ul", "ol"):
                self.lists.append([tag == "ol", 1])
        elif tag == "br":
            self.parts.append(_BR)
        elif tag in _LINE_TAGS:
            self.parts.append(_LINE)
            if tag == "li":
                self._bullet()
            elif tag == "tr":
                self.cells_in_row = 0
        elif tag in ("td", "th"):
            if self.cells_in_row:
                self.parts.append(" | ")
            self.cells_in_row += 1
        elif tag == "a":
            self.links.append((dict(attrs).get("href") or "", len(self.parts)))

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        if tag not in ("br", "hr"):
            self.handle_endtag(tag)

    def _bullet(self) -> None:
        if self.lists and self.lists[-1][0]:
            self.parts.append(f"{self.lists[-1][1]}. ")
            self.lists[-1][1] += 1
        else:
            self.parts.append("• ")

    def handle_endtag(self, tag):
        if tag in _SKIP_TAGS:
            self.skipping = max(self.skipping - 1, 0)
        elif tag in _PARAGRAPH_TAGS:
            self.parts.append(_PARAGRAPH)
            if tag in ("ul", "ol") and self.lists:
                self.lists.pop()
        elif tag in _LINE_TAGS and tag != "br":
            self.parts.append(_LINE)
        elif tag == "a" and self.links:
            href, start = self.links.pop()
            text = _HTML_SPACE.sub(" ", "".join(p for p in self.parts[start:] if isinstance(p, str))).strip()
            shown = (href[len("mailto:") :] if href.lower().startswith("mailto:") else href).strip()
            if shown and shown != text:
                self.parts.append(f" ({shown})" if text else shown)

    def handle_data(self, data):
        if not self.skipping:
            self.parts.append(_HTML_SPACE.sub(" ", data))

    def text(self) -> str:
        out: list[str] = []
        pending = breaks = 0
        for part in self.parts:
            if part == _BR:
                breaks += 1
                pending = max(pending, min(breaks, _PARAGRAPH))
            elif isinstance(part, int):
                pending = max(pending, part)
            elif part.strip(" ") or not (pending or not out):
                # A break takes effect before the next visible text, never at the very start, and
                # the spaces between two blocks of HTML source vanish with it.
                if pending and out:
                    out.append("\n" * pending)
                out.append(part)
                pending = breaks = 0
        lines = [_HTML_SPACE.sub(" ", line).strip(" ") for line in "".join(out).split("\n")]
        return "\n".join(lines).strip("\n")


def html_to_text(html_text: str) -> str:
    """Plain text of a (cleaned) fragment, as an email body, an SMS preview or a search index wants it.

    Paragraphs, headings, lists and tables are separated by a blank line, list items and table rows
    start a line ("• " for bullets, "1. " for numbered lists, so steps keep their order), cells are
    joined by " | ", a link reads "text (url)", entities are decoded, and runs of spaces are
    collapsed within each line. Full-width spaces (U+3000) are text, not layout, and are kept.
    """
    parser = _TextExtractor()
    parser.feed(html_text or "")
    parser.close()
    return parser.text()


# --- plain text to HTML -------------------------------------------------------------------------

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_BLANK_LINE = re.compile(r"\n[ \t\u3000]*\n")


def _escape_text(text: str) -> str:
    # The same escaping the sanitizer's serializer uses for text, so clean_html(text_to_html(t))
    # is text_to_html(t): quotes need no escaping outside attributes.
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\xa0", "&nbsp;")


def text_to_html(text: str) -> str:
    """HTML for text typed without the editor: escaped, blank lines make paragraphs, newlines <br>."""
    text = _CONTROL.sub("", (text or "").replace("\r\n", "\n").replace("\r", "\n"))
    paragraphs = [p.strip("\n") for p in _BLANK_LINE.split(text)]
    out = []
    for paragraph in paragraphs:
        if not paragraph.strip():
            continue
        out.append("<p>" + "<br>".join(_escape_text(line) for line in paragraph.split("\n")) + "</p>")
    return "".join(out)


# --- what changed -------------------------------------------------------------------------------

# Latin words and numbers are compared whole ("Friday" -> "Monday" is one change, "15" -> "16" too);
# Chinese has no spaces, so each Han character or punctuation mark is a token of its own.
_TOKEN = re.compile(r"[A-Za-z0-9\u00c0-\u024f]+|\s+|.", re.DOTALL)
_MAX_TOKENS_FOR_FINE_DIFF = 20_000


def _tokens(text: str) -> list[str]:
    return _TOKEN.findall(text)


def _append(segments: list[tuple[str, str]], tag: str, text: str) -> None:
    if not text:
        return
    if segments and segments[-1][0] == tag:
        segments[-1] = (tag, segments[-1][1] + text)
    else:
        segments.append((tag, text))


def _diff_tokens(old: list[str], new: list[str], segments: list[tuple[str, str]]) -> None:
    if len(old) + len(new) > _MAX_TOKENS_FOR_FINE_DIFF:
        _append(segments, "removed", "".join(old))
        _append(segments, "added", "".join(new))
        return
    # autojunk off: it would treat frequent characters (的, 。, spaces) as noise in long notices.
    matcher = difflib.SequenceMatcher(None, old, new, autojunk=False)
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "equal":
            _append(segments, "same", "".join(old[i1:i2]))
        else:
            _append(segments, "removed", "".join(old[i1:i2]))
            _append(segments, "added", "".join(new[j1:j2]))


def _merge(segments: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """Group changes between unchanged stretches, absorb tiny unchanged bits, merge neighbours.

    Character diffs of Chinese are choppy: "周五" -> "下周一" comes out as +下 =周 -五 +一. As in
    diff-match-patch's semantic clean-up, an unchanged stretch no longer than the changes on both
    sides of it is folded into them, giving -周五 +下周一, which is what a reader wants to see.
    """
    stretches: list[list[str]] = []  # ["same", text] or ["change", removed, added]
    for tag, text in segments:
        if tag == "same":
            stretches.append(["same", text])
        else:
            if not stretches or stretches[-1][0] != "change":
                stretches.append(["change", "", ""])
            stretches[-1][1 if tag == "removed" else 2] += text
    i = 1
    while i < len(stretches) - 1:
        before, same, after = stretches[i - 1], stretches[i], stretches[i + 1]
        size = len(same[1])
        if (
            same[0] == "same"
            and before[0] == after[0] == "change"
            and size <= max(len(before[1]), len(before[2]))
            and size <= max(len(after[1]), len(after[2]))
        ):
            stretches[i - 1 : i + 2] = [["change", before[1] + same[1] + after[1], before[2] + same[1] + after[2]]]
            i = max(i - 2, 1)  # the bigger change may now swallow the unchanged bit before it
        else:
            i += 1
    out: list[tuple[str, str]] = []
    for stretch in stretches:
        if stretch[0] == "same":
            _append(out, "same", stretch[1])
        else:
            _append(out, "removed", stretch[1])
            _append(out, "added", stretch[2])
    return out


def diff_text(old: str, new: str) -> list[tuple[str, str]]:
    """What changed between two versions of a text, as ("same" | "added" | "removed", text) segments.

    Lines are matched first (cheap, and an edit in one paragraph cannot pair up with text in
    another), then each changed stretch of lines is compared word by word for Latin text and
    character by character for Chinese. Adjacent segments of the same kind are merged, and within
    a change the removed text comes before the added text; tiny unchanged bits between two changes
    are folded into them. Joining the "same" and "removed"
    segments gives back ``old``; joining "same" and "added" gives ``new``.
    """
    old_lines = (old or "").splitlines(keepends=True)
    new_lines = (new or "").splitlines(keepends=True)
    segments: list[tuple[str, str]] = []
    matcher = difflib.SequenceMatcher(None, old_lines, new_lines, autojunk=False)
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "equal":
            _append(segments, "same", "".join(old_lines[i1:i2]))
        else:
            _diff_tokens(_tokens("".join(old_lines[i1:i2])), _tokens("".join(new_lines[j1:j2])), segments)
    return _merge(segments)


def diff_html(old_text: str, new_text: str) -> str:
    """The diff as HTML: additions in <ins>, removals in <del>, every piece of text escaped.

    Newlines become <br> so the result can sit inside a <p>. Built here from escaped text, so it is
    safe to render as is, but it is not rich text: do not store it or pass it through clean_html.
    """
    out = []
    for tag, text in diff_text(old_text, new_text):
        piece = html.escape(text, quote=False).replace("\n", "<br>")
        if tag == "added":
            out.append(f"<ins>{piece}</ins>")
        elif tag == "removed":
            out.append(f"<del>{piece}</del>")
        else:
            out.append(piece)
    return "".join(out)
