from .contest import *  # noqa: F403
