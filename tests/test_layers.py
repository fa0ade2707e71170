"""Every import points down: no module of a lower floor imports a higher one, and rooms of one
floor import each other only where listed. Walks the `ast` of every module of toolorch/ and
server/ (function-local and TYPE_CHECKING imports included: they are dependencies too)."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

#: room → floor (README.md, "Architecture"). A room is `server`, `toolorch` (the public surface),
#: or `toolorch.<first part>`.
FLOORS: dict[str, int] = {
    "toolorch.errors": 0, "toolorch.config": 0,
    "toolorch.core": 1,
    "toolorch.registry": 2, "toolorch.stores": 2, "toolorch.scip": 2, "toolorch.metrics": 2,
    "toolorch.backends": 3, "toolorch.rl": 3, "toolorch.lineage": 3,
    "toolorch.engine": 4,
    "server": 5, "toolorch": 5, "toolorch.cli": 5, "toolorch.bench": 5, "toolorch.demo": 5,
}
#: the imports allowed between rooms of one floor (floor 5, the entry points, may mix freely)
SIDEWAYS = {
    ("toolorch.config", "toolorch.errors"),     # settings errors are ConfigErrors
    ("toolorch.stores", "toolorch.scip"),       # the fact store loads SCIP indexes
    ("toolorch.metrics", "toolorch.stores"),    # metrics rebuilt from stored experiences
    ("toolorch.backends", "toolorch.lineage"),  # marquez_get_lineage reads the lineage store
}


def room(module: str) -> str:
    parts = module.split(".")
    if parts[0] == "server":
        return "server"
    return "toolorch" if len(parts) == 1 else ".".join(parts[:2])


def modules() -> dict[str, Path]:
    out = {}
    for path in sorted([*ROOT.glob("toolorch/**/*.py"), *ROOT.glob("server/**/*.py")]):
        parts = list(path.relative_to(ROOT).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        out[".".join(parts)] = path
    return out


def imports(module: str, path: Path) -> list[tuple[int, str]]:
    """(line, imported module) for every import of toolorch or server in the file."""
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, a.name) for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                name = ".".join([*base, node.module] if node.module else base)
            else:
                name = node.module or ""
            # `from toolorch.scip import kinds` imports the submodule, not the package's names
            subs = [f"{name}.{a.name}" for a in node.names if _is_module(f"{name}.{a.name}")]
            found += [(node.lineno, sub) for sub in subs] or [(node.lineno, name)]
    return [(line, name) for line, name in found if name.split(".")[0] in ("toolorch", "server")]


def _is_module(name: str) -> bool:
    path = ROOT.joinpath(*name.split("."))
    return path.with_suffix(".py").is_file() or (path / "__init__.py").is_file()


def violations() -> list[str]:
    bad = []
    for module, path in modules().items():
        here = room(module)
        assert here in FLOORS, f"{module}: its room {here} has no floor; add it to FLOORS (and README)"
        for line, target in imports(module, path):
            there = room(target)
            assert there in FLOORS, f"{path.relative_to(ROOT)}:{line} imports {target}, a room with no floor"
            if there == here:
                continue
            up, same = FLOORS[there] > FLOORS[here], FLOORS[there] == FLOORS[here]
            if up or (same and FLOORS[here] < 5 and (here, there) not in SIDEWAYS):
                way = "up to floor" if up else "sideways on floor"
                bad.append(f"{path.relative_to(ROOT)}:{line}: {module} (floor {FLOORS[here]}) imports "
                           f"{target} ({way} {FLOORS[there]})")
    return bad


def test_every_import_points_down() -> None:
    assert violations() == []


def test_the_check_sees_an_upward_import(tmp_path: Path) -> None:
    """The walk itself: a lower floor importing the engine, lazily inside a function, is found."""
    f = tmp_path / "probe.py"
    f.write_text("def f():\n    from toolorch.engine.engine import Engine\n    from . import sibling\n")
    assert imports("toolorch.stores.probe", f) == [(2, "toolorch.engine.engine"), (3, "toolorch.stores")]
    assert FLOORS[room("toolorch.engine.engine")] > FLOORS[room("toolorch.stores.probe")]


def test_every_room_has_a_floor() -> None:
    assert {room(m) for m in modules()} <= set(FLOORS)


def cycles(root: Path = ROOT) -> list[list[str]]:
    """Module import cycles (every import counted, as above), each as the modules around it."""
    global ROOT
    saved, ROOT = ROOT, root
    try:
        mods = modules()
        graph = {m: {t for _, t in imports(m, p) if t in mods and t != m} for m, p in mods.items()}
    finally:
        ROOT = saved
    found, state = [], dict.fromkeys(graph, 0)   # 0 new, 1 on the stack, 2 done

    def visit(m: str, stack: list[str]) -> None:
        state[m] = 1
        stack.append(m)
        for t in sorted(graph[m]):
            if state[t] == 1:
                found.append(stack[stack.index(t):] + [t])
            elif state[t] == 0:
                visit(t, stack)
        stack.pop()
        state[m] = 2

    for m in sorted(graph):
        if state[m] == 0:
            visit(m, [])
    return found


def test_no_import_cycles() -> None:
    """A package's __init__ importing its own modules is not a cycle unless a module imports the
    __init__ back; what counts is a module that needs itself."""
    assert cycles() == []
