"""Architecture rules that must hold whatever changes: checked, not just written down."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src" / "boss_bot"


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


def test_core_never_imports_discord() -> None:
    offenders = [
        str(p.relative_to(SRC))
        for p in SRC.joinpath("core").rglob("*.py")
        if "discord" in _imports(p)
    ]
    assert offenders == []


def test_importing_the_core_loads_neither_discord_nor_the_tools() -> None:
    code = (
        "import sys, boss_bot.core.manager, boss_bot.core.settings, boss_bot.core.errors;"
        "bad = [m for m in ('discord', 'yt_dlp', 'gallery_dl') if m in sys.modules];"
        "print(','.join(bad))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def test_no_settings_built_at_import_time() -> None:
    """Modules define BossSettings/load_settings but never call them at top level."""
    offenders = []
    for path in SRC.rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in tree.body:
            for call in ast.walk(node) if isinstance(node, ast.Assign | ast.Expr) else ():
                if isinstance(call, ast.Call) and getattr(call.func, "id", "") in {
                    "BossSettings",
                    "load_settings",
                }:
                    offenders.append(str(path.relative_to(SRC)))
    assert offenders == []


def test_os_environ_only_read_at_the_edges() -> None:
    # settings/loading.py is where the environment is read (pydantic-settings); process.py
    # builds the clean environment for child tools from an allow-list.
    allowed = {"core/settings/loading.py", "core/process.py"}
    offenders = [
        str(p.relative_to(SRC))
        for p in SRC.rglob("*.py")
        if "os.environ" in p.read_text(encoding="utf-8") and str(p.relative_to(SRC)) not in allowed
    ]
    assert offenders == []


# --- size and shape ---------------------------------------------------------------------------

#: The most lines a module may have (Alembic's generated migrations aside), and a class.
MAX_MODULE_LINES = 450
MAX_CLASS_LINES = 350


def _modules() -> list[Path]:
    return [p for p in SRC.rglob("*.py") if "migrations" not in p.parts]


def test_modules_and_classes_stay_small() -> None:
    """Small modules, one concept each: a reader can open any one without the others."""
    too_long = {
        str(p.relative_to(SRC)): n
        for p in _modules()
        if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_MODULE_LINES
    }
    assert too_long == {}
    big_classes = {
        f"{p.relative_to(SRC)}:{node.name}": size
        for p in _modules()
        for node in ast.walk(ast.parse(p.read_text(encoding="utf-8")))
        if isinstance(node, ast.ClassDef)
        and (size := (node.end_lineno or node.lineno) - node.lineno + 1) > MAX_CLASS_LINES
    }
    assert big_classes == {}


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(SRC.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _top_level_imports(path: Path, known: set[str]) -> set[str]:
    """The boss_bot modules ``path`` imports when it is imported: top-level statements only
    (imports inside functions and ``if TYPE_CHECKING:`` blocks run later or never)."""
    name = _module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()

    def visit(nodes: list[ast.stmt]) -> None:
        for node in nodes:
            if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
                visit(node.orelse)
                continue
            if isinstance(node, ast.If | ast.Try):
                visit(node.body)
                visit(getattr(node, "orelse", []))
                for handler in getattr(node, "handlers", []):
                    visit(handler.body)
                continue
            if isinstance(node, ast.Import):
                found.update(a.name for a in node.names if a.name in known)
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    anchor = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                    base = ".".join([*anchor, *([base] if base else [])])
                for alias in node.names:
                    sub = f"{base}.{alias.name}"
                    if sub in known:
                        found.add(sub)  # ``from pkg import submodule``
                    elif base in known:
                        found.add(base)

    visit(ast.parse(path.read_text(encoding="utf-8")).body)
    found.discard(name)
    return found


def test_no_import_cycles_at_import_time() -> None:
    """No module imports (directly or through others) a module that imports it back."""
    paths = {_module_name(p): p for p in SRC.rglob("*.py")}
    known = set(paths)
    graph = {name: _top_level_imports(path, known) for name, path in paths.items()}
    cycles = []
    for start in graph:  # small graph: a DFS per module is fast enough and easy to read
        stack, seen = [(start, [start])], {start}
        while stack:
            node, trail = stack.pop()
            for nxt in graph[node]:
                if nxt == start:
                    cycles.append(" → ".join([*trail, start]))
                elif nxt not in seen:
                    seen.add(nxt)
                    stack.append((nxt, [*trail, nxt]))
    assert cycles == []


def test_no_module_holds_shared_state() -> None:
    """The event bus and the telemetry are built by whoever builds the pipeline and passed
    down, like the settings: no module creates one at import time."""
    offenders = []
    for path in SRC.rglob("*.py"):
        for node in ast.parse(path.read_text(encoding="utf-8")).body:
            if isinstance(node, ast.Assign | ast.AnnAssign) and isinstance(node.value, ast.Call):
                called = ast.unparse(node.value.func).rpartition(".")[2]
                if called in {"EventBus", "Telemetry", "CollectorRegistry", "Semaphore", "Lock"}:
                    offenders.append(f"{path.relative_to(SRC)}: {ast.unparse(node)}")
    assert offenders == []
