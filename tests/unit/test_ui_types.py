"""ui/ is typed for real: no `Any`, no private names imported across modules, and mypy finds nothing."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
UI = ROOT / "mpoffice_tui" / "ui"
UI_MODULES = sorted(UI.rglob("*.py"))


def _parsed(path: Path) -> ast.Module:
    return ast.parse(path.read_text(encoding="utf-8"), filename=str(path))


def _any_uses(tree: ast.Module) -> list[int]:
    """Lines where `Any` is imported from typing or named (bare, as typing.Any, or in a string annotation)."""
    lines: list[int] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module in ("typing", "typing_extensions"):
            lines += [node.lineno for alias in node.names if alias.name == "Any"]
        elif _names_any(node):
            lines.append(node.lineno)
    return lines


def _names_any(node: ast.AST) -> bool:
    if isinstance(node, ast.Name):
        return node.id == "Any"
    if isinstance(node, ast.Attribute):
        return node.attr == "Any" and isinstance(node.value, ast.Name) and node.value.id in ("typing", "t")
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return _is_annotation_string(node.value)
    return False


def _is_annotation_string(text: str) -> bool:
    """A quoted annotation that names Any, such as "dict[str, Any]" (not prose that says "Any case")."""
    try:
        expr = ast.parse(text, mode="eval")
    except SyntaxError:
        return False
    return any(isinstance(n, ast.Name) and n.id == "Any" for n in ast.walk(expr))


def _private_imports(tree: ast.Module) -> list[str]:
    """`from mpoffice_tui.x import _name`: a private name of another module of the package."""
    return [f"{node.lineno}: from {node.module} import {alias.name}" for node in ast.walk(tree)
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("mpoffice_tui")
            for alias in node.names if alias.name.startswith("_") and not alias.name.startswith("__")]


@pytest.mark.parametrize("path", UI_MODULES, ids=lambda p: str(p.relative_to(UI)))
def test_no_any_in_ui(path: Path):
    lines = _any_uses(_parsed(path))
    assert not lines, f"{path.relative_to(ROOT)} uses Any at lines {lines}: name the real type (TYPE_CHECKING import)"


@pytest.mark.parametrize("path", UI_MODULES, ids=lambda p: str(p.relative_to(UI)))
def test_no_private_names_imported_across_ui(path: Path):
    found = _private_imports(_parsed(path))
    assert not found, f"{path.relative_to(ROOT)} imports another module's private name: {found}"


def test_the_checks_see_what_they_look_for():
    """The two checks above catch the forms they are about (so a pass means something)."""
    sample = ast.parse("from typing import Any\nx: 'dict[str, Any]' = {}\nimport typing\ny: typing.Any = 1\n"
                       "from mpoffice_tui.ui.screens.inbox_work import _inbox\n")
    assert _any_uses(sample) == [1, 2, 4]
    assert _private_imports(sample) == ["5: from mpoffice_tui.ui.screens.inbox_work import _inbox"]
    assert _any_uses(ast.parse("Field('case', 'For the case', placeholder='Any case')")) == []


def test_mypy_finds_nothing_in_ui(tmp_path: Path):
    """mypy over ui/ (the modules it imports are read for their types, not checked themselves)."""
    r = subprocess.run([sys.executable, "-m", "mypy", "--follow-imports=silent", "--ignore-missing-imports",
                        "--warn-unused-ignores", "--no-error-summary", "--cache-dir", str(tmp_path / "mypy"),
                        "mpoffice_tui/ui"], capture_output=True, text=True, cwd=ROOT, timeout=240)
    assert r.returncode == 0, r.stdout + r.stderr
