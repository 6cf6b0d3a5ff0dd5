"""The layout of DESIGN.md section 1, checked: stages import only from themselves or earlier
ones, no import circles between files, no file over 300 lines, few top-level modules."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
STAGES = ["model", "formats", "scoring", "strategies", "measure", "false_negatives", "export",
          "probe", "workspace", "cli"]
MAX_LINES = 300


def _modules(base: str) -> dict[str, Path]:
    out = {}
    for path in sorted((ROOT / base).rglob("*.py")):
        name = ".".join(path.relative_to(ROOT).with_suffix("").parts)
        out[name.removesuffix(".__init__")] = path
    return out


def _imports(name: str, path: Path, known: dict) -> set[str]:
    """The modules of ``known`` that ``name`` imports, anywhere in the file (lazy ones too)."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(parts + ([base] if base else []))
            names = [base] + [f"{base}.{a.name}" for a in node.names]
        else:
            continue
        found.update(n for n in names if n in known and n != name)
    return found


def _graph() -> dict[str, set[str]]:
    known = {**_modules("analysis"), **_modules("dashboard")}
    return {name: _imports(name, path, known) for name, path in known.items()}


def _stage(module: str) -> int | None:
    parts = module.split(".")
    if parts[0] != "analysis" or len(parts) < 2:
        return None
    return STAGES.index(parts[1]) if parts[1] in STAGES else None


def test_stages_import_only_earlier_stages():
    backwards = []
    for module, targets in _graph().items():
        here = _stage(module)
        for target in targets:
            there = _stage(target)
            if here is not None and there is not None and there > here:
                backwards.append(f"{module} -> {target}")
    assert not backwards, "imports against the flow: " + ", ".join(sorted(backwards))


def test_no_import_circles():
    graph = _graph()
    seen: dict[str, int] = {}
    circles = []

    def visit(node: str, path: list[str]) -> None:
        seen[node] = 1
        for nxt in sorted(graph[node]):
            if seen.get(nxt) == 1:
                circles.append(" -> ".join(path[path.index(nxt):] + [node, nxt]) if nxt in path
                               else f"{node} -> {nxt}")
            elif nxt not in seen:
                visit(nxt, path + [node])
        seen[node] = 2

    for module in sorted(graph):
        if module not in seen:
            visit(module, [])
    assert not circles, "import circles: " + "; ".join(circles)


def test_files_stay_short():
    long = [f"{p.relative_to(ROOT)} ({n})" for base in ("analysis", "dashboard")
            for p in (ROOT / base).rglob("*.py")
            if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_LINES]
    assert not long, f"files over {MAX_LINES} lines: " + ", ".join(sorted(long))


def test_top_level_holds_the_stages():
    top = sorted(p.name for p in (ROOT / "analysis").glob("*.py")
                 if p.name not in ("__init__.py", "__main__.py"))
    assert len(top) <= 6, top
    packages = {p.name for p in (ROOT / "analysis").iterdir() if (p / "__init__.py").exists()}
    assert packages == set(STAGES) - {"model"}, packages
