"""Two staff editing the same thing at once: optimistic concurrency.

The edit form and the API carry the version the editor opened; the action locks the row
(``select_for_update``) and compares. When someone else saved in between, the action raises
``EditConflict``: the second editor is told who changed what and when, their own text is kept
for them, and nothing is silently overwritten. Saving again after reading the changes (with the
version the conflict reports) is a deliberate decision and goes through.
"""

import datetime
from collections.abc import Mapping

from django.core.exceptions import ValidationError
from django.utils import formats, timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _


class EditConflict(ValidationError):
    """Raised by an edit action when the row's version is no longer the one the editor opened."""

    def __init__(self, *, changed: list[str], by: str, at: datetime.datetime | None, version: int):
        separator = "、" if (get_language() or "").startswith("zh") else ", "
        what = separator.join(changed) if changed else _("it")
        when = formats.date_format(timezone.localtime(at), "m-d H:i") if at else ""
        super().__init__(
            _(
                "Someone changed this since you opened it: %(who)s changed %(what)s (%(when)s). "
                "Nothing was saved. Your text is kept below: read the changes, then save again."
            )
            % {"who": by or _("someone"), "what": what, "when": when},
            code="conflict",
        )
        self.changed = changed
        self.by = by
        self.at = at
        self.version = version


def check_version(
    opened: int | None,
    current: int,
    *,
    before: Mapping[str, object],
    after: Mapping[str, object],
    labels: Mapping[str, object],
    by: str,
    at: datetime.datetime | None,
) -> None:
    """Refuse an edit made on a version that is not the current one. ``before`` holds the fields
    as the editor opened them, ``after`` as they are now, ``labels`` names each field for people.
    ``opened`` None means the client did not say (an old API client): the edit goes through, as
    it did before versions were carried."""
    if opened is None or opened == current:
        return
    changed = [str(labels[name]) for name in labels if before.get(name) != after.get(name)]
    raise EditConflict(changed=changed, by=by, at=at, version=current)


def carry_version(form, version: int) -> None:
    """After a conflict, the bound form keeps the editor's text and now carries the current version:
    saving it again (after reading the other editor's changes) is deliberate and goes through."""
    data = form.data.copy()
    data["version"] = str(version)
    form.data = data
