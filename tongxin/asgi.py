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
