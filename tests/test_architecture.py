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
    # settings.py is where the environment is read (through pydantic-settings); process.py
    # builds the clean environment for child tools from an allow-list.
    allowed = {"core/settings.py", "core/process.py"}
    offenders = [
        str(p.relative_to(SRC))
        for p in SRC.rglob("*.py")
        if "os.environ" in p.read_text(encoding="utf-8") and str(p.relative_to(SRC)) not in allowed
    ]
    assert offenders == []
