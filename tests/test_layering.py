"""The import arrows of ARCHITECTURE.md, checked over every module of the package."""
import ast
from pathlib import Path

import fate_flow

PACKAGE = Path(fate_flow.__file__).parent

# layer -> fate_flow layers it must never import
FORBIDDEN = {
    "entity": {"*"},
    # serialization: nothing of fate_flow but the generated protobuf messages (model buffers by type name) and
    # the encrypted values of fate_flow.secure (they cross parties)
    "serde": {"settings", "db", "apps", "app", "server", "services", "scheduler", "federation", "worker", "components",
              "computing", "client", "model", "entity"},
    # cryptography: a leaf
    "secure": {"*"},
    # the job DSL and runtime conf as data: entity only
    "dsl": {"settings", "db", "apps", "app", "server", "services", "scheduler", "federation", "worker", "components",
            "computing", "client", "model", "serde", "secure", "serving"},
    "db": {"apps", "services", "scheduler", "federation", "worker", "components", "computing", "client", "model",
           "app", "server"},
    "apps": {"db", "federation", "worker", "components", "computing", "server"},
    "services": {"apps", "app", "server"},
    "scheduler": {"apps", "app", "server"},
    "federation": {"db", "apps", "app", "services", "scheduler", "worker", "components", "computing", "client",
                   "server", "settings"},
    "worker": {"db", "apps", "app", "server", "services", "scheduler"},
    "components": {"db", "apps", "app", "server", "services", "scheduler", "settings"},
    "computing": {"db", "apps", "app", "server", "services", "scheduler", "components", "settings"},
    "client": {"db", "apps", "app", "server", "services", "scheduler", "settings", "worker", "components"},
    "fate_flow_client": {"db", "apps", "app", "server", "services", "scheduler", "settings"},
    # the bundled online serving: its own process beside the flow server; reaches it over HTTP (client/) only
    "serving": {"db", "apps", "app", "server", "services", "scheduler", "worker"},
}
# third-party modules a layer must never import
FORBIDDEN_EXTERNAL = {
    "worker": {"flask", "peewee", "playhouse"},
    "components": {"flask", "peewee", "playhouse"},
    "computing": {"flask", "peewee", "playhouse"},
    "client": {"flask", "peewee", "playhouse"},
    "fate_flow_client": {"flask", "peewee", "playhouse"},
    "federation": {"flask", "peewee", "playhouse"},
    "entity": {"flask", "peewee", "playhouse"},
    "dsl": {"flask", "peewee", "playhouse", "grpc"},
    "serving": {"flask", "peewee", "playhouse", "gunicorn"},
}


def imported_modules(path: Path):
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            yield node.module


def layer_of(path: Path) -> str:
    rel = path.relative_to(PACKAGE)
    return rel.parts[0] if len(rel.parts) > 1 else rel.stem


def test_no_broken_arrows():
    broken = []
    for path in sorted(PACKAGE.rglob("*.py")):
        if "proto" in path.relative_to(PACKAGE).parts[:1]:
            continue  # generated stubs
        layer = layer_of(path)
        for module in imported_modules(path):
            parts = module.split(".")
            if parts[0] == "fate_flow" and len(parts) > 1:
                target = parts[1]
                forbidden = FORBIDDEN.get(layer, set())
                if target != layer and ("*" in forbidden and target != layer or target in forbidden):
                    broken.append(f"{path.relative_to(PACKAGE)} imports {module}")
            elif parts[0] in FORBIDDEN_EXTERNAL.get(layer, set()):
                broken.append(f"{path.relative_to(PACKAGE)} imports {module}")
    assert broken == []


def test_the_checker_sees_a_broken_arrow(tmp_path):
    bad = tmp_path / "m.py"
    bad.write_text("from fate_flow.db.models import Job\nimport flask\n")
    assert list(imported_modules(bad)) == ["fate_flow.db.models", "flask"]
