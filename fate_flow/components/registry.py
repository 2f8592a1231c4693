"""Which modules a DSL may name, which roles run them, and where their code is (imported on first use)."""
from __future__ import annotations

import importlib
from dataclasses import dataclass

from fate_flow.components.base import Component


@dataclass(frozen=True)
class ModuleInfo:
    name: str
    roles: tuple[str, ...]
    target: str  # "package.module:ClassName"


MODULES: dict[str, ModuleInfo] = {m.name: m for m in (
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
)}


class UnknownModuleError(KeyError):
    pass


def module_names() -> frozenset[str]:
    return frozenset(MODULES)


def module_roles() -> dict[str, tuple[str, ...]]:
    """module -> roles that run it (the DSL parser's `module_roles`)."""
    return {name: info.roles for name, info in MODULES.items()}


def load(module: str) -> type[Component]:
    info = MODULES.get(module)
    if info is None:
        raise UnknownModuleError(f"module {module} is not registered; known: {', '.join(sorted(MODULES))}")
    package, _, cls = info.target.partition(":")
    return getattr(importlib.import_module(package), cls)
