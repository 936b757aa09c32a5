"""The package's layers, read from its import statements (lazy ones inside functions included): no cycle, no
module reaching into another's underscore names, each folder importing only from the ones below it, Streamlit
only in the page, and test modules that share helpers through helper modules, not through each other."""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PKG = ROOT / "lstm_viz"
BOTTOM = {"lstm_viz.notation", "lstm_viz.checks", "lstm_viz.i18n", "lstm_viz.paths"}
FOLDERS = ("engine", "models", "teach", "page")  # from the bottom up


def module_of(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def sources() -> dict[str, Path]:
    files = [p for p in PKG.rglob("*.py") if "node_modules" not in p.parts]
    return {module_of(p): p for p in files + [ROOT / "app.py"]}


MODULES = sources()


def imports(path: Path):
    """(imported module, names taken from it, line) for every import in the file, relative ones resolved; a name
    that is itself a module of the package counts as an import of that module."""
    name = module_of(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            for a in node.names:
                yield a.name, (), node.lineno
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module
            names = []
            for a in node.names:
                if f"{target}.{a.name}" in MODULES:
                    yield f"{target}.{a.name}", (), node.lineno
                else:
                    names.append(a.name)
            if names or not node.names:
                yield target, tuple(names), node.lineno


def rank(module: str) -> int:
    """0 the bottom modules; 1 the engine and the package's public face; 2 models; 3 teach; 4 page and cli; 5 the
    entry points."""
    if module in BOTTOM:
        return 0
    if module == "lstm_viz":
        return 1
    parts = module.split(".")
    if len(parts) > 1 and parts[1] in FOLDERS:
        return 1 + FOLDERS.index(parts[1])
    if module == "lstm_viz.cli":
        return 4
    return 5  # lstm_viz.__main__, app


def edges():
    for mod, path in MODULES.items():
        for target, names, line in imports(path):
            yield mod, target, names, line


def test_no_import_cycle():
    graph = {m: set() for m in MODULES}
    for mod, target, _, _ in edges():
        if target in MODULES and target != mod:
            graph[mod].add(target)
    index, low, stack, on, cycles = {}, {}, [], set(), []

    def visit(v):  # Tarjan's strongly connected components
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                cycles.append(sorted(comp))

    for v in graph:
        if v not in index:
            visit(v)
    assert not cycles, cycles


def test_the_walk_sees_every_kind_of_import():
    """The walk itself: relative, lazy and module-as-name imports are all found (a walk that found none would pass
    every test above)."""
    found = {(m, t) for m, t, _, _ in edges()}
    assert ("lstm_viz.page.views.grad", "lstm_viz.page.cache") in found  # from .. import cache
    assert ("lstm_viz.engine.trace", "lstm_viz.engine.cells") in found  # from lstm_viz.engine import cells
    assert any(m == "lstm_viz.cli" and t.startswith("lstm_viz.models") for m, t in found)  # lazy, in a function
    assert len(MODULES) > 40


def test_no_module_imports_another_modules_underscore_names():
    bad = [f"{mod}:{line} takes {n} from {target}" for mod, target, names, line in edges()
           if target.startswith("lstm_viz") and target != mod for n in names
           if n.startswith("_") and not n.startswith("__")]
    aliases_used = []
    for mod, path in MODULES.items():
        tree = ast.parse(path.read_text())
        modules = {}  # local name -> package module it names
        targets = {target for target, _, _ in imports(path) if target in MODULES}
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom):
                for a in node.names:
                    for target in targets:
                        if target.endswith("." + a.name):
                            modules[a.asname or a.name] = target
            elif isinstance(node, ast.Import):
                for a in node.names:
                    if a.name.startswith("lstm_viz") and a.asname:
                        modules[a.asname] = a.name
        for node in ast.walk(tree):
            if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id in modules \
                    and node.attr.startswith("_") and not node.attr.startswith("__") \
                    and modules[node.value.id] != mod:
                aliases_used.append(f"{mod}:{node.lineno} reads {node.value.id}.{node.attr}")
    assert not bad + aliases_used, bad + aliases_used


# the one import upwards: lstm_viz.show, the public face's door to the notebook widget, imports it when called
# (inside the function, so that `import lstm_viz` needs neither anywidget nor the teaching layer)
UPWARD_DOORS = {("lstm_viz", "lstm_viz.notebook")}


def test_each_layer_imports_only_from_the_ones_below_it():
    bad = []
    for mod, target, _, line in edges():
        if not target.startswith("lstm_viz") or target == mod or (mod, target) in UPWARD_DOORS:
            continue
        if rank(target) > rank(mod) or rank(mod) == rank(target) == 4 and mod.split(".")[1] != target.split(".")[1]:
            bad.append(f"{mod}:{line} imports {target}")
    assert not bad, bad


def test_streamlit_is_imported_only_by_the_page():
    bad = [f"{mod}:{line}" for mod, target, _, line in edges()
           if target.split(".")[0] == "streamlit" and not (mod.startswith("lstm_viz.page") or mod == "app")]
    assert not bad, bad


def test_tests_share_helpers_through_helper_modules_not_through_each_other():
    tests = {p.stem for p in (ROOT / "tests").glob("test_*.py")}
    bad = []
    for p in (ROOT / "tests").glob("*.py"):
        for node in ast.walk(ast.parse(p.read_text())):
            mods = [a.name for a in node.names] if isinstance(node, ast.Import) else \
                [node.module] if isinstance(node, ast.ImportFrom) and node.module else []
            bad += [f"{p.name}:{node.lineno} imports {m}" for m in mods if m.split(".")[0] in tests]
    assert not bad, bad


def test_session_state_is_read_and_written_in_one_module():
    """Every st.session_state key lives in lstm_viz/page/state.py (the settings, the session's own state, the
    widgets' values); views and the rest of the page go through it."""
    bad = [f"{mod}:{node.lineno}" for mod, path in MODULES.items() if mod != "lstm_viz.page.state"
           for node in ast.walk(ast.parse(path.read_text()))
           if isinstance(node, ast.Attribute) and node.attr == "session_state"]
    assert not bad, bad
