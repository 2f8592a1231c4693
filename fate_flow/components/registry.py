"""Which modules a DSL may name, which roles run them, and where their code is (imported on first use).

The built-in components are registered here (BUILTIN). A server holds one ComponentRegistry in its runtime, made
with the plugin modules its settings name (`worker.component_plugins`); a worker makes its own the same way. A
plugin module lists the components it adds in COMPONENTS (ModuleInfo rows)."""
from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import Iterable

from fate_flow.components.base import Component


@dataclass(frozen=True)
class ModuleInfo:
    name: str
    roles: tuple[str, ...]
    target: str  # "package.module:ClassName"


BUILTIN: tuple[ModuleInfo, ...] = (
    ModuleInfo("Reader", ("guest", "host"), "fate_flow.components.reader:Reader"),
    ModuleInfo("DataTransform", ("guest", "host"), "fate_flow.components.data_transform:DataTransform"),
    ModuleInfo("DataIO", ("guest", "host"), "fate_flow.components.data_transform:DataIO"),
    ModuleInfo("SecureAddExample", ("guest", "host"), "fate_flow.components.secure_add_example:SecureAddExample"),
    ModuleInfo("Intersection", ("guest", "host"), "fate_flow.components.intersection:Intersection"),
    ModuleInfo("FeatureScale", ("guest", "host"), "fate_flow.components.feature_scale:FeatureScale"),
    ModuleInfo("HeteroFeatureBinning", ("guest", "host"),
               "fate_flow.components.hetero_feature_binning:HeteroFeatureBinning"),
    ModuleInfo("HeteroFeatureSelection", ("guest", "host"),
               "fate_flow.components.hetero_feature_selection:HeteroFeatureSelection"),
    ModuleInfo("HeteroLR", ("guest", "host", "arbiter"), "fate_flow.components.hetero_lr:HeteroLR"),
    ModuleInfo("HomoLR", ("guest", "host", "arbiter"), "fate_flow.components.homo_lr:HomoLR"),
    ModuleInfo("HeteroSecureBoost", ("guest", "host"),
               "fate_flow.components.secureboost.component:HeteroSecureBoost"),
    ModuleInfo("Evaluation", ("guest", "host"), "fate_flow.components.evaluation:Evaluation"),
)


class UnknownModuleError(KeyError):
    pass


class ComponentRegistry:
    """The modules a server (or a worker) knows: name -> roles and code."""

    def __init__(self, modules: Iterable[ModuleInfo] = BUILTIN) -> None:
        self.modules: dict[str, ModuleInfo] = {m.name: m for m in modules}

    def module_names(self) -> frozenset[str]:
        return frozenset(self.modules)

    def module_roles(self) -> dict[str, tuple[str, ...]]:
        """module -> roles that run it (the DSL parser's `module_roles`)."""
        return {name: info.roles for name, info in self.modules.items()}

    def load(self, module: str) -> type[Component]:
        info = self.modules.get(module)
        if info is None:
            raise UnknownModuleError(f"module {module} is not registered; known: {', '.join(sorted(self.modules))}")
        package, _, cls = info.target.partition(":")
        return getattr(importlib.import_module(package), cls)


def with_plugins(plugins: Iterable[str]) -> ComponentRegistry:
    """The built-in components and those of each plugin module (its COMPONENTS)."""
    modules = list(BUILTIN)
    for plugin in plugins:
        modules.extend(importlib.import_module(plugin).COMPONENTS)
    return ComponentRegistry(modules)
