"""Celery application.

Without a broker (no ``REDIS_URL``) tasks run eagerly in-process, so one machine with only
Python runs everything; with ``REDIS_URL`` set, tasks go to Redis and a worker runs them.
"""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tongxin.settings")

app = Celery("tongxin")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
