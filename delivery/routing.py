from django.urls import path

from .consumers import UserEventsConsumer

websocket_urlpatterns = [path("ws/events/", UserEventsConsumer.as_asgi(), name="ws_events")]
