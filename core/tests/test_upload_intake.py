"""The two ends every app uses: ``accept_upload`` (one uploaded file in: read capped, bytes checked,
a photo's metadata gone, the name cleaned) and ``file_response`` (a stored file out, with the
headers that keep a browser from running it)."""

from types import SimpleNamespace

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import InMemoryStorage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db.models.fields.files import FieldFile, FileField
from django.utils import translation

from core.tests.test_uploads import docx, exif_payload, jpeg, jpeg_segments, png
from core.uploads import FILE_CSP, JPEG, PDF, AcceptedUpload, UploadRefused, accept_upload, file_response

PDF_BYTES = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF"


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


class _Counting(SimpleUploadedFile):
    """An upload that records how many bytes were asked of it."""

    asked: list[int]

    def read(self, size=-1):  # type: ignore[override]
        self.asked = [*getattr(self, "asked", []), size]
        return super().read(size)


def test_a_photo_comes_in_without_its_gps_and_under_a_clean_name():
    photo = jpeg(b"\xff\xe1" + (len(exif_payload()) + 2).to_bytes(2, "big") + exif_payload())
    assert b"GPS" in photo or any(marker == 0xE1 for marker, _ in jpeg_segments(photo))
    accepted = accept_upload(SimpleUploadedFile("../../春游\u202egpj.exe.jpg", photo))
    assert accepted.kind == JPEG
    assert accepted.name == "春游gpj.exe.jpg"  # no path, no bidi override
    assert accepted.data != photo and accepted.size == len(accepted.data)
    assert all(
        not payload.startswith(b"Exif\x00\x00") or b"ACME" not in payload
        for marker, payload in jpeg_segments(accepted.data)
        if marker == 0xE1
    )  # the camera and the position are gone; only the orientation may remain


def test_documents_come_in_byte_for_byte():
    assert accept_upload(SimpleUploadedFile("作业.pdf", PDF_BYTES)) == AcceptedUpload(PDF_BYTES, "作业.pdf", PDF)
    data = docx()
    assert accept_upload(SimpleUploadedFile("表.docx", data)).data == data


def test_what_the_bytes_contradict_or_the_caller_does_not_allow_is_refused():
    with pytest.raises(UploadRefused) as refused:
        accept_upload(SimpleUploadedFile("photo.jpg", b"<html><script>alert(1)</script>"))
    assert refused.value.code in ("html", "mismatch", "type")
    with pytest.raises(UploadRefused) as refused:
        accept_upload(SimpleUploadedFile("a.pdf", PDF_BYTES), allowed_kinds=("image",))
    assert refused.value.code == "type" and "images" in str(refused.value)


def test_an_oversized_file_is_refused_without_being_read_whole():
    upload = _Counting("big.png", png() + b"\x00" * 5000)
    with pytest.raises(UploadRefused) as refused:
        accept_upload(upload, max_bytes=1000)
    assert refused.value.code == "too_large"
    assert upload.asked == [1001]


def test_an_accepted_file_is_stored_under_a_random_name_with_its_real_extension():
    storage = InMemoryStorage()
    model_field = FileField(storage=storage)
    model_field.set_attributes_from_name("file")
    field = FieldFile(SimpleNamespace(), model_field, None)  # type: ignore[arg-type]  # a model's file field, unsaved
    accept_upload(SimpleUploadedFile("notes.PDF", PDF_BYTES)).store(field)
    assert field.name is not None
    assert field.name.endswith(".pdf") and "notes" not in field.name and len(field.name) == 36
    assert storage.open(field.name).read() == PDF_BYTES


def _stored(name: str, data: bytes) -> FieldFile:
    storage = InMemoryStorage()
    storage.save(name, ContentFile(data))
    return FieldFile(None, FileField(storage=storage), name)  # type: ignore[arg-type]  # no model needed to read


def test_a_file_goes_out_with_safe_headers_and_its_bytes():
    response = file_response(_stored("ab12.png", png()), filename="地图.png", mime="image/png", inline=True)
    assert b"".join(response.streaming_content) == png()  # type: ignore[arg-type]
    assert response["Content-Type"] == "image/png"
    assert response["Content-Disposition"].startswith("inline; ")
    assert "filename*=UTF-8''%E5%9C%B0%E5%9B%BE.png" in response["Content-Disposition"]
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Security-Policy"] == FILE_CSP and "sandbox" in FILE_CSP
    assert response["Cross-Origin-Resource-Policy"] == "same-origin"


def test_only_images_are_shown_inline_and_the_type_follows_the_stored_extension():
    response = file_response(_stored("cd34.pdf", PDF_BYTES), filename='x".pdf\r\nSet-Cookie: a=b', inline=True)
    assert response["Content-Type"] == "application/pdf"  # from the canonical extension it was stored with
    assert response["Content-Disposition"].startswith("attachment; ")
    assert "\r" not in response["Content-Disposition"] and "\n" not in response["Content-Disposition"]
    unknown = file_response(_stored("ef56.bin", b"\x00\x01"), filename="")
    assert unknown["Content-Type"] == "application/octet-stream"
    assert unknown["Content-Disposition"].startswith('attachment; filename="file"')


def test_bytes_made_for_a_person_go_out_as_a_download_no_cache_keeps():
    from core.uploads import download_response

    response = download_response(b"BEGIN:VCALENDAR", '家长会"\r\nSet-Cookie: a=b.ics', "text/calendar; charset=utf-8")
    assert response["Content-Type"] == "text/calendar; charset=utf-8" and response.content == b"BEGIN:VCALENDAR"
    header = response["Content-Disposition"]
    assert header.startswith("attachment; ") and "\r" not in header and "\n" not in header
    assert header.count('"') == 2 and "filename*=UTF-8''%E5%AE%B6%E9%95%BF%E4%BC%9A" in header
    assert response["Cache-Control"] == "private, no-store" and response["X-Content-Type-Options"] == "nosniff"
    # A title's slash is not a path: 12/5家长会回执 keeps its date.
    dated = download_response(b"x", "12/5家长会回执.xlsx", "application/octet-stream")["Content-Disposition"]
    assert "filename*=UTF-8''12%EF%BC%8F5%E5%AE%B6" in dated
