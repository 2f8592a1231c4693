"""HeteroSecureBoost's model buffers: BoostingTreeModelMeta and BoostingTreeModelParam under FATE's names
(HeteroSecureBoostingTree{Guest,Host}{Meta,Param}), written after training and read back for prediction."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from google.protobuf.message import Message

from fate_flow.components.secureboost.params import HeteroSecureBoostParams
from fate_flow.components.secureboost.tree import HostSplit, Tree, host_splits_from_proto, host_tree_proto
from fate_flow.proto.boosting_tree_model_pb2 import (
    BoostingTreeModelMeta, BoostingTreeModelParam, CriterionMeta, DecisionTreeModelMeta, FeatureImportanceInfo,
    ObjectiveMeta, QuantileMeta)

MODULE = "HeteroSecureBoost"
PREFIX = "HeteroSecureBoostingTree"


def buffer_names(role: str) -> tuple[str, str]:
    side = "Guest" if role == "guest" else "Host"
    return f"{PREFIX}{side}Meta", f"{PREFIX}{side}Param"


def model_meta(params: HeteroSecureBoostParams) -> BoostingTreeModelMeta:
    tp = params.tree
    tree_meta = DecisionTreeModelMeta(
        criterion_meta=CriterionMeta(criterion_method=tp.criterion_method, criterion_param=[tp.l2, tp.l1]),
        max_depth=tp.max_depth, min_sample_split=tp.min_sample_split, min_impurity_split=tp.min_impurity_split,
        min_leaf_node=tp.min_leaf_node, use_missing=tp.use_missing, zero_as_missing=tp.zero_as_missing)
    objective = params.objective_param
    return BoostingTreeModelMeta(
        tree_meta=tree_meta, learning_rate=params.learning_rate, num_trees=params.num_trees,
        quantile_meta=QuantileMeta(quantile_method="quantile", bin_num=params.bin_num),
        objective_meta=ObjectiveMeta(objective=objective.objective, param=[float(v) for v in objective.params or []]),
        task_type=params.task_type, n_iter_no_change=params.n_iter_no_change, tol=params.tol,
        use_missing=params.use_missing, zero_as_missing=params.zero_as_missing, work_mode="", module=MODULE)


def guest_buffers(params: HeteroSecureBoostParams, trees: list[Tree], init_score: np.ndarray, losses: list[float],
                  tree_dim: int, classes: list[Any], header: list[str], importance: dict[tuple[str, int], float],
                  sitenames: list[str]) -> dict[str, Message]:
    """sitenames: the guest's, then each host's in the job's order; the model records each as role:index
    (anonymous_name_mapping) so that a model whose parties were renamed (model migration) still resolves them."""
    param = BoostingTreeModelParam(tree_num=len(trees), init_score=[float(v) for v in init_score],
                                   losses=[float(v) for v in losses], tree_dim=tree_dim, num_classes=len(classes),
                                   classes_=[str(c) for c in classes], best_iteration=len(losses) - 1,
                                   model_name=MODULE)
    param.trees_.extend(tree.to_proto() for tree in trees)
    param.feature_name_fid_mapping.update(dict(enumerate(header)))
    param.anonymous_name_mapping.update({name: f"{name.split(':')[0]}:{i if i == 0 else i - 1}"
                                         for i, name in enumerate(sitenames)})
    for (sitename, fid), value in sorted(importance.items(), key=lambda kv: -kv[1]):
        own = fid >= 0
        fullname = header[fid] if own else sitename.replace(":", "_")
        param.feature_importances.append(FeatureImportanceInfo(sitename=sitename, fid=fid, importance=value,
                                                                fullname=fullname, main=params.tree.
                                                                feature_importance_type))
    meta_name, param_name = buffer_names("guest")
    return {meta_name: model_meta(params), param_name: param}


def host_buffers(params: HeteroSecureBoostParams, trees: list[dict[int, HostSplit]], tree_dim: int,
                 header: list[str], importance: dict[int, float], sitename: str) -> dict[str, Message]:
    param = BoostingTreeModelParam(tree_num=len(trees), tree_dim=tree_dim, model_name=MODULE)
    param.trees_.extend(host_tree_proto(splits, sitename) for splits in trees)
    param.feature_name_fid_mapping.update(dict(enumerate(header)))
    for fid, value in sorted(importance.items(), key=lambda kv: -kv[1]):
        param.feature_importances.append(FeatureImportanceInfo(sitename=sitename, fid=fid, importance=value,
                                                                fullname=header[fid], main="split"))
    meta_name, param_name = buffer_names("host")
    return {meta_name: model_meta(params), param_name: param}


@dataclass
class GuestModel:
    meta: BoostingTreeModelMeta
    trees: list[Tree]
    init_score: np.ndarray
    tree_dim: int
    classes: list[Any]
    header: list[str]
    parties: dict[str, str]    # sitename in the trees -> role:index in the training job

    def sitenames(self, guest: str, hosts: list[str]) -> dict[str, str]:
        """The trees' sitenames as this job names the same parties (by role and position)."""
        current = {"guest:0": guest, **{f"host:{i}": h for i, h in enumerate(hosts)}}
        return {name: current.get(position, name) for name, position in self.parties.items()}


@dataclass
class HostModel:
    trees: list[dict[int, HostSplit]]
    header: list[str]


def _buffers(buffers: dict[str, Message], role: str) -> tuple[BoostingTreeModelMeta, BoostingTreeModelParam]:
    meta_name, param_name = buffer_names(role)
    try:
        return buffers[meta_name], buffers[param_name]
    except KeyError as e:
        raise ValueError(f"the model given to {MODULE} has no {e.args[0]} buffer (is it a {MODULE} model of the "
                         f"{role}?)") from None


def _header(param: BoostingTreeModelParam) -> list[str]:
    mapping = dict(param.feature_name_fid_mapping)
    return [mapping[i] for i in range(len(mapping))]


def read_guest(buffers: dict[str, Message]) -> GuestModel:
    meta, param = _buffers(buffers, "guest")
    trees = [Tree.from_proto(t) for t in param.trees_]
    tree_dim = max(1, param.tree_dim)
    if len(param.init_score) != tree_dim or len(trees) % tree_dim:
        raise ValueError(f"the model has {len(trees)} trees and {len(param.init_score)} initial scores for "
                         f"{tree_dim} per round")
    return GuestModel(meta, trees, np.asarray(param.init_score, dtype=np.float64), tree_dim,
                      [_label(c) for c in param.classes_], _header(param), dict(param.anonymous_name_mapping))


def read_host(buffers: dict[str, Message]) -> HostModel:
    _, param = _buffers(buffers, "host")
    return HostModel([host_splits_from_proto(t) for t in param.trees_], _header(param))


def _label(text: str) -> Any:
    for cast in (int, float):
        try:
            return cast(text)
        except ValueError:
            continue
    return text
