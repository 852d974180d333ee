"""Files and a contest world for the essay contest's tests: a .docx and a PDF that carry their
author in every place a file can (core and custom properties, comments, XMP), and a school with
judges from other classes."""

import datetime
import io
import zipfile

from django.utils import timezone

from accounts.models import User
from schools.models import StaffAssignment, StaffMember

PASSWORD = "correct-horse-42"


def docx_with_author(author: str, text: str, *, macros: bool = False) -> bytes:
    import docx

    document = docx.Document()
    document.add_paragraph(text)
    props = document.core_properties
    props.author = author
    props.last_modified_by = author
    props.title = f"{author}的作品"
    props.comments = f"作者：{author}"
    props.keywords = author
    raw = io.BytesIO()
    document.save(raw)
    # Add custom properties (python-docx does not write them) and a comment by the author.
    src = zipfile.ZipFile(io.BytesIO(raw.getvalue()))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            body = src.read(info)
            if info.filename == "[Content_Types].xml":
                body = body.replace(
                    b"</Types>",
                    b'<Override PartName="/docProps/custom.xml" '
                    b'ContentType="application/vnd.openxmlformats-officedocument.custom-properties+xml"/></Types>',
                )
            dst.writestr(info, body)
        dst.writestr(
            "docProps/custom.xml",
            (
                '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
                '<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/custom-properties" '
                'xmlns:vt="http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes">'
                '<property fmtid="{D5CDD505-2E9C-101B-9397-08002B2CF9AE}" pid="2" name="Owner">'
                f"<vt:lpwstr>{author}</vt:lpwstr></property></Properties>"
            ).encode(),
        )
        dst.writestr(
            "word/people.xml",
            (
                '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
                '<w15:people xmlns:w15="http://schemas.microsoft.com/office/word/2012/wordml">'
                f'<w15:person w15:author="{author}"><w15:presenceInfo w15:providerId="None" w15:userId="{author}"/>'
                "</w15:person></w15:people>"
            ).encode(),
        )
        if macros:
            dst.writestr("word/vbaProject.bin", b"\xd0\xcf\x11\xe0 macro")
    return out.getvalue()


def pdf_with_author(author: str) -> bytes:
    from pypdf import PdfWriter
    from pypdf.generic import DecodedStreamObject, NameObject

    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    writer.add_metadata({"/Author": author, "/Title": f"{author}的教育故事", "/Creator": author})
    xmp = DecodedStreamObject()
    xmp.set_data(
        (
            '<?xpacket begin="" id="W5M0MpCehiHzreSzNTczkc9d"?><x:xmpmeta xmlns:x="adobe:ns:meta/">'
            '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
            '<rdf:Description rdf:about="" xmlns:dc="http://purl.org/dc/elements/1.1/">'
            f"<dc:creator><rdf:Seq><rdf:li>{author}</rdf:li></rdf:Seq></dc:creator>"
            '</rdf:Description></rdf:RDF></x:xmpmeta><?xpacket end="w"?>'
        ).encode()
    )
    xmp.update({NameObject("/Type"): NameObject("/Metadata"), NameObject("/Subtype"): NameObject("/XML")})
    writer._root_object[NameObject("/Metadata")] = writer._add_object(xmp)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def judges(cast) -> tuple:
    """Two more staff: 赵老师 heads class 2, 孙老师 teaches no class. With 李老师 and 王老师 (class 1)
    every entry can get two judges with no tie."""
    zhao = User.objects.create_user("mr_zhao", PASSWORD, name="赵老师", phone="13900000004")
    sun = User.objects.create_user("ms_sun", PASSWORD, name="孙老师", phone="13900000005")
    z = StaffMember.objects.create(school=cast.school, user=zhao)
    StaffMember.objects.create(school=cast.school, user=sun)
    StaffAssignment.objects.create(school=cast.school, term=cast.term, staff=z, school_class=cast.class2, role="head")
    return zhao, sun


def new_contest(cast, *, audience="both", hours=48, **extra):
    from publishing.actions_contest import do_create_contest

    return do_create_contest(
        cast.school,
        acting_user=cast.admin_zhang,
        title="我的教育故事",
        theme="家庭教育中的一件小事",
        rules="每人限投一篇，2000字以内。",
        audience=audience,
        deadline=timezone.now() + datetime.timedelta(hours=hours),
        criteria=[("立意", 40, 10), ("内容", 40, 10), ("文采", 20, 10)],
        **extra,
    )
