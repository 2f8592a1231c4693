"""One decision tree as a party holds it: nodes numbered 0, 1, 2, ... in the order they were made (children of a
level after their parents), each a leaf with a weight or a split owned by one party (its sitename). A split's
feature and value are known only to its owner; the other parties hold the node without them.

Trees convert to and from FATE's DecisionTreeModelParam (NodeParam list plus split_maskdict)."""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from fate_flow.proto.boosting_tree_model_pb2 import DecisionTreeModelParam, NodeParam

NO_FEATURE = -1


@dataclass
class Tree:
    owner: list[str] = field(default_factory=list)      # sitename of the split ("" for a leaf)
    fid: list[int] = field(default_factory=list)        # feature index (own splits only)
    value: list[float] = field(default_factory=list)    # split value: row goes left when feature <= value
    weight: list[float] = field(default_factory=list)   # leaf weight (guest only)
    left: list[int] = field(default_factory=list)
    right: list[int] = field(default_factory=list)

    def add(self) -> int:
        self.owner.append("")
        self.fid.append(NO_FEATURE)
        self.value.append(0.0)
        self.weight.append(0.0)
        self.left.append(-1)
        self.right.append(-1)
        return len(self.owner) - 1

    def split(self, node: int, owner: str, fid: int = NO_FEATURE, value: float = 0.0) -> tuple[int, int]:
        self.owner[node], self.fid[node], self.value[node] = owner, fid, value
        self.left[node], self.right[node] = self.add(), self.add()
        return self.left[node], self.right[node]

    def is_leaf(self, node: int) -> bool:
        return self.left[node] < 0

    def arrays(self) -> "TreeArrays":
        return TreeArrays(np.asarray(self.left, dtype=np.int64), np.asarray(self.right, dtype=np.int64),
                          np.asarray(self.fid, dtype=np.int64), np.asarray(self.value, dtype=np.float64),
                          np.asarray(self.weight, dtype=np.float64), list(self.owner))

    def to_proto(self) -> DecisionTreeModelParam:
        """The guest's tree: every node; its own splits with fid and the split value in bid, a host's splits with
        the host's sitename only."""
        param = DecisionTreeModelParam()
        for i in range(len(self.owner)):
            leaf = self.is_leaf(i)
            param.tree_.append(NodeParam(id=i, sitename=self.owner[i], fid=self.fid[i], bid=self.value[i],
                                         weight=self.weight[i], is_leaf=leaf, left_nodeid=self.left[i],
                                         right_nodeid=self.right[i], missing_dir=1))
        return param

    @classmethod
    def from_proto(cls, param: DecisionTreeModelParam) -> "Tree":
        tree = cls()
        for node in sorted(param.tree_, key=lambda n: n.id):
            if node.id != len(tree.owner):
                raise ValueError(f"tree nodes are not numbered 0..n-1 (node {node.id} at position {len(tree.owner)})")
            i = tree.add()
            if not node.is_leaf:
                tree.left[i], tree.right[i] = node.left_nodeid, node.right_nodeid
                tree.owner[i], tree.fid[i], tree.value[i] = node.sitename, node.fid, node.bid
            tree.weight[i] = node.weight
        size = len(tree.owner)
        if any(not (0 < c < size) for c in tree.left + tree.right if c != -1):
            raise ValueError("a tree node points to a child that does not exist")
        return tree


@dataclass(frozen=True)
class HostSplit:
    fid: int
    bin: int
    value: float


def host_tree_proto(splits: dict[int, HostSplit], sitename: str) -> DecisionTreeModelParam:
    """A host's tree: only its own split nodes, fid and bin index in the node, the split value in split_maskdict
    (the guest's model names these nodes by id alone)."""
    param = DecisionTreeModelParam()
    for node, split in sorted(splits.items()):
        param.tree_.append(NodeParam(id=node, sitename=sitename, fid=split.fid, bid=float(split.bin),
                                     missing_dir=1))
        param.split_maskdict[node] = split.value
        param.missing_dir_maskdict[node] = 1
    return param


def host_splits_from_proto(param: DecisionTreeModelParam) -> dict[int, HostSplit]:
    out = {}
    for node in param.tree_:
        if node.id not in param.split_maskdict:
            raise ValueError(f"host split node {node.id} has no split value in split_maskdict")
        out[node.id] = HostSplit(node.fid, int(node.bid), param.split_maskdict[node.id])
    return out


@dataclass
class TreeArrays:
    left: np.ndarray
    right: np.ndarray
    fid: np.ndarray
    value: np.ndarray
    weight: np.ndarray
    owner: list[str]

    @property
    def leaf(self) -> np.ndarray:
        return self.left < 0
