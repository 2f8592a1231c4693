"""Metrics, output tables and summaries as tasks record them and the tracking API reads them back."""
from fate_flow.services.tracking import records as tracking
from fate_flow.services.tracking.records import TaskRef

TASK = TaskRef("j1", "hetero_lr_0", "j1_hetero_lr_0", 0, "guest", "9999")


def test_metric_points_sorted_by_key_and_meta_rows_merged(db):
    tracking.save_metric_meta(TASK, "train", "loss", {"name": "train", "metric_type": "LOSS"})
    tracking.save_metric_data(TASK, "train", "loss", [(2, 0.5), (0, 0.69), (1, 0.6)])
    tracking.save_metric_meta(TASK, "train", "loss", {"unit_name": "iters", "curve_name": "loss"})
    tracking.save_metric_data(TASK, "validate", "hetero_lr_0", [("auc", 0.98), ("ks", 0.8)])
    data, meta = tracking.metric_data("j1", "hetero_lr_0", "guest", 9999, "train", "loss")
    assert data == [[0, 0.69], [1, 0.6], [2, 0.5]]
    assert meta == {"name": "train", "metric_type": "LOSS", "unit_name": "iters", "curve_name": "loss"}
    assert tracking.metric_names("j1", "hetero_lr_0", "guest", "9999") == {"train": ["loss"],
                                                                          "validate": ["hetero_lr_0"]}
    assert tracking.all_metrics("j1", "hetero_lr_0", "guest", "9999")["validate"]["hetero_lr_0"] == {
        "data": [["auc", 0.98], ["ks", 0.8]], "meta": {}}
    assert tracking.metric_data("j1", "hetero_lr_0", "host", "10000", "train", "loss") == ([], {})


def test_delete_metrics_by_job_and_party(db):
    tracking.save_metric_data(TASK, "train", "loss", [(0, 1.0)])
    other = TaskRef("j1", "hetero_lr_0", "j1_hetero_lr_0", 0, "host", "10000")
    tracking.save_metric_data(other, "train", "loss", [(0, 1.0)])
    assert tracking.delete_metrics("j1", role="host", party_id=10000) == 1
    assert tracking.metric_names("j1", "hetero_lr_0", "guest", "9999") == {"train": ["loss"]}
    assert tracking.metric_names("j1", "hetero_lr_0", "host", "10000") == {}


def test_output_tables_of_the_latest_task_version(db):
    tracking.save_output_table(TASK, "data", "ns0", "t0")
    retried = TaskRef("j1", "hetero_lr_0", "j1_hetero_lr_0", 1, "guest", "9999")
    tracking.save_output_table(retried, "data", "ns1", "t1")
    rows = tracking.output_tables("j1", "hetero_lr_0", "guest", "9999")
    assert [(r.f_data_name, r.f_table_namespace, r.f_table_name) for r in rows] == [("data", "ns1", "t1")]


def test_summary_saved_once_per_task_and_updated_in_place(db):
    tracking.save_summary(TASK, {"iters": 3})
    tracking.save_summary(TASK, {"iters": 4})
    assert tracking.get_summary("j1", "hetero_lr_0", "guest", "9999") == {"iters": 4}
    assert tracking.get_summary("j1", "nothing", "guest", "9999") is None
