"""The domain never depends on the UI framework: core, models, services and worker do not import reflex.

Checked twice: statically (every import statement in the source files, including ones inside functions)
and dynamically (importing every module of those packages in a fresh interpreter leaves ``reflex`` out
of ``sys.modules``, which also catches an indirect import through a third package).
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE_ROOT = Path(__file__).resolve().parents[1] / "assistant"
FRAMEWORK_FREE = ("core", "models", "services", "worker")
#: What each layer must never import (DESIGN.md: services never import reflex, fastapi, ui or api).
FORBIDDEN = {
    "core": ("reflex", "assistant.ui", "assistant.api", "assistant.services", "fastapi"),
    "models": ("reflex", "assistant.ui", "assistant.api", "assistant.services", "fastapi"),
    "services": ("reflex", "assistant.ui", "assistant.api", "fastapi"),
    "worker": ("reflex", "assistant.ui", "assistant.api"),
}


def imported_modules(path: Path) -> list[tuple[int, str]]:
    """Every module named by an import statement in ``path`` (relative imports resolved)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    package = ".".join(path.relative_to(PACKAGE_ROOT.parent).with_suffix("").parts[:-1])
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            found.append((node.lineno, module))
            found += [(node.lineno, f"{module}.{alias.name}") for alias in node.names]
        elif isinstance(node, ast.Call) and getattr(node.func, "id", getattr(node.func, "attr", "")) in (
            "import_module", "__import__"
        ):
            if node.args and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str):
                found.append((node.lineno, node.args[0].value))
    return found


def _matches(module: str, forbidden: str) -> bool:
    return module == forbidden or module.startswith(forbidden + ".")


def test_the_static_scan_sees_imports():
    """Guard: the scanner finds the imports it is meant to find."""
    names = {name for _, name in imported_modules(PACKAGE_ROOT / "services" / "auth" / "service.py")}
    assert {"sqlmodel", "assistant.core.security", "assistant.models.user"} <= names


@pytest.mark.parametrize("layer", FRAMEWORK_FREE)
def test_layer_source_never_imports_forbidden_modules(layer):
    offenders = []
    for path in sorted((PACKAGE_ROOT / layer).rglob("*.py")):
        for line, module in imported_modules(path):
            for forbidden in FORBIDDEN[layer]:
                if _matches(module, forbidden):
                    offenders.append(f"{path.relative_to(PACKAGE_ROOT.parent)}:{line} imports {module}")
    assert offenders == []


def test_package_init_does_not_import_reflex():
    for _, module in imported_modules(PACKAGE_ROOT / "__init__.py"):
        assert not _matches(module, "reflex")


_PROBE = """
import importlib, json, pkgutil, sys
import assistant
names = []
for layer in {layers!r}:
    package = importlib.import_module("assistant." + layer)
    names.append(package.__name__)
    for info in pkgutil.walk_packages(package.__path__, package.__name__ + "."):
        importlib.import_module(info.name)
        names.append(info.name)
loaded = sorted(m for m in sys.modules if m == "reflex" or m.startswith("reflex."))
print(json.dumps({{"imported": names, "reflex": loaded}}))
"""


def test_importing_every_framework_free_module_does_not_load_reflex():
    result = subprocess.run(
        [sys.executable, "-c", _PROBE.format(layers=FRAMEWORK_FREE)],
        cwd=PACKAGE_ROOT.parent,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert "assistant.services.auth.service" in report["imported"]
    assert "assistant.worker.leader" in report["imported"]
    assert report["reflex"] == []
