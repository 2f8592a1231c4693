"""The layering of docs/ARCHITECTURE.md, checked over every module of the package.

The document's "Allowed imports" table is the allow-list: a layer may import exactly the layers its row names.
So a new arrow between layers is a change to that table, made (and reviewed) on purpose. Beside it: no cycle
between layers, none between files, and no third-party module a layer's row forbids."""
import ast
import re
from collections import defaultdict
from pathlib import Path

import fate_flow

PACKAGE = Path(fate_flow.__file__).parent
DOCUMENT = PACKAGE.parent / "docs" / "ARCHITECTURE.md"
GENERATED = "proto"  # protobuf stubs: a layer others import, never walked


def allow_table(text: str) -> dict[str, tuple[set[str], set[str]]]:
    """layer -> (fate_flow layers it may import, third-party top-level modules it must not import), from the
    rows of the table under the "## Allowed imports" heading: | `layer` | `a` `b` | `flask` | why |"""
    section = text.split("## Allowed imports", 1)[1].split("\n## ", 1)[0]
    table = {}
    for line in section.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) < 3 or not cells[0].startswith("`"):
            continue
        layer = cells[0].strip("`")
        table[layer] = (set(re.findall(r"`([\w.]+)`", cells[1])), set(re.findall(r"`([\w.]+)`", cells[2])))
    return table


def imported_modules(path: Path):
    """Every module a file imports, at its top or inside a function (a lazy import is still an arrow); a
    from-import yields module.name, which file_graph resolves to the longest prefix that is a module."""
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            for alias in node.names:  # a name may be a module (from fate_flow.federation import signing)
                yield f"{node.module}.{alias.name}"


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def layer_of_module(name: str) -> str:
    """The layer of a fate_flow module: its subpackage, its top-level module, or `fate_flow` (the version)."""
    parts = name.split(".")
    if len(parts) == 1:
        return "fate_flow"
    if (PACKAGE / parts[1]).is_dir() or (PACKAGE / f"{parts[1]}.py").is_file():
        return parts[1]
    return "fate_flow"


def sources() -> dict[str, Path]:
    return {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))
            if p.relative_to(PACKAGE).parts[0] != GENERATED}


def file_graph(modules: dict[str, Path]) -> dict[str, set[str]]:
    """module -> the fate_flow modules it imports (a from-import of a name resolves to the longest module prefix)."""
    graph = {}
    for name, path in modules.items():
        targets = set()
        for imported in imported_modules(path):
            parts = imported.split(".")
            while parts and ".".join(parts) not in modules:
                parts = parts[:-1]
            if parts and ".".join(parts) != name:
                targets.add(".".join(parts))
        graph[name] = targets
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one node (Tarjan, iterative)."""
    index, low, on_stack, stack, found = {}, {}, set(), [], []
    counter = 0
    for root in sorted(graph):
        if root in index:
            continue
        work = [(root, iter(sorted(graph.get(root, ()))))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph.get(child, ())))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return found


def layer_arrows(modules: dict[str, Path]) -> dict[str, set[str]]:
    arrows = defaultdict(set)
    for name, path in modules.items():
        source = layer_of_module(name)
        for imported in imported_modules(path):
            if imported.split(".")[0] == "fate_flow":
                target = layer_of_module(imported)
                if target != source:
                    arrows[source].add(target)
    return arrows


def test_every_layer_has_a_row_and_every_arrow_is_allowed():
    table = allow_table(DOCUMENT.read_text(encoding="utf-8"))
    modules = sources()
    layers = {layer_of_module(name) for name in modules} | {GENERATED}
    assert sorted(layers - set(table)) == [], "layers without a row in docs/ARCHITECTURE.md's allow table"
    assert sorted(set(table) - layers) == [], "rows of the allow table naming no layer of fate_flow"
    unknown = {layer: sorted(allowed - layers) for layer, (allowed, _) in table.items() if allowed - layers}
    assert unknown == {}
    broken = sorted(f"{source} -> {target}" for source, targets in layer_arrows(modules).items()
                    for target in targets if target not in table[source][0])
    assert broken == [], "arrows docs/ARCHITECTURE.md does not allow"


def test_no_layer_imports_a_third_party_module_its_row_forbids():
    table = allow_table(DOCUMENT.read_text(encoding="utf-8"))
    broken = []
    for name, path in sources().items():
        forbidden = table[layer_of_module(name)][1]
        broken += [f"{name} imports {m}" for m in imported_modules(path) if m.split(".")[0] in forbidden]
    assert broken == []


def test_the_allowed_arrows_and_the_real_ones_have_no_cycle():
    table = allow_table(DOCUMENT.read_text(encoding="utf-8"))
    assert cycles({layer: allowed for layer, (allowed, _) in table.items()}) == []
    assert cycles(layer_arrows(sources())) == []


def test_no_file_level_import_cycle():
    assert cycles(file_graph(sources())) == []


def test_the_checker_sees_an_arrow_a_cycle_and_a_forbidden_module(tmp_path):
    bad = tmp_path / "m.py"
    bad.write_text("from fate_flow.db.models import Job\nimport flask\n\ndef f():\n    from fate_flow import proto\n")
    assert list(imported_modules(bad)) == ["fate_flow.db.models.Job", "flask", "fate_flow.proto"]
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    table = allow_table("## Allowed imports\n| layer | may import | never | why |\n|---|---|---|---|\n"
                        "| `db` | `entity` | `flask` | x |\n| `entity` | none | `flask` `grpc` | y |\n## Next\n| `z` | `q` | | |\n")
    assert table == {"db": ({"entity"}, {"flask"}), "entity": (set(), {"flask", "grpc"})}
