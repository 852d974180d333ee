"""The publishing app's data, one module per area: the column and its articles (``articles``), the
parent newspaper (``newspaper``) and the essay contest (``contest``)."""

from .articles import Article, Comment, Editor, Invitation, PublicNotice, Space, Topic
from .contest import *  # noqa: F403
from .contest import __all__ as _contest_all
from .newspaper import Issue, Section

__all__ = [
    "Article",
    "Comment",
    "Editor",
    "Invitation",
    "Issue",
    "PublicNotice",
    "Section",
    "Space",
    "Topic",
    *_contest_all,
]
