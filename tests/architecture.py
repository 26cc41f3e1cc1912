"""Checks of the package's architecture, on source files (no imports are run).

* Layers: each module belongs to a layer; no module imports a layer above
  its own. ``LAYERS`` lists them bottom up; the leaves are modules.
* No import cycles between modules (imports under ``if TYPE_CHECKING:``
  are for type checkers only and are left out).
* No function-level import of a trialsim module outside the face layer (where
  the CLI loads verbs lazily for its start-up time), and none of another
  library except the optional or heavy ones in ``LAZY_LIBRARIES``.
* Sizes: no module over ``MAX_MODULE_LINES`` lines, no function over
  ``MAX_FUNCTION_LINES`` lines of code (its docstring not counted).
"""

from __future__ import annotations

import ast
from pathlib import Path

LAYERS: tuple[tuple[str, ...], ...] = (
    ("errors", "mc", "moments", "_io", "_version", "_lazy", "provenance", "_frames",
     "_format", "checks"),
    ("analysis",),
    ("spec",),
    ("models",),
    ("engine",),
    ("planning",),
    ("ops",),
    ("face",),
    ("__init__", "__main__"),
)
LAZY_LIBRARIES = ("matplotlib", "distributed", "dask", "pyarrow", "pandas", "psutil", "scipy", "joblib", "simpy")
MAX_MODULE_LINES = 400
MAX_FUNCTION_LINES = 60


def layer_of(module: str) -> int:
    """The layer of a dotted module name under the package (``spec.pain`` -> 2)."""
    head = module.split(".")[0]
    for i, names in enumerate(LAYERS):
        if head in names:
            return i
    raise ValueError(f"module {module!r} is in no layer: add it to LAYERS")


def modules(root: Path) -> dict[str, Path]:
    """Dotted names (without the package) of every module under ``root``."""
    out = {}
    for path in sorted(root.rglob("*.py")):
        parts = list(path.relative_to(root).with_suffix("").parts)
        if parts[-1] == "__init__" and len(parts) > 1:
            parts = parts[:-1]
        out[".".join(parts)] = path
    return out


def _resolve(name: str, node: ast.ImportFrom, package: str) -> list[str]:
    """Absolute module names (under the package) that an ImportFrom refers to."""
    if node.level == 0:
        if not (node.module or "").startswith(package + "."):
            return []
        base = node.module[len(package) + 1:]
    else:
        parts = name.split(".")
        keep = parts[:len(parts) - node.level] if not name.endswith("__init__") else parts
        base = ".".join(keep + ([node.module] if node.module else []))
    return [base] if node.module else [f"{base}.{a.name}".strip(".") for a in node.names]


def _type_checking(node: ast.AST) -> bool:
    return isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test)


def imports(name: str, path: Path, package: str) -> list[tuple[str, int, bool]]:
    """(imported module, line, inside a function) for each trialsim import."""
    tree = ast.parse(path.read_text())
    found = []

    def visit(node: ast.AST, in_function: bool) -> None:
        for child in ast.iter_child_nodes(node):
            if _type_checking(child):
                continue
            inner = in_function or isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef))
            if isinstance(child, ast.ImportFrom):
                is_package = path.name == "__init__.py"
                origin = name + ".__init__" if is_package else name
                for target in _resolve(origin, child, package):
                    found.append((target, child.lineno, in_function))
            elif isinstance(child, ast.Import):
                for alias in child.names:
                    if alias.name.startswith(package + "."):
                        found.append((alias.name[len(package) + 1:], child.lineno, in_function))
            visit(child, inner)

    visit(tree, False)
    return found


def lazy_library_imports(path: Path) -> list[tuple[str, int]]:
    """Function-level imports of libraries other than the allowed lazy ones."""
    out = []
    for node in ast.walk(ast.parse(path.read_text())):
        if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            continue
        for inner in ast.walk(node):
            names = ([a.name for a in inner.names] if isinstance(inner, ast.Import) else
                     [inner.module or ""] if isinstance(inner, ast.ImportFrom)
                     and inner.level == 0 else [])
            for n in names:
                if n.split(".")[0] not in LAZY_LIBRARIES and not n.startswith("simulator"):
                    out.append((n, inner.lineno))
    return out


def _find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}
    stack: list[str] = []

    def dfs(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return stack[stack.index(nxt):] + [nxt]
            if nxt not in state and (found := dfs(nxt)):
                return found
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (found := dfs(node)):
            return found
    return None


def violations(root: Path, package: str = "simulator") -> list[str]:
    """Every breach of the layer, cycle and lazy-import rules under ``root``."""
    mods = modules(root)
    problems, graph = [], {}
    for name, path in mods.items():
        here = layer_of(name)
        graph[name] = set()
        for target, line, in_function in imports(name, path, package):
            target = target if target in mods else target.rsplit(".", 1)[0]
            if target not in mods:
                continue
            where = f"{path.relative_to(root.parent)}:{line}"
            if layer_of(target) > here:
                problems.append(f"{where}: {name} imports {target}, a layer above it")
            if in_function and layer_of(name) != layer_of("face"):
                problems.append(f"{where}: {name} imports {target} inside a function")
            if not in_function and target != name and not name.startswith(target + "."):
                graph[name].add(target)
        for lib, line in lazy_library_imports(path):
            problems.append(f"{path.relative_to(root.parent)}:{line}: {name} imports {lib} "
                            "inside a function")
    cycle = _find_cycle(graph)
    if cycle:
        problems.append("import cycle: " + " -> ".join(cycle))
    return problems


def oversized(root: Path) -> list[str]:
    """Modules and functions over the size limits."""
    out = []
    for path in sorted(root.rglob("*.py")):
        text = path.read_text()
        if len(text.splitlines()) > MAX_MODULE_LINES:
            out.append(f"{path}: {len(text.splitlines())} lines")
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                first = node.body[0]
                doc = (first.end_lineno - first.lineno + 1
                       if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant)
                       and isinstance(first.value.value, str) else 0)
                length = node.end_lineno - node.lineno + 1 - doc
                if length > MAX_FUNCTION_LINES:
                    out.append(f"{path}:{node.lineno}: {node.name} has {length} lines")
    return out
