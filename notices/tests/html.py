"""Reading a page's form fields as a browser would, for tests through HTTP: each input with its
attributes and the text of the label around it."""

from dataclasses import dataclass
from html.parser import HTMLParser


@dataclass
class Input:
    attrs: dict[str, str]
    label: str = ""

    @property
    def checked(self) -> bool:
        return "checked" in self.attrs


class _Parser(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.inputs: list[Input] = []
        self._labelled: list[Input] = []
        self._in_label = False

    def handle_starttag(self, tag, attrs):
        if tag == "label":
            self._in_label, self._labelled = True, []
        elif tag in ("input", "textarea", "select"):
            found = Input({k: v or "" for k, v in attrs} | {"tag": tag})
            self.inputs.append(found)
            if self._in_label:
                self._labelled.append(found)

    def handle_endtag(self, tag):
        if tag == "label":
            self._in_label = False
            for found in self._labelled:
                found.label = found.label.strip()

    def handle_data(self, data):
        if self._in_label:
            for found in self._labelled:
                found.label += data


def inputs(response, name: str | None = None) -> list[Input]:
    """The page's inputs (all, or those named ``name``), in page order."""
    parser = _Parser()
    parser.feed(response.content.decode())
    return [i for i in parser.inputs if name is None or i.attrs.get("name") == name]


def checked_values(response, name: str) -> list[str]:
    return [i.attrs["value"] for i in inputs(response, name) if i.checked]


def field_names(response) -> list[str]:
    """The names of the fields of the page's composer form (``novalidate class="card"``, not the
    top bar's), in page order, the CSRF token left out."""
    html = response.content.decode()
    start = html.index('novalidate class="card"')
    parser = _Parser()
    parser.feed(html[start : html.index("</form>", start)])
    return [i.attrs["name"] for i in parser.inputs if i.attrs.get("name") not in (None, "csrfmiddlewaretoken")]
