"""HeteroFeatureSelection on breast_hetero with the IVs of a real HeteroFeatureBinning run (guest and host over
gRPC with Paillier): IV filters keep exactly the expected columns on both parties, the host learns only which of
its own columns stay, manual/unique/variance filters judge each party's own data, and a prediction keeps the
same columns."""
import numpy as np
import pytest

from fate_flow.components.hetero_feature_selection_params import HeteroFeatureSelectionParams
from fate_flow.computing.standalone import StandaloneSession
from fate_flow.computing.storage.standalone import StandaloneStore
from fate_flow.entity.errors import DataError, ParameterError
from fate_flow.entity.task_spec import TableRef
from fate_flow.serde.instance import Instance
from tests.components.harness import run_component, run_parties, spec
from tests.components.test_hetero_feature_binning import DATA, ROLES, binning_tasks, breast_parties, read_csv

BINNING = "hetero_feature_binning_0"


@pytest.fixture(scope="module")
def binned(tmp_path_factory):
    """breast_hetero as each party holds it, with both parties' binning models."""
    tmp = tmp_path_factory.mktemp("selection")
    sessions, refs, plain = breast_parties(tmp)
    results = run_parties(tmp, binning_tasks(refs, {"encrypt_param": {"key_length": 512}}), sessions=sessions)
    models = {key: {BINNING: out.model["model"]} for key, (out, _) in results.items()}
    guest_param = models["guest", 9999][BINNING]["FeatureBinningParam"]
    ivs = {name: r.iv for name, r in guest_param.binning_result.binning_result.items()}
    host_ivs = {name: r.iv for name, r in guest_param.host_results[0].binning_result.items()}
    yield {"sessions": sessions, "refs": refs, "plain": plain, "models": models, "ivs": ivs, "host_ivs": host_ivs,
           "tmp": tmp}
    for s in sessions.values():
        s.stop()


def select(binned, guest_params, host_params=None, name="hetero_feature_selection_0"):
    refs = binned["refs"]
    tasks = [spec("HeteroFeatureSelection", role, pid, params, {"data": [refs[role]]}, ROLES, name=name,
                  input_model={"isometric_model": [BINNING]})
             for role, pid, params in (("guest", 9999, guest_params),
                                       ("host", 10000, guest_params if host_params is None else host_params))]
    results = run_parties(binned["tmp"], tasks, sessions=binned["sessions"], models=binned["models"])
    return results["guest", 9999][0], results["host", 10000][0]


def kept_header(out):
    return out.schemas["data"]["header"]


def assert_columns(out, plain_x, plain_header, ids):
    """The output rows hold exactly the kept columns of the input, in header order."""
    header = kept_header(out)
    rows = dict(out.data["data"].collect())
    index = [plain_header.index(n) for n in header]
    for k in (0, 17, len(ids) - 1):
        assert np.array_equal(rows[ids[k]].features, plain_x[k, index])


def host_name(j):
    return f"host_10000_{j}"


def test_iv_value_threshold_keeps_the_columns_reaching_it_on_both_parties(binned):
    plain, ivs, host_ivs = binned["plain"], binned["ivs"], binned["host_ivs"]
    threshold = float(np.median(list(ivs.values()) + list(host_ivs.values())))
    guest, host = select(binned, {"filter_methods": ["iv_value_thres"],
                                  "iv_value_param": {"value_threshold": threshold}})
    expected_guest = [n for n in plain["guest_header"] if ivs[n] >= threshold]
    expected_host = [n for j, n in enumerate(plain["host_header"]) if host_ivs[host_name(j)] >= threshold]
    assert 0 < len(expected_guest) < 10 and 0 < len(expected_host) < 20, "the threshold splits both parties"
    assert kept_header(guest) == expected_guest and kept_header(host) == expected_host
    assert_columns(guest, plain["guest_x"], plain["guest_header"], plain["guest_ids"])
    assert_columns(host, plain["host_x"], plain["host_header"], plain["host_ids"])

    param = guest.model["model"]["FeatureSelectionParam"]
    assert sorted(n for n, left in param.final_left_cols.left_cols.items() if left) == sorted(expected_guest)
    [result] = param.results
    assert result.filter_name == "iv_value_thres"
    assert dict(result.feature_values) == pytest.approx(ivs)
    assert dict(result.host_feature_values[0].feature_values) == pytest.approx(host_ivs)
    assert sorted(result.host_left_cols[0].left_cols) == sorted(host_name(plain["host_header"].index(n))
                                                                for n in expected_host)
    assert param.host_col_names[0].party_id == "10000"
    host_param = host.model["model"]["FeatureSelectionParam"]
    assert not host_param.results[0].feature_values, "the host never sees IVs"
    assert list(host_param.host_col_names[0].col_names) == [host_name(j) for j in range(20)]
    assert guest.summary["iv_value_thres"]["left_col_names"] == expected_guest

    # its own threshold for the host; the guest's columns are judged as before
    guest2, host2 = select(binned, {"filter_methods": ["iv_value_thres"], "iv_value_param": {
        "value_threshold": threshold, "host_thresholds": [0.0]}}, name="hetero_feature_selection_1")
    assert kept_header(guest2) == expected_guest and kept_header(host2) == plain["host_header"]


def test_iv_top_k_and_percentile_rank_guest_and_host_columns_together(binned):
    plain, ivs, host_ivs = binned["plain"], binned["ivs"], binned["host_ivs"]
    pooled = sorted([(v, "guest", n) for n, v in ivs.items()] +
                    [(v, "host", plain["host_header"][int(n.rsplit("_", 1)[1])]) for n, v in host_ivs.items()],
                    key=lambda t: -t[0])
    for k, params in ((7, {"filter_methods": ["iv_top_k"], "iv_top_k_param": {"k": 7}}),
                      (15, {"filter_methods": ["iv_filter"],
                            "iv_param": {"filter_type": "top_percentile", "threshold": 0.5}})):
        top = pooled[:k]
        guest, host = select(binned, params, name=f"hetero_feature_selection_top{k}")
        expected_guest = [n for n in plain["guest_header"] if ("guest", n) in {(p, c) for _, p, c in top}]
        expected_host = [n for n in plain["host_header"] if ("host", n) in {(p, c) for _, p, c in top}]
        # a party left with nothing keeps its best column (FATE's keep-one rule)
        expected_guest = expected_guest or [max(ivs, key=ivs.get)]
        expected_host = expected_host or [plain["host_header"][int(max(host_ivs, key=host_ivs.get).rsplit("_")[-1])]]
        assert kept_header(guest) == expected_guest and kept_header(host) == expected_host, k


def test_local_only_iv_filter_leaves_the_host_alone(binned):
    plain, ivs = binned["plain"], binned["ivs"]
    guest, host = select(binned, {"filter_methods": ["iv_top_k"], "iv_top_k_param": {"k": 3, "local_only": True}})
    assert kept_header(guest) == [n for n in plain["guest_header"] if n in sorted(ivs, key=ivs.get)[-3:]]
    assert kept_header(host) == plain["host_header"]
    assert not guest.model["model"]["FeatureSelectionParam"].results[0].host_feature_values


def test_filters_run_in_order_on_the_chosen_columns_and_prediction_keeps_them(binned):
    plain, ivs, host_ivs = binned["plain"], binned["ivs"], binned["host_ivs"]
    judged = ["x0", "x2", "x3", "x4", "x5"]  # chosen (indexes 0..5) and kept by the manual filter
    threshold = sorted(ivs[n] for n in judged)[2]
    guest_params = {"filter_methods": ["manually", "iv_value_thres"], "select_col_indexes": [0, 1, 2, 3, 4, 5],
                    "manually_param": {"filter_out_names": ["x1"]}, "iv_value_param": {"value_threshold": threshold}}
    host_params = {"filter_methods": ["manually", "iv_value_thres"],
                   "manually_param": {"left_col_indexes": [0, 2, 4, 19]}}
    guest, host = select(binned, guest_params, host_params)
    assert kept_header(guest) == [n for n in plain["guest_header"]
                                  if n in ("x6", "x7", "x8", "x9") or (n in judged and ivs[n] >= threshold)]
    assert len(kept_header(guest)) == 7
    host_kept = [f"x{j}" for j in (0, 2, 4, 19) if host_ivs[host_name(j)] >= threshold]
    assert kept_header(host) == (host_kept or [f"x{max((0, 2, 4, 19), key=lambda j: host_ivs[host_name(j)])}"])
    param = guest.model["model"]["FeatureSelectionParam"]
    assert [r.filter_name for r in param.results] == ["manually", "iv_value_thres"]
    assert sorted(param.results[1].feature_values) == ["x0", "x2", "x3", "x4", "x5"], \
        "the second filter judges only chosen columns the first one kept"
    assert guest.summary["manually"] == {"last_col_nums": 10, "left_col_nums": 5,
                                         "left_col_names": ["x0", "x2", "x3", "x4", "x5"]}
    assert sorted(param.results[1].host_feature_values[0].feature_values) == sorted(host_name(j) for j in (0, 2, 4, 19))
    assert list(guest.model["model"]["FeatureSelectionMeta"].filter_methods) == ["manually", "iv_value_thres"]

    for role, pid, out in (("guest", 9999, guest), ("host", 10000, host)):
        task = spec("HeteroFeatureSelection", role, pid, {}, {"data": [binned["refs"][role]]}, ROLES,
                    input_model={"model": ["hetero_feature_selection_0"]}, name="hetero_feature_selection_2")
        predicted, _ = run_component(task, binned["sessions"][role, pid],
                                     models={"hetero_feature_selection_0": out.model["model"]})
        assert kept_header(predicted) == kept_header(out)
        assert dict(predicted.data["data"].collect()) == dict(out.data["data"].collect())


@pytest.fixture(scope="module")
def guest_x():
    _, rows = read_csv(DATA / "breast_hetero_guest.csv")
    return np.array([[float(v) for v in r[2:]] for r in rows])


@pytest.fixture
def session(tmp_path):
    s = StandaloneSession(StandaloneStore(tmp_path / "store"))
    yield s
    s.stop()


def local_ref(session, x, header):
    table = session.parallelize(((f"r{i}", Instance(row.copy(), label=i % 2)) for i, row in enumerate(x)), 2)
    return TableRef("job", "data_transform_0", "STANDALONE", session.keep(table), table.partitions,
                    {"header": header, "sid_name": "id", "label_name": "y"})


def run_local(session, ref, params):
    return run_component(spec("HeteroFeatureSelection", "guest", 9999, params, {"data": [ref]}, ROLES), session)[0]


def test_unique_value_drops_a_constant_column(session, guest_x):
    x = guest_x[:, :4].copy()
    x[:, 2] = 3.5
    out = run_local(session, local_ref(session, x, ["a", "b", "c", "d"]), {"filter_methods": ["unique_value"]})
    assert kept_header(out) == ["a", "b", "d"]
    values = out.model["model"]["FeatureSelectionParam"].results[0].feature_values
    assert values["c"] == 0 and values["a"] == pytest.approx(x[:, 0].max() - x[:, 0].min())


def test_variance_threshold_keeps_columns_with_a_large_coefficient_of_variation(session, guest_x):
    x = guest_x[:, :6] + np.array([0.0, 5.0, 50.0, 0.5, 2.0, 10.0])
    cv = np.abs(x.std(axis=0) / x.mean(axis=0))
    threshold = 0.4
    header = [f"f{j}" for j in range(6)]
    out = run_local(session, local_ref(session, x, header), {
        "filter_methods": ["coefficient_of_variation_value_thres"], "variance_coe_param": {"value_threshold": 0.4}})
    assert kept_header(out) == [h for h, c in zip(header, cv) if c >= threshold]
    assert 0 < len(kept_header(out)) < 6
    values = out.model["model"]["FeatureSelectionParam"].results[0].feature_values
    assert [values[h] for h in header] == pytest.approx(cv.tolist(), rel=1e-9)


def test_outlier_and_percentage_value_filters(session):
    x = np.column_stack([np.arange(100.0), np.r_[np.zeros(70), np.arange(30.0)], np.linspace(0, 1, 100)])
    ref = local_ref(session, x, ["wide", "mostly_zero", "unit"])
    out = run_local(session, ref, {"filter_methods": ["outlier_cols"],
                                   "outlier_param": {"percentile": 0.9, "upper_threshold": 20}})
    assert kept_header(out) == ["mostly_zero", "unit"]  # 90% quantiles: 89, 19, 0.9
    out = run_local(session, ref, {"filter_methods": ["percentage_value"], "percentage_value_param": {"upper_pct": 0.5}})
    assert kept_header(out) == ["wide", "unit"]


def test_bad_parameters_and_missing_binning_model(session, guest_x):
    def refused(message, **params):
        with pytest.raises(ParameterError, match=message):
            HeteroFeatureSelectionParams.from_dict(params, "selection_0")

    refused("filter_methods: statistic_filter needs a DataStatistics model", filter_methods=["statistic_filter"])
    refused("filter_methods: unknown filter 'best_cols'", filter_methods=["best_cols"])
    refused("parameter iv_top_k_param.k must be a positive integer, got 0", iv_top_k_param={"k": 0})
    refused("parameter iv_percentile_param.percentile_threshold must be between 0 and 1",
            iv_percentile_param={"percentile_threshold": 2})
    refused("left_col_indexes/left_col_names cannot be used together with filter_out",
            manually_param={"filter_out_names": ["x0"], "left_col_names": ["x1"]})
    refused("parameter iv_param.filter_type must be one of threshold, top_k, top_percentile",
            iv_param={"filter_type": "best"})
    refused("parameter iv_param.take_high must be true", iv_param={"take_high": False})
    refused("parameter percentage_value_param.upper_pct must be between 0.1 and 1",
            percentage_value_param={"upper_pct": 0.05})
    refused(r"parameter unique_param: redundant parameter\(s\) epsilon", unique_param={"epsilon": 1})
    ref = local_ref(session, guest_x[:, :3], ["a", "b", "c"])
    with pytest.raises(DataError, match="IV filters need the HeteroFeatureBinning model as isometric_model"):
        run_local(session, ref, {"filter_methods": ["iv_value_thres"]})
    with pytest.raises(ParameterError, match="filter_out_names lists column 'zz'"):
        run_local(session, ref, {"manually_param": {"filter_out_names": ["zz"]}})
