"""Web Push in the JSON API (issue 17): the server's public key, and a device's subscription on
and off, for an app or a page that talks to the API (the same actions as home.views_app)."""

from ninja import Router, Schema, Status

from delivery import webpush
from delivery.actions import BadSubscription, do_subscribe_push, do_unsubscribe_push
from schools.access import access_my_schools

router = Router(tags=["push"])


class KeyOut(Schema):
    key: str


class ErrorOut(Schema):
    detail: str


class KeysIn(Schema):
    p256dh: str
    auth: str


class SubscriptionIn(Schema):
    endpoint: str
    keys: KeysIn


class EndpointIn(Schema):
    endpoint: str


class CountOut(Schema):
    count: int


@router.get("/push/key", response=KeyOut)
def push_key(request):
    """The server's public VAPID key for ``pushManager.subscribe``; empty when push is not set up
    (``manage.py webpush_keys`` not run): the app then offers no notifications."""
    access_my_schools(request)
    return {"key": webpush.public_key() if webpush.enabled() else ""}


@router.post("/push/subscriptions", response={200: CountOut, 400: ErrorOut})
def push_subscribe(request, subscription: SubscriptionIn):
    """Subscribe this device in each of the user's schools (what ``pushManager.subscribe`` gave)."""
    schools = access_my_schools(request)
    try:
        count = do_subscribe_push(
            schools=schools,
            endpoint=subscription.endpoint,
            p256dh=subscription.keys.p256dh,
            auth=subscription.keys.auth,
            user_agent=request.META.get("HTTP_USER_AGENT", ""),
            acting_user=request.user,
        )
    except BadSubscription as exc:
        return Status(400, {"detail": str(exc)})
    return Status(200, {"count": count})


@router.post("/push/subscriptions/delete", response=CountOut)
def push_unsubscribe(request, body: EndpointIn):
    """Turn push off on one device (only the user's own subscriptions)."""
    return {"count": do_unsubscribe_push(endpoint=body.endpoint, acting_user=request.user)}
