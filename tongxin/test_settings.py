"""Settings for the test suite: the real settings, with the development key allowed."""

import os

os.environ.setdefault("TONGXIN_TESTING", "1")

from .settings import *  # noqa: F403
