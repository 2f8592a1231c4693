import csv

import numpy as np
import pytest

from fate_flow.computing.standalone import StandaloneSession
from fate_flow.computing.storage.standalone import StandaloneStore
from fate_flow.entity.errors import DataError, ParameterError
from fate_flow.entity.task_spec import TableRef
from fate_flow.serde.instance import Instance, SparseVector
from fate_flow.settings import PROJECT_ROOT
from tests.components.harness import run_component, spec, upload_csv

BREAST = PROJECT_ROOT / "examples" / "data" / "breast_hetero_guest.csv"


@pytest.fixture
def store(tmp_path):
    return StandaloneStore(tmp_path / "store")


@pytest.fixture
def session(store):
    s = StandaloneSession(store)
    yield s
    s.stop()


def read(session, ref):
    out, tracker = run_component(spec("Reader", parameters={"table": {"name": ref.name, "namespace": ref.namespace}},
                                      input_data={"table": [ref]}), session)
    return out, tracker


def transform(session, table, schema, module="DataTransform", **params):
    ref = TableRef("job", "reader_out", "STANDALONE", session.keep(table), table.partitions, schema)
    return run_component(spec(module, parameters=params, input_data={"data": [ref]}), session)


def test_reader_copies_an_uploaded_table_and_reports_its_columns(store, session):
    ref = upload_csv(store, BREAST, "experiment", "breast")
    out, tracker = read(session, ref)
    table = out.data["data"]
    assert table.count() == 569 and out.schemas["data"] == {"header": "y,x0,x1,x2,x3,x4,x5,x6,x7,x8,x9", "sid": "id"}
    assert table.stored.path != session.load(ref.address, 4).stored.path, "the reader's output is its own copy"
    meta = tracker.metas[("reader_namespace", "reader_name")]
    assert meta["count"] == 569 and meta["table_name"] == "breast" and meta["storage_engine"] == "STANDALONE"
    assert len(meta["table_info"]["y"].split(",")) == 2


def test_reader_reads_a_registered_file(session, tmp_path):
    path = tmp_path / "f.csv"
    path.write_text("id,a,b\nk1,1,2\nk2,3,4\n")
    ref = TableRef("ns", "file", "FILE", {"path": str(path)}, 2, {"header": "a,b", "sid": "id"}, 2, ",", True, False)
    out, _ = read(session, ref)
    assert sorted(out.data["data"].collect()) == [("k1", "1,2"), ("k2", "3,4")]


def test_reader_without_its_table_names_it(session):
    task = spec("Reader", parameters={"table": {"name": "gone", "namespace": "ns"}})
    with pytest.raises(DataError, match="table ns.gone was not found at guest 9999"):
        run_component(task, session)
    with pytest.raises(ParameterError, match="table.namespace is missing"):
        run_component(spec("Reader", parameters={"table": {"name": "x"}}), session)


def test_dense_with_label_matches_the_csv(store, session):
    ref = upload_csv(store, BREAST)
    reader_out, _ = read(session, ref)
    out, _ = transform(session, reader_out.data["data"], reader_out.schemas["data"], with_label=True,
                       label_name="y", label_type="int")
    rows = dict(out.data["data"].collect())
    with open(BREAST) as f:
        expected = {r[0]: (int(r[1]), [float(x) for x in r[2:]]) for r in list(csv.reader(f))[1:]}
    assert len(rows) == 569
    for key, inst in rows.items():
        assert isinstance(inst, Instance) and inst.label == expected[key][0]
        assert np.allclose(inst.features, expected[key][1])
    assert out.schemas["data"] == {"header": [f"x{i}" for i in range(10)], "sid_name": "id", "label_name": "y"}
    param = out.model["model"]["DataTransformParam"]
    assert list(param.header) == [f"x{i}" for i in range(10)] and param.label_name == "y"
    assert out.model["model"]["DataTransformMeta"].input_format == "dense"


def test_dataio_is_the_same_module_under_its_old_name(store, session):
    ref = upload_csv(store, BREAST)
    reader_out, _ = read(session, ref)
    out, _ = transform(session, reader_out.data["data"], reader_out.schemas["data"], module="DataIO", with_label=True)
    assert out.data["data"].count() == 569


def raw_table(session, rows, header):
    return session.parallelize(rows, 2), {"header": header, "sid": "id"}


def test_missing_values_filled_by_mean_and_outliers_replaced(session):
    table, schema = raw_table(session, [("a", "1,NA,10"), ("b", "0,4,-999"), ("c", "1,8,20")], "y,x0,x1")
    out, _ = transform(session, table, schema, with_label=True, missing_fill=True, missing_fill_method="mean",
                       outlier_replace=True, outlier_impute=["-999"], outlier_replace_method="designated",
                       outlier_replace_value=0)
    rows = dict(out.data["data"].collect())
    assert list(rows["a"].features) == [6.0, 10.0]  # mean of x0 over 4 and 8
    assert list(rows["b"].features) == [4.0, 0.0]
    param = out.model["model"]["DataTransformParam"]
    assert dict(param.missing_replace_value) == {"x0": 6.0, "x1": 15.0} and dict(param.outlier_replace_value) == {
        "x0": 0.0, "x1": 0.0}


def test_missing_value_without_fill_names_row_and_column(session):
    table, schema = raw_table(session, [("a", "1,NA"), ("b", "0,4")], "y,x0")
    with pytest.raises(DataError, match=r"row a: column x0 is missing \('NA'\); set missing_fill"):
        transform(session, table, schema, with_label=True)
    table, schema = raw_table(session, [("a", "1,abc")], "y,x0")
    with pytest.raises(DataError, match="row a: value 'abc' of column x0 is not a number"):
        transform(session, table, schema, with_label=True)
    with pytest.raises(DataError, match="label_name 'label' is not a column"):
        transform(session, table, schema, with_label=True, label_name="label")


def test_sparse_input(session):
    table, schema = raw_table(session, [("a", "1 0:0.5 3:2"), ("b", "0 1:1")], None)
    out, _ = transform(session, table, schema, input_format="sparse", delimitor=" ", with_label=True,
                       output_format="sparse")
    rows = dict(out.data["data"].collect())
    assert rows["a"].features == SparseVector(np.array([0, 3]), np.array([0.5, 2.0]), 4) and rows["a"].label == 1
    assert out.schemas["data"]["header"] == ["0", "1", "2", "3"]


def test_tag_input_with_values_to_dense(session):
    table, schema = raw_table(session, [("a", "red:1 big:2"), ("b", "small:3")], None)
    out, _ = transform(session, table, schema, input_format="tag", delimitor=" ", tag_with_value=True,
                       output_format="dense")
    rows = dict(out.data["data"].collect())
    assert out.schemas["data"]["header"] == ["big", "red", "small"]
    assert list(rows["a"].features) == [2.0, 1.0, 0.0] and list(rows["b"].features) == [0.0, 0.0, 3.0]


@pytest.mark.parametrize("params,message", [
    ({"input_format": "json"}, "parameter input_format must be one of dense, sparse, tag"),
    ({"label_type": "bool"}, "parameter label_type must be one of"),
    ({"missing_fill_method": "median"}, "parameter missing_fill_method must be one of null, designated"),
    ({"with_label": "yes"}, "parameter with_label must be true or false"),
    ({"unknown_knob": 1}, "redundant parameter(s) unknown_knob"),
])
def test_bad_parameters_name_the_field(session, params, message):
    table, schema = raw_table(session, [("a", "1,2")], "y,x0")
    with pytest.raises(ParameterError) as e:
        transform(session, table, schema, **params)
    assert message in e.value.message


def test_predict_mode_reads_new_rows_with_the_trained_replacements(session, tmp_path):
    """Missing values of predict data are filled with the training data's column means, not their own."""
    def table_of(rows, name):
        t = session.parallelize(rows, 2)
        return TableRef("job", name, "STANDALONE", session.keep(t), 2, {"header": "y,a,b", "sid": "id"})

    train = table_of([("1", "1,1.0,10"), ("2", "0,3.0,NA"), ("3", "1,NA,30")], "train")
    params = {"with_label": True, "missing_fill": True, "missing_fill_method": "mean"}
    trained, _ = run_component(spec("DataTransform", parameters=params, input_data={"data": [train]}), session)
    model = trained.model["model"]
    assert dict(model["DataTransformParam"].missing_replace_value) == {"a": 2.0, "b": 20.0}
    new = table_of([("7", "0,NA,NA"), ("8", "1,5.0,50")], "new")
    task = spec("DataTransform", parameters=params, input_data={"data": [new]}, input_model={"model": ["dt_0"]},
                output_model=())
    predicted, _ = run_component(task, session, models={"dt_0": model})
    rows = dict(predicted.data["data"].collect())
    assert rows["7"].features.tolist() == [2.0, 20.0] and rows["8"].features.tolist() == [5.0, 50.0]
    assert rows["7"].label == 0

    other = table_of([("9", "1,2.0")], "other")
    other = TableRef("job", "other", "STANDALONE", other.address, 2, {"header": "y,a", "sid": "id"})
    with pytest.raises(DataError, match="not the trained model's"):
        run_component(spec("DataTransform", parameters=params, input_data={"data": [other]},
                           input_model={"model": ["dt_0"]}), session, models={"dt_0": model})
