"""An essay contest entry's file, made safe for judges: checked from its bytes (core.uploads: a
file that is not what its name says, or a Word file with macros, is refused), then stripped of
everything that names its author, and its text read for the judging page.

- .docx: ``docProps/core.xml`` (creator, last modified by, title, subject, keywords, description,
  category…) is replaced by an empty one, ``docProps/custom.xml`` by an empty property list,
  ``docProps/app.xml`` loses Company and Manager, the thumbnail goes, and every ``author``,
  ``initials``, ``userId`` and ``providerId`` attribute (comments, tracked changes, people.xml) is
  emptied. Given names (the author's, their children's) are blanked in the document's text too.
- PDF: the document information dictionary (/Info: Author, Creator, Producer, Title…) and the XMP
  metadata stream (the catalogue's and every page's /Metadata) are removed, and annotations lose
  their /T (the comment's author).

The original bytes are never stored."""

import io
import logging
import re
import zipfile
from dataclasses import dataclass

from django.utils.translation import gettext as _

from core.uploads import DOCX, PDF, UploadRefused, check_upload

logger = logging.getLogger(__name__)

MAX_ENTRY_BYTES = 10 * 1024 * 1024
MAX_TEXT_CHARS = 60_000
BLANK = "＊＊"

_EMPTY_CORE = (
    b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    b'<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties" '
    b'xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:dcterms="http://purl.org/dc/terms/" '
    b'xmlns:dcmitype="http://purl.org/dc/dcmitype/" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
    b"</cp:coreProperties>"
)
_EMPTY_CUSTOM = (
    b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    b'<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/custom-properties" '
    b'xmlns:vt="http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes"></Properties>'
)
_PERSON_ATTRS = re.compile(rb'(\b[\w]+:(?:author|initials|userId|providerId|dateUtc)|\bauthor)="[^"]*"')
_APP_TAGS = re.compile(rb"<(Company|Manager|HyperlinkBase)>[^<]*</\1>")
_THUMBNAIL = re.compile(r"^docProps/thumbnail\.\w+$", re.IGNORECASE)


@dataclass
class Stripped:
    data: bytes
    kind: str  # "docx" or "pdf"
    text: str  # what the judges read on the page (names blanked)


def _refused() -> UploadRefused:
    return UploadRefused(_("Send the entry as a Word (.docx) or PDF file, or paste its text."), "type")


def blank_names(text: str, names: list[str]) -> str:
    for name in sorted({n.strip() for n in names if n and len(n.strip()) >= 2}, key=len, reverse=True):
        text = text.replace(name, BLANK)
    return text


def _xml_escape(name: str) -> bytes:
    return name.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").encode()


def strip_docx(data: bytes, names: list[str] = ()) -> bytes:  # type: ignore[assignment]
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            name = info.filename
            if _THUMBNAIL.match(name):
                # Keep the part (the package names it) but empty: it is a picture of the first page.
                dst.writestr(name, b"")
                continue
            body = src.read(info)
            if name == "docProps/core.xml":
                body = _EMPTY_CORE
            elif name == "docProps/custom.xml":
                body = _EMPTY_CUSTOM
            elif name.endswith((".xml", ".rels")):
                body = _PERSON_ATTRS.sub(lambda m: m.group(1) + b'=""', body)
                if name == "docProps/app.xml":
                    body = _APP_TAGS.sub(lambda m: b"<" + m.group(1) + b"></" + m.group(1) + b">", body)
                if name.startswith("word/"):
                    for person in sorted({n for n in names if n and len(n) >= 2}, key=len, reverse=True):
                        body = body.replace(_xml_escape(person), BLANK.encode())
            dst.writestr(zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0)), body, zipfile.ZIP_DEFLATED)
    return out.getvalue()


def docx_text(data: bytes) -> str:
    import docx  # python-docx

    document = docx.Document(io.BytesIO(data))
    parts = [p.text for p in document.paragraphs]
    for table in document.tables:
        for row in table.rows:
            parts.append(" ".join(cell.text for cell in row.cells))
    return "\n".join(parts).strip()[:MAX_TEXT_CHARS]


def strip_pdf(data: bytes) -> bytes:
    from pypdf import PdfReader, PdfWriter
    from pypdf.generic import NameObject

    reader = PdfReader(io.BytesIO(data))
    if reader.is_encrypted:
        raise UploadRefused(_("The PDF is protected by a password: send it without one."), "damaged")
    # A new document with the pages alone: nothing the catalogue or the trailer held (the XMP
    # stream, /Info, outlines, JavaScript, attached files) comes along, and what a page itself
    # carries is removed before it is copied.
    writer = PdfWriter()
    for page in reader.pages:
        for key in ("/Metadata", "/PieceInfo"):
            if NameObject(key) in page:
                del page[NameObject(key)]
        for annot_ref in page.get("/Annots", None) or []:
            annot = annot_ref.get_object()
            for key in ("/T", "/Popup"):
                if NameObject(key) in annot:
                    del annot[NameObject(key)]
        writer.add_page(page)
    writer.metadata = None  # no /Info in the trailer
    writer.compress_identical_objects(remove_unreferenced=True)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def pdf_text(data: bytes) -> str:
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(data))
    parts = []
    for page in reader.pages[:50]:
        try:
            parts.append(page.extract_text() or "")
        except Exception as exc:  # a page whose text cannot be read is shown as the file only
            logger.info("contest entry: a PDF page's text could not be read: %s", type(exc).__name__)
    return "\n".join(parts).strip()[:MAX_TEXT_CHARS]


def make_judge_copy(data: bytes, filename: str, names: list[str]) -> Stripped:
    """The checked, stripped file and its text with ``names`` blanked; UploadRefused with a message
    for the author otherwise."""
    if len(data) > MAX_ENTRY_BYTES:
        raise UploadRefused(
            _("The file is larger than %(mb)s MB. Make it smaller (for a photo, send a lower resolution).")
            % {"mb": MAX_ENTRY_BYTES // (1024 * 1024)},
            "too_large",
        )
    try:
        kind = check_upload(data, filename, max_bytes=MAX_ENTRY_BYTES, allowed_kinds=("pdf", "office"))
    except UploadRefused as exc:
        if exc.code == "type":
            raise _refused() from exc
        raise
    try:
        if kind == DOCX:
            stripped = strip_docx(data, names)
            return Stripped(stripped, "docx", blank_names(docx_text(stripped), names))
        if kind == PDF:
            stripped = strip_pdf(data)
            return Stripped(stripped, "pdf", blank_names(pdf_text(stripped), names))
    except UploadRefused:
        raise
    except Exception as exc:
        raise UploadRefused(
            _("The file is damaged or incomplete. Open it, save it again and attach the new copy."), "damaged"
        ) from exc
    raise _refused()
