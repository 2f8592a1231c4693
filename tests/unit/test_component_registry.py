"""The component registry is a value a server's runtime (or a worker) holds: plugins add their COMPONENTS to the
registry made with them, and importing a plugin changes no other registry."""
import pytest

from fate_flow.components.registry import BUILTIN, ComponentRegistry, UnknownModuleError, with_plugins

PLUGIN = "tests.scheduler.components"


def test_a_registry_made_with_a_plugin_knows_its_components_and_no_other_registry_does():
    plugged = with_plugins([PLUGIN])
    assert {"TestStep", "TestSource", "HeteroLR"} <= plugged.module_names()
    assert plugged.module_roles()["TestStep"] == ("guest", "host", "arbiter")
    assert plugged.load("TestStep").__name__ == "TestStep"
    builtin = ComponentRegistry()
    assert builtin.module_names() == {m.name for m in BUILTIN}
    with pytest.raises(UnknownModuleError, match="module TestStep is not registered"):
        builtin.load("TestStep")
