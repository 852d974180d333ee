import gc
import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tongxin.settings")
django_asgi_app = get_asgi_application()

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402

from chat.routing import websocket_urlpatterns as chat_websockets  # noqa: E402
from delivery.routing import websocket_urlpatterns  # noqa: E402

websockets = URLRouter(websocket_urlpatterns + chat_websockets)
application = ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        # Origin checked against ALLOWED_HOSTS (no cross-site socket hijacking), then the session.
        "websocket": AllowedHostsOriginValidator(AuthMiddlewareStack(websockets)),
    }
)

# The garbage collector (issue 19): a full collection walks every object of the process, Django's
# own modules, templates and URL patterns included, and stalled the event loop for about 200 ms
# every 2-2.5 s under chat load (the p99 of every socket). What exists after start-up lives as long
# as the process: move it out of the collector's sight (gc.freeze), and collect the young
# generation less often (its threshold 700 → 50,000 allocations). A young collection's pause is set
# by the event loop's work in flight (20-40 ms under chat load, at 7,000 as at 700), not by the
# threshold, so fewer collections are fewer stalls: at 65 chat messages a second the chat's p99 was
# 67 ms with 7,000 (three collections in 15 s) and 26 ms with 50,000 (none in 30 s;
# docs/benchmarks.md, sixth session). TONGXIN_GC_THRESHOLD=0 keeps Python's defaults.
_threshold = int(os.environ.get("TONGXIN_GC_THRESHOLD", "50000"))
if _threshold > 0:
    gc.set_threshold(_threshold, *gc.get_threshold()[1:])
gc.collect()
gc.freeze()
