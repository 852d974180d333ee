"""Pictures sent to a whole class are read with OCR and checked like text (issue 18): the 24
pictures of tools/guardrail_pictures/generate.py (score sheets, the same photographed, and ordinary
posters, a timetable, a class photo, a certificate, a menu that must not warn), bad files, the time
limit, and the flow from a notice or a class-group message to the warning its sender sees.

The OCR tests need Debian's tesseract-ocr and tesseract-ocr-chi-sim: they are skipped, saying so,
where the engine is absent, but never in CI (.ci/run installs it; CI=true makes its absence fail)."""

import importlib.util
import io
import json
import os
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from chat.actions import class_group
from chat.models import Conversation, Message
from core.guardrails import check_class_message
from core.ocr import EngineStatus, OcrFailed, OcrRefused, engine_status, read_image_text
from guardrails.actions import do_read_picture
from guardrails.models import PictureCheck
from notices.models import Notice

ROOT = Path(__file__).resolve().parents[2]
ROSTER = [line.strip() for line in (ROOT / "core/tests/guardrail_corpus/roster.txt").read_text().splitlines()]


def _needs_engine():
    if engine_status().available:
        return
    if os.environ.get("CI"):
        pytest.fail("CI must install tesseract-ocr and tesseract-ocr-chi-sim (.ci/run)")
    pytest.skip("tesseract-ocr with tesseract-ocr-chi-sim is not installed (apt-get install tesseract-ocr-chi-sim)")


def _generator():
    spec = importlib.util.spec_from_file_location("generate", ROOT / "tools/guardrail_pictures/generate.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def pictures(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("pictures")
    generator = _generator()
    if generator.font_path() is None:
        pytest.skip("no CJK font to draw the pictures with (apt-get install fonts-noto-cjk)")
    generator.main(str(folder))
    return folder


def _png(image: Image.Image) -> bytes:
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def test_the_script_makes_at_least_20_pictures_of_both_kinds(pictures):
    labels = json.loads((pictures / "labels.json").read_text(encoding="utf-8"))
    assert len(labels) >= 20
    warned = [name for name, expect in labels.items() if expect]
    assert len(warned) >= 10 and len(labels) - len(warned) >= 10
    assert any("photo" in name for name in warned)


def test_score_sheets_warn_and_ordinary_pictures_do_not(pictures):
    _needs_engine()
    labels = json.loads((pictures / "labels.json").read_text(encoding="utf-8"))
    wrong = []
    for name, expect in sorted(labels.items()):
        text = read_image_text((pictures / name).read_bytes())
        got = [c.code for c in check_class_message(text, student_names=ROSTER)]
        if (expect and "scores" not in got) or (not expect and got):
            wrong.append(f"{name}: expected {expect}, got {got}, read {text[:80]!r}")
    assert not wrong, "\n".join(wrong)


def test_a_file_that_is_not_a_picture_or_is_huge_is_refused_clearly():
    _needs_engine()
    with pytest.raises(OcrRefused):
        read_image_text(b"%PDF-1.4 not a picture")
    with pytest.raises(OcrRefused):
        read_image_text(b"")
    with pytest.raises(OcrRefused):
        read_image_text(_png(Image.new("1", (8000, 6000), 1)))  # 48 megapixels


def test_the_engine_has_a_time_limit():
    _needs_engine()
    with pytest.raises(OcrFailed):
        read_image_text(_png(Image.new("L", (1200, 1600), 255)), timeout=0.001)


def test_emoji_only_or_blank_pictures_give_an_empty_clean_result():
    _needs_engine()
    assert check_class_message(read_image_text(_png(Image.new("RGB", (600, 400), "white")))) == []


@pytest.mark.usefixtures("unscoped")
def test_a_notice_with_a_score_sheet_warns_its_sender_on_its_page(cast, pictures, django_capture_on_commit_callbacks):
    _needs_engine()
    client = cast.client(cast.ms_li)
    sheet = SimpleUploadedFile("成绩.png", (pictures / "sheet_names_photo.png").read_bytes(), content_type="image/png")
    poster = SimpleUploadedFile("运动会.png", (pictures / "poster_sports.png").read_bytes(), content_type="image/png")
    data = {"title": "本周通知", "body": "请查看附件。", "action": "read", "classes": [cast.class1.pk]}
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/notices/new/", {**data, "attachments": [sheet, poster]})
    assert response.status_code == 302
    notice = Notice.objects.get()
    checks = {c.file_name: c.status for c in PictureCheck.objects.filter(source="notice", object_id=notice.pk)}
    assert checks == {"成绩.png": "warned", "运动会.png": "clean"}
    page = client.get(f"/notices/{notice.pk}/results/").content.decode()
    assert (
        'aria-labelledby="h-pictures"' in page
        and "成绩.png" in page
        and "运动会.png" not in page.split("h-pictures")[1][:2000]
    )
    # Another teacher's or a family's page never shows it; a notice to one family is not read.
    assert cast.client(cast.alice).get(f"/notices/{notice.pk}/results/").status_code == 404


@pytest.mark.usefixtures("unscoped")
def test_a_picture_in_the_class_group_warns_its_sender_only(cast, pictures, django_capture_on_commit_callbacks):
    _needs_engine()
    group = class_group(cast.class1)
    Conversation.objects.filter(pk=group.pk).update(mode="open")
    li = cast.client(cast.ms_li)
    upload = SimpleUploadedFile("截图.png", (pictures / "screenshot_scores.png").read_bytes(), content_type="image/png")
    with django_capture_on_commit_callbacks(execute=True):
        li.post(f"/chat/{group.pk}/", {"body": "", "file": upload, "client_key": "k1"})
    message = Message.objects.get()
    check = PictureCheck.objects.get(source="chat", object_id=message.pk)
    assert check.status == "warned" and check.concerns[0]["code"] == "scores"
    assert 'aria-labelledby="h-pictures"' in li.get(f"/chat/{group.pk}/").content.decode()
    assert 'aria-labelledby="h-pictures"' not in cast.client(cast.alice).get(f"/chat/{group.pk}/").content.decode()


@pytest.mark.usefixtures("unscoped")
def test_without_the_engine_the_picture_is_marked_unread_and_text_checks_still_run(cast, monkeypatch):
    monkeypatch.setattr("guardrails.actions.engine_status", lambda: EngineStatus(False))
    client = cast.client(cast.ms_li)
    picture = SimpleUploadedFile("图.png", _png(Image.new("RGB", (40, 40), "white")), content_type="image/png")
    data = {"title": "通知", "body": "请家长批改作业并签字。", "action": "read", "classes": [cast.class1.pk]}
    warned = client.post("/notices/new/", {**data, "attachments": [picture]})
    assert warned.status_code == 400 and not Notice.objects.exists()  # the text is still checked
    picture.seek(0)
    data["body"] = "周五春游。"
    assert client.post("/notices/new/", {**data, "attachments": [picture]}).status_code == 302
    check = PictureCheck.objects.get()
    assert check.status == "no_engine"
    assert do_read_picture(check.pk) == ""  # nothing pending: nothing to read
    assert "图.png" in client.get(f"/notices/{Notice.objects.get().pk}/results/").content.decode()
