"""Checking files people attach (photos, PDFs, Word, Excel and PowerPoint files) from their bytes.

The name and the Content-Type a browser sends are claims; the bytes are the file. A type is
accepted only when its magic bytes say so (and, for Office files, when the zip or OLE2 container
holds the parts of that application), never because of a name. A name that contradicts the bytes
(``通知.jpg`` that is a PDF, ``photo.jpg`` that is a web page) is refused: a mismatch is the classic
disguise, and a teacher whose file is refused can simply save it again with the right type.

What is refused and why: SVG and HTML (a browser runs their scripts), programs, archives that are
not Office documents (their contents are unchecked), Office files with macros or ActiveX, images
with web-page code hidden in them (polyglots), and anything else we cannot recognise.

The original file name is display metadata only: files are stored under a generated name with the
canonical extension of what the bytes are, and the name is cleaned (``safe_filename``) and sent back
through an RFC 6266 header (``content_disposition``). Photos of children lose their EXIF (GPS,
camera, time) before they are stored (``strip_image_metadata``).

Apps use the two ends: ``accept_upload`` (read capped, check the bytes, strip the photo's metadata,
clean the name; then ``AcceptedUpload.store`` under a random name) and ``file_response`` (serve a
stored file back with the headers that keep a browser from running it).
"""

import io
import re
import secrets
import unicodedata
import zipfile
import zlib
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal
from urllib.parse import quote
from xml.etree.ElementTree import ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring as parse_xml
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.db.models.fields.files import FieldFile
from django.http import FileResponse, HttpResponse
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

MAX_UPLOAD_BYTES = 20 * 1024 * 1024
_DEFAULT_KINDS = ("image", "pdf", "office")
MAX_ZIP_ENTRIES = 5_000  # a 300-slide presentation with its media is about 1,500
MAX_ZIP_UNCOMPRESSED_BYTES = 400 * 1024 * 1024  # XML compresses about tenfold; images not at all
MAX_COMPRESSION_RATIO = 200
MAX_CONTENT_TYPES_BYTES = 1024 * 1024
MAX_OLE_DIRECTORY_ENTRIES = 10_000


@dataclass(frozen=True)
class FileKind:
    kind: str  # "image", "pdf", "office" or "text"
    mime: str  # what we serve it as, whatever the browser claimed on upload
    extension: str  # canonical, without the dot: the stored file gets this one

    @property
    def is_image(self) -> bool:
        return self.kind == "image"


class UploadRefused(ValueError):
    """The file cannot be accepted; ``str(exc)`` (or ``.message``) tells the person what to do.

    ``code`` lets views and the API react without parsing text, e.g. answer 413 to "too_large".
    """

    def __init__(self, message: str, code: str = "refused") -> None:
        super().__init__(message)
        self.message = message
        self.code = code


PNG = FileKind("image", "image/png", "png")
JPEG = FileKind("image", "image/jpeg", "jpg")
GIF = FileKind("image", "image/gif", "gif")
WEBP = FileKind("image", "image/webp", "webp")
PDF = FileKind("pdf", "application/pdf", "pdf")
DOCX = FileKind("office", "application/vnd.openxmlformats-officedocument.wordprocessingml.document", "docx")
XLSX = FileKind("office", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "xlsx")
PPTX = FileKind("office", "application/vnd.openxmlformats-officedocument.presentationml.presentation", "pptx")
DOC = FileKind("office", "application/msword", "doc")
XLS = FileKind("office", "application/vnd.ms-excel", "xls")
PPT = FileKind("office", "application/vnd.ms-powerpoint", "ppt")
TXT = FileKind("text", "text/plain", "txt")
CSV = FileKind("text", "text/csv", "csv")

# Names that do not contradict the bytes. Within one family a different spelling is no disguise
# (a .jpg that is really a PNG, which phones and chat apps produce all the time, or a .doc that is
# a .docx); the file is stored and served as what the bytes are.
_FAMILIES: tuple[tuple[frozenset[str], frozenset[FileKind]], ...] = (
    (
        frozenset({"png", "jpg", "jpeg", "jpe", "jfif", "gif", "webp", "heic", "heif"}),
        frozenset({PNG, JPEG, GIF, WEBP}),
    ),
    (frozenset({"pdf"}), frozenset({PDF})),
    (frozenset({"docx", "doc"}), frozenset({DOCX, DOC})),
    (frozenset({"xlsx", "xls"}), frozenset({XLSX, XLS})),
    (frozenset({"pptx", "ppt"}), frozenset({PPTX, PPT})),
    (frozenset({"txt"}), frozenset({TXT})),
    (frozenset({"csv"}), frozenset({CSV})),
)

_OOXML_MAIN_TYPES = {
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml": (DOCX, "word/"),
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml": (XLSX, "xl/"),
    "application/vnd.openxmlformats-officedocument.presentationml.presentation.main+xml": (PPTX, "ppt/"),
}
_OLE_SIGNATURE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_OLE_MACRO_STORAGES = frozenset({"macros", "_vba_project_cur", "vba", "_vba_project"})

# Web-page code inside an image: the payload of GIF/PNG "polyglots" that a browser or an old
# viewer sniffing for HTML would run. Only tag names of four letters or more: in compressed pixel
# data they occur by chance about once in 10^12 bytes, so real photos are not refused.
_MARKUP_IN_BINARY = re.compile(rb"<(?:script|iframe|object|embed|html|body|!doctype)[\s/>]", re.IGNORECASE)
# What browsers sniff as HTML or XML at the start of a file (WHATWG MIME Sniffing, 7.1).
_MARKUP_START = re.compile(
    rb"^(?:\xef\xbb\xbf)?[\s\x00]*<(?:!doctype\s+html|html|head|script|iframe|h1|div|font|table|a|style|title|b|"
    rb"body|br|p|!--|\?xml|svg)[\s/>]",
    re.IGNORECASE,
)
_SVG = re.compile(rb"<svg[\s/>]", re.IGNORECASE)


# --- messages -----------------------------------------------------------------------------------


def _allowed_words(kinds: Iterable[str]) -> str:
    words = []
    for kind in kinds:
        if kind == "image":
            words.append(_("images (JPEG, PNG, GIF, WebP)"))
        elif kind == "pdf":
            words.append("PDF")
        elif kind == "office":
            words.extend(["Word", "Excel", "PowerPoint"])
        elif kind == "text":
            words.append(_("text files (.txt, .csv)"))
    # Chinese lists use the enumeration comma: 图片、PDF、Word、Excel、PowerPoint
    return pgettext("separator between items of a list", ", ").join(words)


def _not_allowed(kinds: Iterable[str]) -> UploadRefused:
    return UploadRefused(
        _("This type of file cannot be attached. You can attach: %(allowed)s.") % {"allowed": _allowed_words(kinds)},
        "type",
    )


def _damaged() -> UploadRefused:
    return UploadRefused(
        _("The file is damaged or incomplete. Open it, save it again and attach the new copy."), "damaged"
    )


def _macros() -> UploadRefused:
    return UploadRefused(
        _("Office files with macros or ActiveX controls cannot be attached. Save it as .docx, .xlsx or .pptx."),
        "macros",
    )


def _mb(size: int) -> str:
    megabytes = size / (1024 * 1024)
    return f"{megabytes:.1f}".removesuffix(".0") if megabytes >= 1 else f"{megabytes:.2g}"


# --- recognising the bytes ----------------------------------------------------------------------


def _extension(filename: str) -> str:
    name = safe_filename(filename)
    stem, dot, ext = name.rpartition(".")
    return ext.lower() if dot and stem else ""


def sniff(data: bytes, filename: str) -> FileKind:
    """What the file is, from its bytes alone; the name only has to agree with them.

    Raises UploadRefused for anything that is not an image, a PDF, an Office document or (named
    .txt/.csv) plain text, and for a name whose extension contradicts the bytes.
    """
    if not data:
        raise UploadRefused(_("The file is empty."), "empty")
    extension = _extension(filename)
    kind = _sniff_bytes(data, extension)
    if extension and not any(extension in names and kind in kinds for names, kinds in _FAMILIES):
        raise UploadRefused(
            _(
                "The file name ends in .%(extension)s but the file is a %(actual)s file. "
                "Files whose name and content disagree are refused; save it again with the right type."
            )
            % {"extension": extension, "actual": kind.extension.upper()},
            "mismatch",
        )
    return kind


def _sniff_bytes(data: bytes, extension: str) -> FileKind:
    head = data[:16]
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return _image(PNG, data)
    if head.startswith(b"\xff\xd8\xff"):
        return _image(JPEG, data)
    if head.startswith((b"GIF87a", b"GIF89a")):
        return _image(GIF, data)
    if head.startswith(b"RIFF") and head[8:12] == b"WEBP":
        return _image(WEBP, data)
    if head.startswith(b"%PDF-"):
        return PDF
    if head.startswith(b"PK\x03\x04"):
        return _sniff_ooxml(data)
    if head.startswith(_OLE_SIGNATURE):
        return _sniff_ole(data)
    _refuse_known_dangers(data)
    if extension in ("txt", "csv") and _is_plain_text(data):
        return TXT if extension == "txt" else CSV
    raise _not_allowed(_DEFAULT_KINDS)


def _image(kind: FileKind, data: bytes) -> FileKind:
    if _MARKUP_IN_BINARY.search(data):
        raise UploadRefused(
            _("The image contains hidden web-page code and was refused. Take a screenshot of it or save it again."),
            "polyglot",
        )
    return kind


def _refuse_known_dangers(data: bytes) -> None:
    head = data[:1024]
    if head[4:12] in (b"ftypheic", b"ftypheix", b"ftypmif1", b"ftypmsf1", b"ftypheif", b"ftyphevc"):
        raise UploadRefused(
            _(
                "HEIC photos (from iPhones) cannot be shown in every browser. Choose the photo from the album "
                "in the browser, which sends a JPEG, or set the camera to “Most Compatible”."
            ),
            "heic",
        )
    if _SVG.search(head) and head.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"<"):
        raise UploadRefused(
            _("SVG images cannot be attached because they can contain scripts. Attach it as PNG or JPEG."), "svg"
        )
    if _MARKUP_START.match(head) or _MARKUP_START.match(_utf16_to_ascii(head)):
        raise UploadRefused(_("Web pages (HTML) cannot be attached. Print the page to PDF and attach that."), "html")
    if head.startswith((b"MZ", b"\x7fELF", b"\xca\xfe\xba\xbe", b"#!", b"dex\n")) or head[:4] in (
        b"\xfe\xed\xfa\xce",
        b"\xfe\xed\xfa\xcf",
        b"\xce\xfa\xed\xfe",
        b"\xcf\xfa\xed\xfe",
    ):
        raise UploadRefused(_("Programs and scripts cannot be attached."), "program")
    if (
        head.startswith((b"Rar!\x1a\x07", b"7z\xbc\xaf\x27\x1c", b"\x1f\x8b", b"BZh", b"\xfd7zXZ\x00", b"PK\x05\x06"))
        or head[257:262] == b"ustar"
    ):
        raise _archive()


def _archive() -> UploadRefused:
    return UploadRefused(
        _("Compressed archives (zip, rar, 7z) cannot be attached. Attach the files themselves."), "archive"
    )


def _utf16_to_ascii(head: bytes) -> bytes:
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return head.decode("utf-16", errors="ignore").encode("ascii", errors="ignore")
        except UnicodeError:
            return b""
    return b""


def _is_plain_text(data: bytes) -> bool:
    """UTF-8 (with or without BOM) or GB18030 text with no control characters but tab and newlines."""
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        return not re.search(r"[\x00-\x08\x0b\x0e-\x1f\x7f]", text)
    return False


_ZIP_ERRORS = (
    zipfile.BadZipFile,
    zipfile.LargeZipFile,
    zlib.error,
    ValueError,
    EOFError,
    OSError,
    NotImplementedError,
    RuntimeError,
)


def _sniff_ooxml(data: bytes) -> FileKind:
    """A zip is accepted only as a .docx, .xlsx or .pptx without macros, checked before anyone unzips it.

    The entry count and the declared sizes are checked (like schools.rosterfile's zip-bomb checks),
    then only [Content_Types].xml is read, with a capped read, to find the main part, which must
    live under word/, xl/ or ppt/ as that type says.
    """
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        entries = archive.infolist()
    except _ZIP_ERRORS as exc:
        raise _damaged() from exc
    if len(entries) > MAX_ZIP_ENTRIES:
        raise UploadRefused(_("The file has an unusual structure and was refused for safety."), "zip_bomb")
    total = 0
    names = {}
    for entry in entries:
        total += entry.file_size
        ratio = entry.file_size / max(entry.compress_size, 1)
        if total > MAX_ZIP_UNCOMPRESSED_BYTES or (entry.file_size > 1024 * 1024 and ratio > MAX_COMPRESSION_RATIO):
            raise UploadRefused(
                _("The file expands to far more data than a document holds (a “zip bomb”) and was refused."), "zip_bomb"
            )
        lowered = entry.filename.lower()
        names[lowered] = entry
        if lowered.endswith("vbaproject.bin") or "/activex/" in f"/{lowered}":
            raise _macros()
    types_entry = names.get("[content_types].xml")
    if types_entry is None:
        # An OpenDocument file (.odt, .ods) is a document, just not one on the list; anything else is an archive.
        raise _not_allowed(_DEFAULT_KINDS) if "mimetype" in names else _archive()
    try:
        with archive.open(types_entry) as part:
            xml = part.read(MAX_CONTENT_TYPES_BYTES + 1)
    except _ZIP_ERRORS as exc:
        raise _damaged() from exc
    if len(xml) > MAX_CONTENT_TYPES_BYTES:
        raise UploadRefused(_("The file has an unusual structure and was refused for safety."), "zip_bomb")
    lowered_xml = xml.lower()
    if b"macroenabled" in lowered_xml or b"vbaproject" in lowered_xml or b"activex" in lowered_xml:
        raise _macros()
    try:
        root = parse_xml(xml, forbid_dtd=True)  # no DTD, so no entity bombs, in any encoding
    except DefusedXmlException as exc:
        raise UploadRefused(_("The file has an unusual structure and was refused for safety."), "zip_bomb") from exc
    except ParseError as exc:
        raise _damaged() from exc
    found = None
    for element in root:
        if not element.tag.endswith("}Override"):
            continue
        content_type = (element.get("ContentType") or "").strip().lower()
        if content_type in _OOXML_MAIN_TYPES:
            kind, folder = _OOXML_MAIN_TYPES[content_type]
            part_name = (element.get("PartName") or "").lstrip("/").lower()
            if not part_name.startswith(folder) or part_name not in names or found not in (None, kind):
                raise _damaged()
            found = kind
    if found is None:
        # A .dotx template, a .ppsx show, a Visio or XPS file: OOXML, but not on the list.
        raise _not_allowed(_DEFAULT_KINDS)
    return found


def _sniff_ole(data: bytes) -> FileKind:
    """A legacy .doc, .xls or .ppt, told apart by the streams in the OLE2 container's directory.

    The same container holds installers (.msi), Outlook messages and password-protected Office
    files, which are refused. Word's and Excel's macro storages are refused; macros inside a .ppt
    live in its main stream and are not detected here (PowerPoint asks before running them).
    """
    try:
        names = {name.lower() for name in _ole_directory_names(data)}
    except (ValueError, IndexError) as exc:
        raise _damaged() from exc
    if names & _OLE_MACRO_STORAGES:
        raise _macros()
    if "encryptedpackage" in names or "encryptioninfo" in names:
        raise UploadRefused(
            _(
                "The file is protected with a password, so it cannot be checked. "
                "Remove the password and attach it again."
            ),
            "encrypted",
        )
    if "worddocument" in names:
        return DOC
    if "workbook" in names or "book" in names:
        return XLS
    if "powerpoint document" in names:
        return PPT
    raise _not_allowed(_DEFAULT_KINDS)


def _ole_directory_names(data: bytes) -> list[str]:
    """Names of the entries in a Compound File Binary directory ([MS-CFB] 2.2, 2.6), bounds-checked."""
    if len(data) < 512:
        raise ValueError("too short")
    sector_shift = int.from_bytes(data[0x1E:0x20], "little")
    if sector_shift not in (9, 12):
        raise ValueError("sector size")
    size = 1 << sector_shift
    sector_count = (len(data) - size) // size + 1

    def sector(number: int) -> bytes:
        if number >= sector_count:
            raise ValueError("sector out of range")
        start = (number + 1) * size
        return data[start : start + size]

    def u32s(chunk: bytes) -> list[int]:
        return [int.from_bytes(chunk[i : i + 4], "little") for i in range(0, len(chunk) - 3, 4)]

    # The FAT's sectors are listed in the header (109 of them) and then in a chain of DIFAT sectors.
    fat_sectors = [n for n in u32s(data[0x4C:0x200]) if n < 0xFFFFFFFA]
    difat = int.from_bytes(data[0x44:0x48], "little")
    seen: set[int] = set()
    while difat < 0xFFFFFFFA:
        if difat in seen or len(seen) > sector_count:
            raise ValueError("DIFAT loop")
        seen.add(difat)
        values = u32s(sector(difat))
        fat_sectors.extend(n for n in values[:-1] if n < 0xFFFFFFFA)
        difat = values[-1]
    fat: list[int] = []
    for number in fat_sectors:
        fat.extend(u32s(sector(number)))
    names: list[str] = []
    current = int.from_bytes(data[0x30:0x34], "little")
    seen = set()
    while current < 0xFFFFFFFA:
        if current in seen or len(names) > MAX_OLE_DIRECTORY_ENTRIES:
            raise ValueError("directory loop")
        seen.add(current)
        chunk = sector(current)
        for offset in range(0, len(chunk) - 127, 128):
            entry = chunk[offset : offset + 128]
            name_length = int.from_bytes(entry[0x40:0x42], "little")
            if entry[0x42] in (1, 2, 5) and 2 <= name_length <= 64:
                names.append(entry[: name_length - 2].decode("utf-16-le", errors="replace"))
        current = fat[current]
    return names


def check_upload(
    data: bytes,
    filename: str,
    *,
    max_bytes: int = MAX_UPLOAD_BYTES,
    allowed_kinds: Iterable[str] = _DEFAULT_KINDS,
) -> FileKind:
    """Accept an attachment or raise UploadRefused with a message for the person who chose it.

    The view should read at most ``max_bytes + 1`` bytes (and the web server cap request bodies), so
    that an oversized upload is refused without being read whole; this check then names the limit.
    """
    allowed = tuple(allowed_kinds)
    if len(data) > max_bytes:
        raise UploadRefused(
            _("The file is larger than %(mb)s MB. Make it smaller (for a photo, send a lower resolution).")
            % {"mb": _mb(max_bytes)},
            "too_large",
        )
    try:
        kind = sniff(data, filename)
    except UploadRefused as exc:
        if exc.code == "type":  # name what this caller allows, not every kind sniff knows
            raise _not_allowed(allowed) from exc
        raise
    if kind.kind not in allowed:
        raise _not_allowed(allowed)
    return kind


# --- names --------------------------------------------------------------------------------------

MAX_FILENAME_CHARS = 100
_BIDI_CONTROLS = re.compile("[\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c]")
_WHITESPACE = re.compile(r"\s+")


def safe_filename(name: str) -> str:
    """The name a person gave the file, fit to show and to offer on download, never to open a path.

    Keeps the last path component (of / or \\ paths), removes control characters (NUL, CR, LF…),
    format characters including the bidi overrides that make ``exe.pdf`` out of ``\u202efdp.exe``,
    collapses whitespace, trims dots and spaces at both ends (hidden files, Windows), and keeps at
    most 100 characters with the extension. Full-width characters are kept as written (NFC only).
    """
    name = unicodedata.normalize("NFC", str(name or ""))
    name = _BIDI_CONTROLS.sub("", name)
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if unicodedata.category(ch) not in ("Cc", "Cf", "Cs"))
    name = _WHITESPACE.sub(" ", name).strip(" .")
    if not name:
        return "file"
    stem, dot, ext = name.rpartition(".")
    if not (dot and stem and 0 < len(ext) <= 10 and " " not in ext):
        stem, ext = name, ""
    if ext:
        stem = stem[: MAX_FILENAME_CHARS - len(ext) - 1].rstrip(" .")
        return f"{stem}.{ext}" if stem else f"file.{ext}"
    return stem[:MAX_FILENAME_CHARS].rstrip(" .") or "file"


_ASCII_UNSAFE = re.compile(r"[^A-Za-z0-9 !#$&+\-.^_`|~()\[\]{}=,@]")


def content_disposition(filename: str, *, inline: bool) -> str:
    """An RFC 6266 Content-Disposition value: an ASCII ``filename`` for old clients, ``filename*`` in UTF-8.

    The name goes through safe_filename (no CR/LF or other control characters can reach the header)
    and is percent-encoded in ``filename*``; the quoted fallback contains no quote, backslash, percent
    sign or semicolon. ``inline`` is for images only: everything else is an attachment, so a browser
    never renders a document from our origin.
    """
    name = safe_filename(filename)
    stem, dot, ext = name.rpartition(".")
    if not dot:
        stem, ext = name, ""
    ascii_stem = _ASCII_UNSAFE.sub("_", unicodedata.normalize("NFKD", stem).encode("ascii", "ignore").decode())
    ascii_stem = re.sub(r"_+", "_", ascii_stem).strip(" _.") or "file"
    ascii_ext = _ASCII_UNSAFE.sub("_", ext.encode("ascii", "ignore").decode())
    fallback = f"{ascii_stem}.{ascii_ext}" if ascii_ext else ascii_stem
    disposition = "inline" if inline else "attachment"
    return f"{disposition}; filename=\"{fallback}\"; filename*=UTF-8''{quote(name, safe='')}"


def download_response(data: bytes, filename: str, content_type: str) -> HttpResponse:
    """Bytes made for this person (an export, a PDF, an archive, a calendar) as a download: the name
    through ``content_disposition``, kept by no shared cache, and ``nosniff`` so the browser
    believes the type."""
    response = HttpResponse(data, content_type=content_type)
    # Names made of titles keep their slashes (12/5家长会回执.xlsx): content_disposition would take
    # them for a path and keep only what follows the last one.
    filename = filename.replace("/", "／").replace("\\", "＼")
    response["Content-Disposition"] = content_disposition(filename, inline=False)
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


# --- photo metadata -----------------------------------------------------------------------------

_PNG_METADATA_CHUNKS = frozenset({b"eXIf", b"tEXt", b"iTXt", b"zTXt", b"tIME"})


def strip_image_metadata(data: bytes) -> bytes:
    """The same picture without the metadata phones write into it: GPS position, time, camera, comments.

    JPEG: every APP segment but JFIF, the ICC colour profile and Adobe's colour-transform flag is
    removed (EXIF and XMP, both able to carry GPS, multi-picture data, Photoshop/IPTC), comments
    too, and whatever follows the end of the image (appended thumbnails, videos, payloads). Only the
    EXIF orientation survives, rewritten as a minimal EXIF block of its own, or portrait photos
    from phones would show sideways. PNG: eXIf, tEXt, iTXt, zTXt and tIME chunks are removed,
    other chunks copied byte for byte (their CRCs untouched), nothing after IEND. WebP: the EXIF
    and XMP chunks go and the VP8X flags say so. Other data is returned unchanged.
    Raises UploadRefused if the structure is broken, rather than pass on what it could not check.
    """
    if data.startswith(b"\xff\xd8\xff"):
        return _strip_jpeg(data)
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return _strip_png(data)
    if data.startswith(b"RIFF") and data[8:12] == b"WEBP":
        return _strip_webp(data)
    return data


def _keep_jpeg_segment(marker: int, payload: bytes) -> bool:
    if marker == 0xE0:
        return payload.startswith((b"JFIF\x00", b"JFXX\x00"))
    if marker == 0xE2:
        return payload.startswith(b"ICC_PROFILE\x00")
    if marker == 0xEE:
        return payload.startswith(b"Adobe")
    return not (0xE0 <= marker <= 0xEF or marker == 0xFE)


def _strip_jpeg(data: bytes) -> bytes:
    n = len(data)
    body = bytearray()
    orientation = None
    i = 2
    while i < n:
        if data[i] != 0xFF:
            raise _damaged()
        while i < n and data[i] == 0xFF:  # fill bytes
            i += 1
        if i >= n:
            break
        marker = data[i]
        i += 1
        if marker == 0xD9:  # end of image: anything after it is dropped
            body += b"\xff\xd9"
            break
        if 0xD0 <= marker <= 0xD7 or marker == 0x01:
            body += bytes((0xFF, marker))
            continue
        if i + 2 > n:
            raise _damaged()
        length = int.from_bytes(data[i : i + 2], "big")
        if length < 2 or i + length > n:
            raise _damaged()
        payload = data[i + 2 : i + length]
        segment_end = i + length
        if marker == 0xE1 and payload.startswith(b"Exif\x00\x00") and orientation is None:
            orientation = _exif_orientation(payload[6:])
        if _keep_jpeg_segment(marker, payload):
            body += bytes((0xFF, marker)) + data[i:segment_end]
        i = segment_end
        if marker == 0xDA:  # start of scan: entropy-coded data runs to the next real marker
            j = i
            while True:
                k = data.find(b"\xff", j)
                if k < 0 or k + 1 >= n:  # truncated scan: keep what there is, as viewers do
                    body += data[i:]
                    i = n
                    break
                following = data[k + 1]
                if following == 0x00 or 0xD0 <= following <= 0xD7 or following == 0xFF:
                    j = k + 1 if following == 0xFF else k + 2
                    continue
                body += data[i:k]
                i = k
                break
    exif = _minimal_exif(orientation) if orientation and orientation != 1 else b""
    if body.startswith(b"\xff\xe0"):  # the EXIF block goes after JFIF's APP0, which must come first
        app0_end = 2 + int.from_bytes(body[2:4], "big")
        return b"\xff\xd8" + bytes(body[:app0_end]) + exif + bytes(body[app0_end:])
    return b"\xff\xd8" + exif + bytes(body)


def _exif_orientation(tiff: bytes) -> int | None:
    """The Orientation tag (0x0112) of IFD0, or None if absent or unreadable."""
    order: Literal["little", "big"]
    if tiff[:4] == b"II*\x00":
        order = "little"
    elif tiff[:4] == b"MM\x00*":
        order = "big"
    else:
        return None
    ifd = int.from_bytes(tiff[4:8], order)
    if ifd + 2 > len(tiff):
        return None
    count = int.from_bytes(tiff[ifd : ifd + 2], order)
    for index in range(min(count, 1000)):
        entry = tiff[ifd + 2 + 12 * index : ifd + 14 + 12 * index]
        if len(entry) < 12:
            return None
        if int.from_bytes(entry[0:2], order) == 0x0112 and int.from_bytes(entry[2:4], order) == 3:
            value = int.from_bytes(entry[8:10], order)
            return value if 1 <= value <= 8 else None
    return None


def _minimal_exif(orientation: int) -> bytes:
    """An APP1 segment with a big-endian TIFF header and one IFD0 entry: Orientation, SHORT, 1 value."""
    tiff = (
        b"MM\x00*\x00\x00\x00\x08"
        + b"\x00\x01"
        + b"\x01\x12\x00\x03\x00\x00\x00\x01"
        + orientation.to_bytes(2, "big")
        + b"\x00\x00"
        + b"\x00\x00\x00\x00"
    )
    payload = b"Exif\x00\x00" + tiff
    return b"\xff\xe1" + (len(payload) + 2).to_bytes(2, "big") + payload


def _strip_png(data: bytes) -> bytes:
    out = bytearray(data[:8])
    i, n = 8, len(data)
    while True:
        if i + 12 > n:
            raise _damaged()  # no IEND: cut short
        length = int.from_bytes(data[i : i + 4], "big")
        chunk_type = data[i + 4 : i + 8]
        end = i + 12 + length
        if end > n or not chunk_type.isalpha():
            raise _damaged()
        if chunk_type not in _PNG_METADATA_CHUNKS:
            out += data[i:end]
        i = end
        if chunk_type == b"IEND":
            return bytes(out)


def _strip_webp(data: bytes) -> bytes:
    chunks = bytearray()
    i, n = 12, min(len(data), 8 + int.from_bytes(data[4:8], "little"))
    while i < n:
        if i + 8 > n:
            raise _damaged()
        fourcc = data[i : i + 4]
        size = int.from_bytes(data[i + 4 : i + 8], "little")
        end = i + 8 + size + (size & 1)
        if i + 8 + size > n:
            raise _damaged()
        chunk = bytearray(data[i:end])
        if fourcc == b"VP8X" and size >= 1:
            chunk[8] &= ~0x0C & 0xFF  # clear the EXIF (0x08) and XMP (0x04) flags
        if fourcc not in (b"EXIF", b"XMP "):
            chunks += chunk
        i = end
    return b"RIFF" + (len(chunks) + 4).to_bytes(4, "little") + b"WEBP" + bytes(chunks)


# --- the two ends: taking a file in, giving it back ------------------------------------------------


@dataclass(frozen=True)
class AcceptedUpload:
    """A file that passed ``check_upload``: the bytes to store (a photo's metadata already gone),
    the name to show (``safe_filename``) and what the bytes are."""

    data: bytes
    name: str
    kind: FileKind

    @property
    def size(self) -> int:
        return len(self.data)

    def store(self, field: FieldFile) -> None:
        """Save into a model's file field (the model itself is saved by the caller) under a random
        name with the canonical extension: the person's file name is only shown, never a path."""
        field.save(f"{secrets.token_hex(16)}.{self.kind.extension}", ContentFile(self.data), save=False)


def accept_upload(
    upload: UploadedFile,
    *,
    max_bytes: int = MAX_UPLOAD_BYTES,
    allowed_kinds: Iterable[str] = _DEFAULT_KINDS,
) -> AcceptedUpload:
    """Take in one uploaded file or raise UploadRefused with a message for the person who chose it.

    Reads at most ``max_bytes + 1`` bytes (so an oversized file is refused without being read
    whole), checks the bytes (``check_upload``), removes a photo's metadata (GPS, time, camera)
    and cleans the name."""
    data = upload.read(max_bytes + 1)
    name = upload.name or ""
    kind = check_upload(data, name, max_bytes=max_bytes, allowed_kinds=allowed_kinds)
    if kind.is_image:  # where a photo was taken says where a family lives
        data = strip_image_metadata(data)
    return AcceptedUpload(data=data, name=safe_filename(name), kind=kind)


# A stored file is never a page of ours: no scripts, no plugins, no forms, no same-origin access,
# even if a browser were talked into rendering it (GitHub serves raw files the same way).
FILE_CSP = "default-src 'none'; style-src 'unsafe-inline'; sandbox"
_KIND_BY_EXTENSION = {
    kind.extension: kind for kind in (PNG, JPEG, GIF, WEBP, PDF, DOCX, XLSX, PPTX, DOC, XLS, PPT, TXT, CSV)
}


def file_response(field: FieldFile, *, filename: str, mime: str = "", inline: bool = False) -> FileResponse:
    """A stored file, served safely: the type we recognised on upload (``mime``; else the one its
    stored, canonical extension names), the person's name through ``content_disposition``, ``inline``
    for images only (everything else downloads), ``nosniff`` so the browser believes that type, and
    a sandboxing CSP."""
    if not mime:
        kind = _KIND_BY_EXTENSION.get((field.name or "").rpartition(".")[2].lower())
        mime = kind.mime if kind else "application/octet-stream"
    response = FileResponse(field.open("rb"), content_type=mime)
    response["Content-Disposition"] = content_disposition(
        filename or "file", inline=inline and mime.startswith("image/")
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = FILE_CSP
    response["Cross-Origin-Resource-Policy"] = "same-origin"
    return response
