"""The installable app (issue 17): the manifest, the service worker at the root, the page's
script, and this device's Web Push subscription from a page and from the API (who is refused is
in tests/test_routes.py; the sending itself: delivery/tests/test_webpush.py)."""

import json
import re

import pytest
from django.test import Client

from delivery.models import PushSubscription

pytestmark = pytest.mark.usefixtures("unscoped")

ENDPOINT = "https://fcm.googleapis.com/fcm/send/abc"


def subscription() -> dict:
    from tests.test_routes import _push_subscription_json

    return _push_subscription_json(None)  # type: ignore[arg-type]


def test_manifest_names_the_app_and_its_icons(cast):
    response = Client().get("/manifest.webmanifest")
    assert response["Content-Type"] == "application/manifest+json"
    data = json.loads(response.content)
    assert data["name"] == "同心" and data["display"] == "standalone" and data["scope"] == "/"
    assert data["theme_color"] == "#b03a2e"
    sizes = {(i["sizes"], i["purpose"]) for i in data["icons"]}
    assert sizes == {("192x192", "any"), ("512x512", "any"), ("512x512", "maskable")}
    for icon in data["icons"]:
        from django.contrib.staticfiles import finders
        from PIL import Image

        path = finders.find(icon["src"].removeprefix("/static/"))
        assert path, icon["src"]
        with Image.open(path) as image:
            assert f"{image.width}x{image.height}" == icon["sizes"]


def test_service_worker_is_served_at_the_root_and_never_cached(cast):
    response = Client().get("/sw.js")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/javascript")
    assert response["Service-Worker-Allowed"] == "/"
    assert response["Cache-Control"] == "no-cache"
    body = response.content.decode()
    assert 'addEventListener("push"' in body and 'addEventListener("fetch"' in body


def test_pages_link_the_manifest_and_the_script_without_inline_code(cast):
    html = cast.client(cast.alice).get("/").content.decode()
    assert '<link rel="manifest" href="/manifest.webmanifest">' in html
    assert "/static/js/app.js" in html
    assert not re.search(r"<script(?![^>]*\bsrc=)", html)  # the CSP forbids inline scripts
    assert html.count('data-badge="notices"') == 2 and html.count('data-badge="messages"') == 2


def test_me_page_offers_notifications_on_this_phone(cast):
    html = cast.client(cast.alice).get("/me/").content.decode()
    assert 'id="push-toggle"' in html and 'data-subscribe-url="/me/push/subscribe/"' in html


def test_a_page_subscribes_this_device_in_each_school_of_the_user(cast):
    from schools.models import Guardian, StudentGuardian

    # alice also has a child in school B: her device gets rows for both schools.
    guardian_b = Guardian.objects.create(school=cast.school_b, name="Alice", phone=cast.alice.phone, user=cast.alice)
    StudentGuardian.objects.create(school=cast.school_b, student=cast.erin_child, guardian=guardian_b)
    client = cast.client(cast.alice)
    response = client.post("/me/push/subscribe/", json.dumps(subscription()), content_type="application/json")
    assert response.json() == {"subscribed": 2}
    assert set(PushSubscription.objects.values_list("school_id", "user_id")) == {
        (cast.school.pk, cast.alice.pk),
        (cast.school_b.pk, cast.alice.pk),
    }
    response = client.post("/me/push/unsubscribe/", json.dumps({"endpoint": ENDPOINT}), content_type="application/json")
    assert response.json() == {"unsubscribed": 0}  # not this endpoint
    endpoint = PushSubscription.objects.first().endpoint
    response = client.post("/me/push/unsubscribe/", json.dumps({"endpoint": endpoint}), content_type="application/json")
    assert response.json() == {"unsubscribed": 2}
    assert not PushSubscription.objects.exists()


def test_a_bad_subscription_gets_a_clear_message_and_writes_nothing(cast):
    data = subscription()
    data["endpoint"] = "http://10.0.0.5/internal"
    response = cast.client(cast.alice).post("/me/push/subscribe/", json.dumps(data), content_type="application/json")
    assert response.status_code == 400 and response.json()["detail"]
    response = cast.client(cast.alice).post("/me/push/subscribe/", "not json", content_type="application/json")
    assert response.status_code == 400
    assert not PushSubscription.objects.exists()


def test_api_subscribes_and_unsubscribes(cast, settings, tmp_path):
    from django.core.management import call_command

    client = cast.client(cast.bob)
    assert client.get("/api/v1/push/key").json() == {"key": ""}  # not set up yet
    settings.WEBPUSH_VAPID_KEY_FILE = tmp_path / "vapid.pem"
    call_command("webpush_keys")
    assert len(client.get("/api/v1/push/key").json()["key"]) == 87
    data = subscription()
    assert client.post("/api/v1/push/subscriptions", data, content_type="application/json").json() == {"count": 1}
    row = PushSubscription.objects.get()
    assert (row.user_id, row.school_id) == (cast.bob.pk, cast.school.pk)
    data["keys"]["auth"] = "short"
    assert client.post("/api/v1/push/subscriptions", data, content_type="application/json").status_code == 400
    # erin (school B) cannot turn bob's device off.
    erin = cast.client(cast.erin)
    body = {"endpoint": row.endpoint}
    assert erin.post("/api/v1/push/subscriptions/delete", body, content_type="application/json").json() == {"count": 0}
    assert client.post("/api/v1/push/subscriptions/delete", body, content_type="application/json").json() == {
        "count": 1
    }
    assert Client().post("/api/v1/push/subscriptions", data, content_type="application/json").status_code == 401


def test_the_familys_data_export_lists_its_phones_with_notifications(cast):
    from home.privacy import family_export

    client = cast.client(cast.alice)
    client.post(
        "/me/push/subscribe/", json.dumps(subscription()), content_type="application/json", HTTP_USER_AGENT="Phone"
    )
    devices = family_export(cast.alice).data["phones_with_notifications"]
    assert [(d["school"], d["browser"]) for d in devices] == [("阳光小学", "Phone")]
    assert family_export(cast.bob).data["phones_with_notifications"] == []


@pytest.mark.parametrize("who", ["alice", "ms_li"])
def test_a_sockets_recount_takes_a_fixed_number_of_queries(cast, who, django_assert_num_queries):
    """What each open page of a school costs when a notice fans out there (home.badges)."""
    from home.badges import badge_counts

    user = getattr(cast, who)
    # roles 2 (3 for staff), notices 1, chat 2 (the count, and the newest message id it covers)
    with django_assert_num_queries(5 if who == "alice" else 6):
        counts = badge_counts(user)
    assert counts["schools"] == [cast.school.pk]
    assert set(counts) == {"schools", "groups", "latest", "notices", "messages"}
