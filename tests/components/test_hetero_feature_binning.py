"""HeteroFeatureBinning on breast_hetero over a real gRPC data plane with real Paillier: the guest's WOE/IV of its
own and of the host's features equal a plaintext numpy computation on the joined data; the host's outputs hold
nothing derived from labels; predictions transform like training; bad parameters are refused."""
import csv
import math

import numpy as np
import pytest

from fate_flow.components.hetero_feature_binning import HeteroFeatureBinningParams
from fate_flow.computing.standalone import StandaloneSession
from fate_flow.computing.storage.standalone import StandaloneStore
from fate_flow.entity.errors import DataError, ParameterError
from fate_flow.settings import PROJECT_ROOT
from tests.components.harness import feature_table, run_component, run_parties, spec

DATA = PROJECT_ROOT / "examples" / "data"
GUEST_ROWS = 540  # the guest lacks the host's last 29 rows: host splits use all host rows, IVs the shared ones
ROLES = {"guest": [9999], "host": [10000]}


def read_csv(path):
    with open(path) as f:
        rows = list(csv.reader(f))
    return rows[0], rows[1:]


def breast_parties(tmp_path):
    """Guest and host sessions holding breast_hetero as DataTransform makes it, plus the plain arrays."""
    head, rows = read_csv(DATA / "breast_hetero_guest.csv")
    guest_csv = tmp_path / "guest.csv"
    with open(guest_csv, "w", newline="") as f:
        csv.writer(f).writerows([head] + rows[:GUEST_ROWS])
    sessions = {("guest", 9999): StandaloneSession(StandaloneStore(tmp_path / "guest_store")),
                ("host", 10000): StandaloneSession(StandaloneStore(tmp_path / "host_store"))}
    refs = {"guest": feature_table(sessions["guest", 9999], guest_csv, True, "guest"),
            "host": feature_table(sessions["host", 10000], DATA / "breast_hetero_host.csv", False, "host")}
    host_head, host_rows = read_csv(DATA / "breast_hetero_host.csv")
    plain = {"guest_ids": [r[0] for r in rows[:GUEST_ROWS]], "y": np.array([int(r[1]) for r in rows[:GUEST_ROWS]]),
             "guest_x": np.array([[float(v) for v in r[2:]] for r in rows[:GUEST_ROWS]]),
             "host_ids": [r[0] for r in host_rows], "host_x": np.array([[float(v) for v in r[1:]] for r in host_rows]),
             "guest_header": head[2:], "host_header": host_head[1:]}
    return sessions, refs, plain


def binning_tasks(refs, guest_params, host_params=None, name="hetero_feature_binning_0"):
    return [spec("HeteroFeatureBinning", "guest", 9999, guest_params, {"data": [refs["guest"]]}, ROLES, name=name),
            spec("HeteroFeatureBinning", "host", 10000, host_params if host_params is not None else guest_params,
                 {"data": [refs["host"]]}, ROLES, name=name)]


def reference_splits(column, bin_num):
    """Quantile split points the plain way: numpy's inverted-CDF quantiles, duplicates dropped."""
    points = [float(np.quantile(column, i / bin_num, method="inverted_cdf")) for i in range(1, bin_num)]
    return sorted(set(points + [float(column.max())]))


def reference_woe_iv(bins, y, n_bins, adjustment=0.5):
    events = np.array([int(np.sum(y[bins == b])) for b in range(n_bins)])
    non_events = np.array([int(np.sum(bins == b)) for b in range(n_bins)]) - events
    e_total, n_total = max(events.sum(), 1), max(non_events.sum(), 1)
    woe, iv = [], []
    for e, n in zip(events, non_events):
        shift = adjustment if e == 0 or n == 0 else 0.0
        e_rate, n_rate = (e + shift) / e_total, (n + shift) / n_total
        woe.append(math.log(e_rate / n_rate))
        iv.append((e_rate - n_rate) * woe[-1])
    return events, non_events, np.array(woe), float(sum(iv))


def assign(column, splits):
    return np.array([next((k for k, s in enumerate(splits[:-1]) if v <= s), len(splits) - 1) for v in column])


def assert_matches(result, bins, y, n_bins):
    events, non_events, woe, iv = reference_woe_iv(bins, y, n_bins)
    assert list(result.event_count_array) == events.tolist()
    assert list(result.non_event_count_array) == non_events.tolist()
    assert list(result.count_array) == (events + non_events).tolist()
    assert np.allclose(result.woe_array, woe, rtol=0, atol=1e-6)
    assert result.iv == pytest.approx(iv, abs=1e-6)


@pytest.fixture
def parties(tmp_path):
    sessions, refs, plain = breast_parties(tmp_path)
    yield sessions, refs, plain
    for s in sessions.values():
        s.stop()


def test_guest_learns_woe_and_iv_of_its_and_the_hosts_features(tmp_path, parties):
    sessions, refs, plain = parties
    params = {"bin_num": 8, "encrypt_param": {"method": "paillier", "key_length": 1024}}
    results = run_parties(tmp_path, binning_tasks(refs, params), sessions=sessions)
    guest_out, _ = results["guest", 9999]
    host_out, _ = results["host", 10000]
    y = plain["y"]
    guest_param = guest_out.model["model"]["FeatureBinningParam"]

    for j, name in enumerate(plain["guest_header"]):
        column = plain["guest_x"][:, j]
        splits = reference_splits(column, 8)
        result = guest_param.binning_result.binning_result[name]
        assert list(result.split_points) == splits
        assert_matches(result, assign(column, splits), y, len(splits))

    [host_result] = guest_param.host_results
    assert (host_result.role, host_result.party_id) == ("host", "10000")
    assert sorted(host_result.binning_result) == sorted(f"host_10000_{j}" for j in range(20))
    shared = [plain["host_ids"].index(i) for i in plain["guest_ids"]]
    host_param = host_out.model["model"]["FeatureBinningParam"]
    for j, name in enumerate(plain["host_header"]):
        splits = reference_splits(plain["host_x"][:, j], 8)  # the host's splits come from all its rows
        assert list(host_param.binning_result.binning_result[name].split_points) == splits
        result = host_result.binning_result[f"host_10000_{j}"]
        assert not result.split_points, "the guest never learns host split points"
        assert_matches(result, assign(plain["host_x"][shared, j], splits), y, len(splits))

    # the host keeps nothing derived from labels
    for result in host_param.binning_result.binning_result.values():
        assert not (result.woe_array or result.iv_array or result.event_count_array or result.non_event_count_array)
        assert result.iv == 0
    assert list(host_param.header_anonymous) == [f"host_10000_{j}" for j in range(20)]
    assert set(host_out.summary) == {"split_points"} and not host_param.host_results

    ivs = guest_out.summary["iv"]
    assert [v for _, v in ivs] == sorted((v for _, v in ivs), reverse=True) and len(ivs) == 30
    assert dict(ivs)["host_10000_3"] == pytest.approx(host_result.binning_result["host_10000_3"].iv)

    # the default transform replaces each value by its bin index, on both parties
    guest_rows = dict(guest_out.data["data"].collect())
    splits0 = reference_splits(plain["guest_x"][:, 0], 8)
    assert [guest_rows[i].features[0] for i in plain["guest_ids"]] == assign(plain["guest_x"][:, 0], splits0).tolist()
    assert guest_rows[plain["guest_ids"][0]].label == y[0]
    host_rows = dict(host_out.data["data"].collect())
    splits5 = reference_splits(plain["host_x"][:, 5], 8)
    assert [host_rows[i].features[5] for i in plain["host_ids"]] == assign(plain["host_x"][:, 5], splits5).tolist()
    assert guest_out.schemas["data"]["header"] == plain["guest_header"]


def test_woe_transform_and_prediction_transform_like_training(tmp_path, parties):
    sessions, refs, plain = parties
    params = {"transform_param": {"transform_type": "woe"}, "encrypt_param": {"key_length": 512}}
    trained = run_parties(tmp_path, binning_tasks(refs, params), sessions=sessions)
    guest_out, _ = trained["guest", 9999]
    guest_param = guest_out.model["model"]["FeatureBinningParam"]
    rows = dict(guest_out.data["data"].collect())
    for j, name in enumerate(plain["guest_header"]):
        result = guest_param.binning_result.binning_result[name]
        bins = assign(plain["guest_x"][:, j], list(result.split_points))
        assert [rows[i].features[j] for i in plain["guest_ids"]] == [result.woe_array[b] for b in bins]
    host_out, _ = trained["host", 10000]
    host_rows = dict(host_out.data["data"].collect())
    assert np.array_equal(host_rows[plain["host_ids"][7]].features, plain["host_x"][7]), \
        "a host has no WOE: its data passes through"

    for role, pid in (("guest", 9999), ("host", 10000)):
        out, _ = trained[role, pid]
        task = spec("HeteroFeatureBinning", role, pid, params, {"data": [refs[role]]}, ROLES,
                    input_model={"model": ["hetero_feature_binning_0"]}, name="hetero_feature_binning_1")
        predicted, _ = run_component(task, sessions[role, pid], models={"hetero_feature_binning_0": out.model["model"]})
        assert dict(predicted.data["data"].collect()) == dict(out.data["data"].collect()), role
        assert predicted.model["model"]["FeatureBinningParam"] == out.model["model"]["FeatureBinningParam"]


def test_bucket_bins_category_columns_and_chosen_transform_columns_locally(tmp_path, parties):
    sessions, refs, plain = parties
    guest = sessions["guest", 9999]
    x, y = plain["guest_x"], plain["y"]
    params = {"method": "bucket", "bin_num": 5, "bin_indexes": [0, 1], "bin_names": ["x4"], "local_only": True,
              "category_indexes": [9], "transform_param": {"transform_cols": [1, 9]}, "adjustment_factor": 0.3}
    out, _ = run_component(spec("HeteroFeatureBinning", "guest", 9999, params, {"data": [refs["guest"]]}, ROLES),
                           guest)
    param = out.model["model"]["FeatureBinningParam"]
    assert sorted(param.binning_result.binning_result) == ["x0", "x1", "x4", "x9"] and not param.host_results
    for j in (0, 1, 4):
        low, high = x[:, j].min(), x[:, j].max()
        expected = [low + (k + 1) * (high - low) / 5 for k in range(4)] + [high]
        result = param.binning_result.binning_result[f"x{j}"]
        assert np.allclose(result.split_points, expected, rtol=0, atol=1e-12)
        bins = np.searchsorted(np.array(expected[:-1]), x[:, j], side="left")
        events = np.array([y[bins == b].sum() for b in range(5)])
        assert list(result.event_count_array) == events.tolist()
    category = param.binning_result.binning_result["x9"]
    assert list(category.split_points) == sorted(set(x[:, 9].tolist()))
    meta = out.model["model"]["FeatureBinningMeta"]
    assert list(meta.cols) == ["x0", "x1", "x4", "x9"] and list(meta.transform_param.transform_cols) == [1, 9]
    rows = dict(out.data["data"].collect())
    first = rows[plain["guest_ids"][0]].features
    assert first[0] == x[0, 0] and first[4] == x[0, 4], "columns not in transform_cols keep their values"
    assert first[9] == sorted(set(x[:, 9].tolist())).index(x[0, 9]), "each category value is its own bin"


def test_skip_static_gives_split_points_only_without_exchange(tmp_path, parties):
    sessions, refs, plain = parties
    for role, pid in (("guest", 9999), ("host", 10000)):
        out, _ = run_component(spec("HeteroFeatureBinning", role, pid, {"skip_static": True, "bin_num": 4},
                                    {"data": [refs[role]]}, ROLES), sessions[role, pid])
        param = out.model["model"]["FeatureBinningParam"]
        x = plain[f"{role}_x"]
        assert list(param.binning_result.binning_result["x2"].split_points) == reference_splits(x[:, 2], 4)
        assert not any(r.woe_array for r in param.binning_result.binning_result.values())
        assert set(out.summary) == {"split_points"}


def test_bad_parameters_and_data(tmp_path, parties):
    def refused(message, **params):
        with pytest.raises(ParameterError, match=message):
            HeteroFeatureBinningParams.from_dict(params, "binning_0")

    refused("parameter method must be one of quantile, bucket", method="chi2")
    refused("optimal binning is not supported", method="optimal")
    refused("parameter bin_num must be a positive integer, got 0", bin_num=0)
    refused(r"parameter adjustment_factor must be between 0 and 1 \(exclusive\), got 1.0", adjustment_factor=1)
    refused("parameter transform_param.transform_type must be one of bin_num, woe or null",
            transform_param={"transform_type": "onehot"})
    refused(r"parameter transform_param: redundant parameter\(s\) cols", transform_param={"cols": [1]})
    refused("parameter encrypt_param.method must be Paillier", encrypt_param={"method": "RSA"})
    refused("parameter encrypt_param.key_length must be an even number of bits, at least 256, got 100",
            encrypt_param={"key_length": 100})
    refused("woe needs the WOE values, which skip_static leaves out", skip_static=True,
            transform_param={"transform_type": "woe"})
    refused("parameter bin_indexes must be -1 or a list", bin_indexes="all")
    sessions, refs, _ = parties
    guest = sessions["guest", 9999]
    with pytest.raises(ParameterError, match="bin_indexes lists column index 12, but the input has 10 columns"):
        run_component(spec("HeteroFeatureBinning", "guest", 9999, {"bin_indexes": [12], "local_only": True},
                           {"data": [refs["guest"]]}, ROLES), guest)
    with pytest.raises(ParameterError, match="transform_param names column.* x3 that are not binned"):
        run_component(spec("HeteroFeatureBinning", "guest", 9999, {"bin_indexes": [0], "local_only": True,
                                                                  "transform_param": {"transform_cols": [3]}},
                           {"data": [refs["guest"]]}, ROLES), guest)
    with pytest.raises(DataError, match="the guest's data has no labels"):
        run_component(spec("HeteroFeatureBinning", "guest", 9999, {"local_only": True}, {"data": [refs["host"]]},
                           ROLES), sessions["host", 10000])
