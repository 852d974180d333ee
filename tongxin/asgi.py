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
# generation less often (its threshold 700 → 7,000 allocations: about ten times fewer collections
# of every generation, each no longer than before). TONGXIN_GC_THRESHOLD=0 keeps Python's defaults.
_threshold = int(os.environ.get("TONGXIN_GC_THRESHOLD", "7000"))
if _threshold > 0:
    gc.set_threshold(_threshold, *gc.get_threshold()[1:])
gc.collect()
gc.freeze()
