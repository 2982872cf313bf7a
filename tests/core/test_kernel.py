"""core/ is the kernel every app builds on: it imports no app of the domain, so
that none of them is needed to understand, test or reuse it."""

import ast
from pathlib import Path

import core

DOMAIN_APPS = {"accounts", "stakeholders", "meetings"}
CORE_DIR = Path(core.__file__).resolve().parent


def imported_modules(path):
    """The absolute names of the modules ``path`` imports, relative imports
    resolved, with the line of each."""
    package = ".".join(path.relative_to(CORE_DIR.parent).parent.parts)
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, node.lineno
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                module = ".".join([*base, node.module] if node.module else base)
            else:
                module = node.module
            yield module, node.lineno


def test_core_imports_no_domain_app():
    found = [
        f"{path.relative_to(CORE_DIR.parent)}:{line} imports {module}"
        for path in sorted(CORE_DIR.rglob("*.py"))
        for module, line in imported_modules(path)
        if module.split(".")[0] in DOMAIN_APPS
    ]

    assert found == []


def test_the_check_reads_the_modules_of_core():
    modules = {path.name for path in CORE_DIR.rglob("*.py")}

    assert {"models.py", "admin.py", "views.py", "backups.py"} <= modules
