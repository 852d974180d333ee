"""The publishing app's data, one module per area: the column and its articles (``articles``), the
parent newspaper (``newspaper``); the essay contest adds its own module."""

from .articles import Article, Comment, Editor, Invitation, PublicNotice, Space, Topic
from .newspaper import Issue, Section

__all__ = ["Article", "Comment", "Editor", "Invitation", "Issue", "PublicNotice", "Section", "Space", "Topic"]
