"""The conventions of docs/architecture.md, enforced from the code's syntax tree (as Zulip's lint does).

- Layers: an app imports only from apps below it (peers on one layer stay apart), so nothing runs
  upward or in circles. Lazy imports inside functions count too.
- Access: views, API routers and consumers never fetch a user-visible object by id themselves
  (``X.objects.get``, ``filter(pk=…)``, ``get_object_or_404``); an ``access_*`` function does.
- Writes: views, API routers and consumers never write to the database themselves (``save``,
  ``delete``, ``create``, ``update``, bulk writes); an action in ``actions.py`` does, with its
  transaction, its audit row and its side effects after commit.
- Actors: every action ``do_*`` takes ``*, acting_user`` (but for the few a signed-out visitor runs).
- Reads: a function that writes a receipt's ``read_at`` also stamps the family
  (``notices.actions.mark_family_read``), which the escalation ladder reads instead of joining the
  family's links and receipts at every step.

Each rule is tested against a snippet it must catch, so a rule that silently stops matching fails.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

# Lowest first. An app may import from any app on a lower layer, never from its own layer's peers or
# from above. The second wave's apps have their places already (docs/architecture.md, "Layers").
LAYERS: list[set[str]] = [
    {"core"},
    {"audit"},
    {"delivery"},  # the channels (email, SMS, push): sign-in codes go through them too
    {"accounts"},
    {"schools"},
    {"guardrails"},  # the school's words and counts for core.guardrails; notices and chat call it
    {"notices"},
    {"surveys", "events", "contactbook", "chat", "community", "publishing", "feedback"},
    {"plans"},
    {"reports"},
    {"home"},
    {"tongxin"},  # the project: settings, URLs, ASGI; it wires every app together
]
LAYER_OF = {app: depth for depth, apps in enumerate(LAYERS) for app in apps}
APPS = set(LAYER_OF)

# Files that answer requests: the rules on fetching and writing apply to them.
ENDPOINT_FILES = ("views.py", "api.py", "consumers.py")

FETCHES = {"get", "get_or_create", "update_or_create", "in_bulk"}
ID_KEYWORDS = {"pk", "id", "pk__in", "id__in"}
# Objects whose save/delete/update are not the database's.
NOT_THE_DATABASE = {"session", "cache", "messages", "response", "headers", "router", "api"}  # router.delete: a route


@dataclass(frozen=True)
class Finding:
    path: str
    line: int
    rule: str
    detail: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.rule}: {self.detail}"


def _app_of(path: Path) -> str | None:
    top = path.relative_to(ROOT).parts[0]
    return top if top in APPS else None


def _is_endpoint(path: Path) -> bool:
    name = path.name
    return name in ENDPOINT_FILES or (name.startswith(("views_", "api_")) and name.endswith(".py"))


def _source_files() -> list[Path]:
    files = []
    for path in sorted(ROOT.rglob("*.py")):
        parts = path.relative_to(ROOT).parts
        if parts[0] not in APPS or "tests" in parts or "migrations" in parts:
            continue
        files.append(path)
    return files


def _dotted(node: ast.AST) -> str:
    """``request.session.save`` → "request.session.save"; calls and subscripts become "()"/"[]"."""
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return f"{_dotted(node.value)}.{node.attr}"
    if isinstance(node, ast.Call):
        return f"{_dotted(node.func)}()"
    if isinstance(node, ast.Subscript):
        return f"{_dotted(node.value)}[]"
    return "?"


def _through_manager(node: ast.AST) -> bool:
    """True when the call chain goes through a model manager or queryset (``X.objects…``,
    ``obj.things.all()…``, a related manager), i.e. when it reaches the database."""
    chain = _dotted(node)
    return ".objects" in chain or "_set." in chain or chain.startswith("objects")


def imports_of(tree: ast.AST) -> list[tuple[int, str]]:
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.extend((node.lineno, alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.append((node.lineno, node.module))
    return found


def layer_findings(path: Path, tree: ast.AST, app: str) -> list[Finding]:
    findings = []
    for line, module in imports_of(tree):
        target = module.split(".")[0]
        if target not in APPS or target == app or app == "tongxin":
            continue
        if LAYER_OF[target] >= LAYER_OF[app]:
            direction = "a peer" if LAYER_OF[target] == LAYER_OF[app] else "a higher layer"
            findings.append(Finding(_rel(path), line, "layer", f"{app} imports {module} ({direction})"))
    return findings


def endpoint_findings(path: Path, tree: ast.AST) -> list[Finding]:
    findings = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        if isinstance(func, ast.Name) and func.id in {"get_object_or_404", "get_list_or_404"}:
            findings.append(
                Finding(_rel(path), node.lineno, "access", f"{func.id}(…): fetch through an access_* function")
            )
            continue
        if not isinstance(func, ast.Attribute):
            continue
        method, owner_name = func.attr, _dotted(func.value)
        reaches_db = _through_manager(func.value)
        if method in FETCHES and reaches_db:
            findings.append(Finding(_rel(path), node.lineno, "access", f"{owner_name}.{method}(…): use access_*"))
        elif method == "filter" and reaches_db and ID_KEYWORDS & {k.arg for k in node.keywords}:
            findings.append(Finding(_rel(path), node.lineno, "access", f"{owner_name}.filter(pk=…): use access_*"))
        if _writes(method, owner_name, reaches_db):
            findings.append(Finding(_rel(path), node.lineno, "write", f"{owner_name}.{method}(…): write in an action"))
    return findings


def _writes(method: str, owner_name: str, reaches_db: bool) -> bool:
    if any(owner_name == name or owner_name.endswith("." + name) for name in NOT_THE_DATABASE):
        return False
    if method in {"save", "delete", "create", "bulk_create", "bulk_update", "get_or_create", "update_or_create"}:
        return True  # no dict or set has these; a related manager (``notice.attachments.create``) does
    # ``update`` is also dict's and set's: only a queryset's counts.
    return method == "update" and (reaches_db or any(f".{q}(" in owner_name for q in ("filter", "exclude", "all")))


def _rel(path: Path) -> str:
    return str(path.relative_to(ROOT))


def all_findings() -> list[Finding]:
    findings: list[Finding] = []
    for path in _source_files():
        app = _app_of(path)
        assert app is not None
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        findings += layer_findings(path, tree, app)
        if _is_endpoint(path):
            findings += endpoint_findings(path, tree)
        findings += action_findings(path, tree)
        findings += read_findings(path, tree)
    return findings


def read_findings(path: Path, tree: ast.AST) -> list[Finding]:
    """A function with an ``.update(read_at=…)`` (or ``.update(**changes)`` of a dict that has
    ``"read_at"``) calls ``mark_family_read`` too."""
    findings = []
    for function in ast.walk(tree):
        if not isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        dict_keys: dict[str, set] = {}
        for node in ast.walk(function):
            if isinstance(node, ast.Assign) and isinstance(node.value, ast.Dict):
                keys = {k.value for k in node.value.keys if isinstance(k, ast.Constant)}
                dict_keys.update({t.id: keys for t in node.targets if isinstance(t, ast.Name)})
        writes, stamps = 0, False
        for node in ast.walk(function):
            if not isinstance(node, ast.Call):
                continue
            name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
            stamps = stamps or name == "mark_family_read"
            if name == "update" and any(
                kw.arg == "read_at"
                or (kw.arg is None and isinstance(kw.value, ast.Name) and "read_at" in dict_keys.get(kw.value.id, ()))
                for kw in node.keywords
            ):
                writes = writes or node.lineno
        if writes and not stamps:
            findings.append(
                Finding(_rel(path), writes, "read", f"{function.name} writes read_at without mark_family_read")
            )
    return findings


def action_findings(path: Path, tree: ast.AST) -> list[Finding]:
    """Every action says who acts: ``do_<verb>_<noun>(…, *, acting_user)``."""
    findings = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) or not node.name.startswith("do_"):
            continue
        if "acting_user" not in {a.arg for a in node.args.kwonlyargs}:
            findings.append(Finding(_rel(path), node.lineno, "actor", f"{node.name} takes no *, acting_user"))
    return findings


# Actions run by a visitor who is not signed in: nobody to name yet; the phone or link they prove is
# recorded instead (each module's docstring says so).
VISITOR_ACTIONS = {
    ("accounts/actions.py", "do_request_sms_code takes no *, acting_user"): "a visitor asks for a sign-in code",
    ("accounts/actions.py", "do_sign_in_with_code takes no *, acting_user"): "a visitor signs in with the code",
    ("schools/onboarding.py", "do_join_class takes no *, acting_user"): "a family joins through a class's link",
    ("schools/onboarding.py", "do_use_activation_link takes no *, acting_user"): "a guardian's personal link",
}

# Reviewed exceptions, each with its reason. Keep this list short: move the code instead.
REVIEWED: dict[tuple[str, str], str] = {**VISITOR_ACTIONS}


def _key(finding: Finding) -> tuple[str, str]:
    return (finding.path, finding.detail)


def test_the_code_keeps_its_layers_its_access_functions_and_its_actions():
    unreviewed = [f for f in all_findings() if _key(f) not in REVIEWED]
    assert not unreviewed, "\n".join(map(str, unreviewed))


def test_every_reviewed_exception_still_exists():
    present = {_key(f) for f in all_findings()}
    stale = [key for key in REVIEWED if key not in present]
    assert not stale, f"remove these reviewed exceptions, the code no longer needs them: {stale}"


def test_every_app_has_a_layer():
    on_disk = {p.parent.name for p in ROOT.glob("*/apps.py")}
    assert on_disk <= APPS, f"put these apps on a layer in LAYERS: {sorted(on_disk - APPS)}"


# The rules catch what they are meant to catch (and leave alone what they must not).
SNIPPETS = {
    "from events.queries import todo_items": ("contactbook", ["layer"]),
    "from notices.models import Notice": ("events", []),
    "from chat.models import Message": ("notices", ["layer"]),
}


@pytest.mark.parametrize("code,app_and_rules", SNIPPETS.items())
def test_the_layer_rule_catches_upward_and_peer_imports(code, app_and_rules):
    app, rules = app_and_rules
    tree = ast.parse(f"def f():\n    {code}\n")
    assert [f.rule for f in layer_findings(ROOT / app / "views.py", tree, app)] == rules


ENDPOINT_SNIPPETS = {
    "Notice.objects.get(pk=notice_id)": ["access"],
    "Notice.objects.filter(pk=notice_id).first()": ["access"],
    "get_object_or_404(Notice, pk=notice_id)": ["access"],
    "Notice.objects.filter(school=school).order_by('-id')": [],
    "access_notice_to_manage(request, notice_id)": [],
    "notice.save()": ["write"],
    "notice.attachments.create(name='x')": ["write"],
    "Attachment.objects.create(notice=notice)": ["write"],
    "Receipt.objects.filter(notice=notice).update(read_at=now)": ["write"],
    "Receipt.objects.filter(notice=notice).delete()": ["write"],
    "request.session.save()": [],
    "context.update(extra)": [],
    "cache.delete(key)": [],
    "form.save()": ["write"],
    "StaffAssignment.objects.get_or_create(staff=member)": ["access", "write"],
}


@pytest.mark.parametrize("code,rules", ENDPOINT_SNIPPETS.items())
def test_the_endpoint_rules_catch_fetches_by_id_and_writes(code, rules):
    tree = ast.parse(code)
    assert sorted(f.rule for f in endpoint_findings(ROOT / "notices" / "views.py", tree)) == sorted(rules)


def test_the_actor_rule_catches_an_action_without_acting_user():
    tree = ast.parse("def do_pin(notice, *, acting_user):\n    pass\ndef do_unpin(notice, user):\n    pass\n")
    assert [f.detail for f in action_findings(ROOT / "notices" / "actions.py", tree)] == [
        "do_unpin takes no *, acting_user"
    ]


def test_the_read_rule_catches_a_read_that_does_not_stamp_the_family():
    code = (
        "def do_open(notice, *, acting_user):\n"
        "    changes = {'read_at': now}\n"
        "    mine.update(**changes)\n"
        "def do_open_link(notice, *, acting_user):\n"
        "    mine.filter(read_at__isnull=True).update(read_at=now)\n"
        "def do_read(notice, *, acting_user):\n"
        "    mine.update(read_at=now)\n"
        "    mark_family_read(notice, mine, now)\n"
        "def do_answer(notice, *, acting_user):\n"
        "    mine.update(answer='x')\n"
    )
    assert [f.detail for f in read_findings(ROOT / "notices" / "actions.py", ast.parse(code))] == [
        "do_open writes read_at without mark_family_read",
        "do_open_link writes read_at without mark_family_read",
    ]


def test_every_app_with_tests_is_in_the_test_paths():
    """`make test` runs pytest's testpaths: an app missing there would have its tests silently skipped."""
    import tomllib

    testpaths = set(tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["pytest"]["ini_options"]["testpaths"])
    with_tests = {p.parent.name for p in ROOT.glob("*/tests") if (p.parent / "apps.py").exists()}
    assert with_tests <= testpaths, f"add to [tool.pytest.ini_options] testpaths: {sorted(with_tests - testpaths)}"
