import numpy as np

from fate_flow.serde.instance import Instance, SparseVector
from fate_flow.serde.rows import render_header, render_row


def test_instances_strings_and_lists():
    assert render_row("id1", Instance(np.array([0.5, -1.0]), label=1)) == ["id1", 1, 0.5, -1.0]
    assert render_row("id2", Instance(SparseVector(np.array([1]), np.array([2.0]), 3), label=0, weight=0.5)) == [
        "id2", 0, 0.0, 2.0, 0.0, 0.5]
    assert render_row("k", "1,0.25,x") == ["k", "1", "0.25", "x"]
    assert render_row(7, [1, "0.9", 0.93, {"0": 0.07}, "train"]) == [7, 1, "0.9", 0.93, {"0": 0.07}, "train"]
    assert render_row(np.int64(3), np.float64(1.5)) == [3, 1.5]


def test_headers():
    assert render_header({"header": "y,x0", "sid": "id"}, "1,0.5") == ["id", "y", "x0"]
    schema = {"header": ["x0", "x1"], "sid_name": "id", "label_name": "y"}
    assert render_header(schema, Instance(np.zeros(2), label=1)) == ["id", "y", "x0", "x1"]
    assert render_header(schema, Instance(np.zeros(2), weight=2.0)) == ["id", "x0", "x1", "weight"]
    assert render_header(None) == ["sid"]
