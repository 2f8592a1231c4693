"""HeteroSecureBoost over real gRPC sites with real Paillier: the federated trees against the same algorithm run on
the joined plaintext data (binary, multi-class, regression, two hosts, complete_secure), predict mode against the
training output, what crosses the data plane while training, the model buffers, and refused input."""
import csv

import numpy as np
import pytest
from sklearn.metrics import roc_auc_score

from fate_flow.components.secureboost.binning import bin_features
from fate_flow.components.secureboost.params import HeteroSecureBoostParams
from fate_flow.computing.standalone import StandaloneSession
from fate_flow.computing.storage.standalone import StandaloneStore
from fate_flow.entity.errors import ParameterError
from fate_flow.federation.data_plane import FederationSession
from fate_flow.secure.paillier import EncryptedVector, PaillierPublicKey
from fate_flow.computing.storage.standalone import ENGINE
from fate_flow.entity.task_spec import TableRef
from tests.components.harness import run_component, run_parties, spec, upload_csv

DATA = __import__("pathlib").Path(__file__).resolve().parents[2] / "examples" / "data"
ROLES = {"guest": [9999], "host": [10000]}
MODULE = "HeteroSecureBoost"


def read_csv(path):
    with open(path) as f:
        rows = list(csv.reader(f))
    return rows[0], {r[0]: r[1:] for r in rows[1:]}


def write_csv(path, header, rows):
    with open(path, "w", newline="") as f:
        csv.writer(f).writerows([header, *rows])
    return path


def sessions_for(tmp_path, roles):
    return {(role, pid): StandaloneSession(StandaloneStore(tmp_path / f"{role}_{pid}"))
            for role, pids in roles.items() for pid in pids}


def feature_table(session, path, with_label, name, label_type="int"):
    """A CSV as DataTransform makes it (id -> Instance), kept in `session`."""
    raw = upload_csv(session.store, path, "raw", name)
    task = spec("DataTransform", parameters={"with_label": with_label, "label_name": "y", "label_type": label_type,
                                             "output_format": "dense"},
                input_data={"data": [raw]}, name=f"{name}_transform")
    out, _ = run_component(task, session)
    table = out.data["data"]
    return TableRef("features", name, ENGINE, session.keep(table), table.partitions, out.schemas["data"],
                    table.count())


def renamed(path, tmp_path):
    """The same rows under ids prefixed with "v" (validate data that does not collide with the train rows)."""
    header, rows = read_csv(path)
    return write_csv(tmp_path / f"v_{path.name}", header, [[f"v{k}", *v] for k, v in rows.items()])


def sbt_tasks(tmp_path, guest_csv, host_csvs, params, roles=ROLES, job_id="job_sbt", validate=False):
    sessions = sessions_for(tmp_path, roles)
    tasks = []
    for role, pid, path in [("guest", roles["guest"][0], guest_csv), *zip(["host"] * len(host_csvs), roles["host"],
                                                                          host_csvs)]:
        label_type = "float" if params.get("task_type") == "regression" else "int"
        table = feature_table(sessions[(role, pid)], path, role == "guest", f"{role}{pid}", label_type)
        data = {"train_data": [table]}
        if validate:
            data["validate_data"] = [feature_table(sessions[(role, pid)], renamed(path, tmp_path), role == "guest",
                                                   f"v{role}{pid}", label_type)]
        tasks.append(spec(MODULE, role=role, party_id=pid, parameters=params, roles=roles, job_id=job_id,
                          input_data=data))
    return tasks, sessions


def run(tmp_path, tasks, sessions, **kwargs):
    return run_parties(tmp_path, tasks, sessions=sessions, **{"get_timeout": 120.0, **kwargs})


def joined(guest_csv, host_csvs):
    """Rows in id order: guest features, each host's features, labels."""
    _, guest = read_csv(guest_csv)
    hosts = [read_csv(h)[1] for h in host_csvs]
    ids = sorted(guest)
    y = np.array([float(guest[i][0]) for i in ids])
    xg = np.array([[float(v) for v in guest[i][1:]] for i in ids])
    return ids, xg, [np.array([[float(v) for v in h[i]] for i in ids]) for h in hosts], y


def output_rows(output):
    rows = sorted(output.data["data"].collect(), key=lambda kv: str(kv[0]))
    return [k for k, _ in rows], [v for _, v in rows]


# ------------------------------------------------------------------------------------------ plaintext reference
def plaintext_boosting(x, y, params, kind):
    """The same algorithm on the joined plaintext data: quantile bins per feature, level-wise trees with the
    xgboost gain, all candidates of all features; returns the raw scores (rows, tree_dim)."""
    p = HeteroSecureBoostParams.from_dict(params)
    tp = p.tree
    binned = bin_features(x, p.bin_num, p.binning_error)
    bins, counts = binned.bins, binned.bin_counts
    n = len(y)
    classes = int(y.max()) + 1 if kind == "multi" else 1
    score = np.full((n, classes), y.mean() if kind == "regression" else 0.0)
    for _ in range(p.num_trees):
        if kind == "regression":
            g, h = 2 * (score - y[:, None]), np.full_like(score, 2.0)
        elif kind == "binary":
            prob = 1 / (1 + np.exp(-score))
            g, h = prob - y[:, None], prob * (1 - prob)
        else:
            e = np.exp(score - score.max(axis=1, keepdims=True))
            prob = e / e.sum(axis=1, keepdims=True)
            g, h = prob - np.eye(classes)[y.astype(int)], 2 * prob * (1 - prob)
        for c in range(classes):
            node, weights, level, next_id = np.zeros(n, int), {}, [0], 1
            for _depth in range(tp.max_depth):
                children = []
                for nid in level:
                    rows = node == nid
                    G, H, C = g[rows, c].sum(), h[rows, c].sum(), rows.sum()
                    if C < max(tp.min_sample_split, 2 * tp.min_leaf_node):
                        continue
                    best = (tp.min_impurity_split, None)
                    for j in range(x.shape[1]):
                        cg = np.cumsum(np.bincount(bins[rows, j], g[rows, c], counts[j]))[:-1]
                        ch = np.cumsum(np.bincount(bins[rows, j], h[rows, c], counts[j]))[:-1]
                        cc = np.cumsum(np.bincount(bins[rows, j], None, counts[j]))[:-1]
                        gain = cg ** 2 / (ch + tp.l2) + (G - cg) ** 2 / (H - ch + tp.l2) - G ** 2 / (H + tp.l2)
                        gain[(cc < tp.min_leaf_node) | (C - cc < tp.min_leaf_node)] = -np.inf
                        if len(gain) and gain.max() > best[0]:
                            best = (gain.max(), (j, int(np.argmax(gain))))
                    if best[1] is None:
                        continue
                    j, k = best[1]
                    left = rows & (bins[:, j] <= k)
                    node[left], node[rows & ~left] = next_id, next_id + 1
                    children += [next_id, next_id + 1]
                    next_id += 2
                level = children
            for nid in np.unique(node):
                rows = node == nid
                weights[nid] = -g[rows, c].sum() / (h[rows, c].sum() + tp.l2)
            score[:, c] += p.learning_rate * np.array([weights[i] for i in node])
    return score


# ------------------------------------------------------------------------------------------ tests
def test_breast_trees_match_the_plaintext_algorithm(tmp_path):
    guest_csv, host_csv = DATA / "breast_hetero_guest.csv", DATA / "breast_hetero_host.csv"
    params = {"num_trees": 5}
    tasks, sessions = sbt_tasks(tmp_path, guest_csv, [host_csv], params)
    results = run(tmp_path, tasks, sessions)
    guest_out, guest_tracker = results[("guest", 9999)]
    host_out, _ = results[("host", 10000)]
    ids, xg, (xh,), y = joined(guest_csv, [host_csv])
    out_ids, rows = output_rows(guest_out)
    assert out_ids == ids and "data" not in host_out.data, "only the guest writes predictions"
    probability = np.array([r[2] for r in rows])
    expected = 1 / (1 + np.exp(-plaintext_boosting(np.hstack([xg, xh]), y, params, "binary")[:, 0]))
    np.testing.assert_allclose(probability, expected, atol=1e-9)
    auc = roc_auc_score(y, probability)
    assert auc >= 0.9955, auc
    assert [r[0] for r in rows] == [int(v) for v in y] and {r[4] for r in rows} == {"train"}
    assert all(r[1] == (1 if r[2] >= 0.5 else 0) for r in rows)

    losses = [v for _, v in guest_tracker.data[("train", "loss")]]
    assert len(losses) == 5 and losses == sorted(losses, reverse=True)
    assert guest_tracker.metas[("train", "loss")]["metric_type"] == "LOSS"

    guest_param = guest_out.model["model"]["HeteroSecureBoostingTreeGuestParam"]
    guest_meta = guest_out.model["model"]["HeteroSecureBoostingTreeGuestMeta"]
    host_param = host_out.model["model"]["HeteroSecureBoostingTreeHostParam"]
    assert guest_param.tree_num == 5 and len(guest_param.trees_) == 5 and list(guest_param.classes_) == ["0", "1"]
    assert guest_meta.learning_rate == 0.3 and guest_meta.tree_meta.max_depth == 3 and guest_meta.module == MODULE
    host_nodes = [n for t in guest_param.trees_ for n in t.tree_ if n.sitename == "host:10000"]
    assert host_nodes and all(n.fid == -1 and n.bid == 0 for n in host_nodes), "the guest knows no host split"
    host_owned = [(i, n.id) for i, t in enumerate(host_param.trees_) for n in t.tree_]
    assert sorted(host_owned) == sorted((i, n.id) for i, t in enumerate(guest_param.trees_) for n in t.tree_
                                        if n.sitename == "host:10000")
    for tree in host_param.trees_:
        for node in tree.tree_:
            assert node.weight == 0 and node.id in tree.split_maskdict and 0 <= node.fid < 20
    importance = {(f.sitename, f.fullname): f.importance for f in guest_param.feature_importances}
    assert importance[("host:10000", "host_10000")] == len(host_nodes)
    assert sum(f.importance for f in host_param.feature_importances) == len(host_nodes)


def test_predict_mode_scores_rows_as_training_did(tmp_path):
    guest_csv, host_csv = DATA / "breast_hetero_guest.csv", DATA / "breast_hetero_host.csv"
    params = {"num_trees": 3, "tree_param": {"max_depth": 4}}
    tasks, sessions = sbt_tasks(tmp_path, guest_csv, [host_csv], params, job_id="job_train")
    trained = run(tmp_path, tasks, sessions)
    models = {key: {"hetero_secureboost_0": out.model["model"]} for key, (out, _) in trained.items()}
    predict = [spec(MODULE, role=t.role, party_id=t.party_id, parameters=params, roles=ROLES, job_id="job_predict",
                    input_data={"data": t.input_data["train_data"]}, input_model={"model": ["hetero_secureboost_0"]},
                    output_model=()) for t in tasks]
    predicted = run(tmp_path, predict, sessions, models=models)
    train_ids, train_rows = output_rows(trained[("guest", 9999)][0])
    ids, rows = output_rows(predicted[("guest", 9999)][0])
    assert ids == train_ids
    assert [r[2] for r in rows] == [r[2] for r in train_rows], "the same scores, to the last bit"
    assert {r[4] for r in rows} == {"test"} and not predicted[("host", 10000)][0].data

    # the same model after its parties were renamed (model migration copies the buffers unchanged)
    renamed = {"guest": [9998], "host": [10002]}
    moved = {("guest", 9998): models[("guest", 9999)], ("host", 10002): models[("host", 10000)]}
    moved_sessions = {("guest", 9998): sessions[("guest", 9999)], ("host", 10002): sessions[("host", 10000)]}
    again = [spec(MODULE, role=t.role, party_id=renamed[t.role][0], parameters=params, roles=renamed,
                  job_id="job_moved", input_data={"data": t.input_data["train_data"]},
                  input_model={"model": ["hetero_secureboost_0"]}, output_model=()) for t in tasks]
    moved_out = run(tmp_path, again, moved_sessions, models=moved)
    assert [r[2] for r in output_rows(moved_out[("guest", 9998)][0])[1]] == [r[2] for r in train_rows]


def _generated(tmp_path, kind, rows=400, hosts=1):
    rng = np.random.default_rng(7)
    xg, xh = rng.normal(size=(rows, 3)), rng.normal(size=(rows, 4 * hosts))
    z = 1.5 * xg[:, 0] - xh[:, 0] + xh[:, 1] * xg[:, 1] + xh[:, -1] ** 2 + 0.3 * rng.normal(size=rows)
    y = np.digitize(z, np.quantile(z, [1 / 3, 2 / 3])) if kind == "multi" else z
    ids = [f"r{i:04d}" for i in range(rows)]
    label = (lambda v: str(int(v))) if kind == "multi" else (lambda v: f"{v:.6f}")
    guest = write_csv(tmp_path / "g.csv", ["id", "y", "a", "b", "c"],
                      [[i, label(t), *(f"{v:.6f}" for v in r)] for i, t, r in zip(ids, y, xg)])
    host_csvs = [write_csv(tmp_path / f"h{k}.csv", ["id", *(f"x{j}" for j in range(4))],
                           [[i, *(f"{v:.6f}" for v in r[4 * k:4 * k + 4])] for i, r in zip(ids, xh)])
                 for k in range(hosts)]
    return guest, host_csvs


def test_multiclass_trees_match_the_plaintext_algorithm(tmp_path):
    guest_csv, host_csvs = _generated(tmp_path, "multi")
    params = {"num_trees": 3, "bin_num": 16}
    tasks, sessions = sbt_tasks(tmp_path, guest_csv, host_csvs, params)
    guest_out, _ = run(tmp_path, tasks, sessions)[("guest", 9999)]
    ids, xg, xh, y = joined(guest_csv, host_csvs)
    expected = plaintext_boosting(np.hstack([xg, *xh]), y, params, "multi")
    _, rows = output_rows(guest_out)
    np.testing.assert_allclose([[r[3][str(k)] for k in range(3)] for r in rows],
                               np.exp(expected) / np.exp(expected).sum(axis=1, keepdims=True), atol=1e-9)
    assert [r[1] for r in rows] == expected.argmax(axis=1).tolist()
    param = guest_out.model["model"]["HeteroSecureBoostingTreeGuestParam"]
    assert param.tree_dim == 3 and len(param.trees_) == 9 and param.num_classes == 3
    assert guest_out.summary["encryptions"] == 3 * 400, "the three classes share one ciphertext per row"


def test_regression_with_two_hosts_matches_the_plaintext_algorithm(tmp_path):
    roles = {"guest": [9999], "host": [10000, 10001]}
    guest_csv, host_csvs = _generated(tmp_path, "regression", hosts=2)
    params = {"num_trees": 3, "task_type": "regression", "objective_param": {"objective": "lse"}}
    tasks, sessions = sbt_tasks(tmp_path, guest_csv, host_csvs, params, roles=roles)
    results = run(tmp_path, tasks, sessions)
    ids, xg, xh, y = joined(guest_csv, host_csvs)
    expected = plaintext_boosting(np.hstack([xg, *xh]), y, params, "regression")[:, 0]
    _, rows = output_rows(results[("guest", 9999)][0])
    np.testing.assert_allclose([r[2] for r in rows], expected, atol=1e-6)
    owners = {n.sitename for t in results[("guest", 9999)][0].model["model"][
        "HeteroSecureBoostingTreeGuestParam"].trees_ for n in t.tree_ if not n.is_leaf}
    assert {"host:10000", "host:10001"} <= owners


def test_complete_secure_builds_the_first_tree_from_guest_features(tmp_path):
    guest_csv, host_csv = DATA / "breast_hetero_guest.csv", DATA / "breast_hetero_host.csv"
    tasks, sessions = sbt_tasks(tmp_path, guest_csv, [host_csv], {"num_trees": 2, "complete_secure": True},
                                validate=True)
    guest_out, _ = run(tmp_path, tasks, sessions)[("guest", 9999)]
    first, second = guest_out.model["model"]["HeteroSecureBoostingTreeGuestParam"].trees_
    assert {n.sitename for n in first.tree_ if not n.is_leaf} == {"guest:9999"}
    assert "host:10000" in {n.sitename for n in second.tree_ if not n.is_leaf}
    ids, rows = output_rows(guest_out)
    scores = dict(zip(ids, rows))
    train = [k for k in ids if not str(k).startswith("v")]
    assert len(train) == 569 and len(ids) == 2 * 569
    assert all(scores[k][4] == "train" and scores[f"v{k}"][4] == "validate" for k in train)
    assert [scores[k][2] for k in train] == [scores[f"v{k}"][2] for k in train], \
        "validate data (the same rows) is scored as training scored it"


def test_goss_feature_sampling_and_gain_importance(tmp_path):
    guest_csv, host_csv = DATA / "breast_hetero_guest.csv", DATA / "breast_hetero_host.csv"
    params = {"num_trees": 3, "run_goss": True, "top_rate": 0.3, "other_rate": 0.2, "subsample_feature_rate": 0.5,
              "tree_param": {"feature_importance_type": "gain"}}
    tasks, sessions = sbt_tasks(tmp_path, guest_csv, [host_csv], params)
    results = run(tmp_path, tasks, sessions)
    guest_out, _ = results[("guest", 9999)]
    _, rows = output_rows(guest_out)
    assert roc_auc_score([r[0] for r in rows], [r[2] for r in rows]) > 0.98
    param = guest_out.model["model"]["HeteroSecureBoostingTreeGuestParam"]
    used = {n.fid for t in param.trees_[:1] for n in t.tree_ if n.sitename == "guest:9999" and not n.is_leaf}
    assert used and len(used) <= 5, "half of the guest's 10 features are candidates in a tree"
    assert any(f.importance != int(f.importance) for f in param.feature_importances), "importance is the gain"


def test_nothing_in_plaintext_crosses_during_training(tmp_path, monkeypatch):
    """Every value sent while training, by receiver: hosts get only ciphertexts, the public key, the row
    partition (node ids), split-win notices (candidate positions) and flags; the guest gets only encrypted
    histograms and row splits (bitmaps). No label, gradient, hessian, feature value or split value crosses."""
    sent = []
    original = FederationSession.remote

    def recording(self, value, name, tag, parties, timeout=None):
        sent.extend((self.me.role, p.role, name, value) for p in parties)
        return original(self, value, name, tag, parties, timeout)

    monkeypatch.setattr(FederationSession, "remote", recording)
    guest_csv, host_csv = DATA / "breast_hetero_guest.csv", DATA / "breast_hetero_host.csv"
    tasks, sessions = sbt_tasks(tmp_path, guest_csv, [host_csv], {"num_trees": 3})
    run(tmp_path, tasks, sessions)
    ids, xg, (xh,), y = joined(guest_csv, [host_csv])
    secrets = np.unique(np.concatenate([xg.ravel(), xh.ravel(), y]))

    def leaves(value):
        """Every plaintext leaf value inside a message (ciphertexts and keys are not plaintext)."""
        if isinstance(value, (EncryptedVector, PaillierPublicKey)) or value is None:
            return []
        if isinstance(value, dict):
            return [x for k, v in value.items() for x in leaves(k) + leaves(v)]
        if isinstance(value, (list, tuple)):
            return [x for v in value for x in leaves(v)]
        if isinstance(value, np.ndarray):
            return value.ravel().tolist()
        return [value]

    to_host = [(name, v) for src, dst, name, v in sent if dst == "host"]
    to_guest = [(name, v) for src, dst, name, v in sent if dst == "guest"]
    assert {name for name, _ in to_host} == {"sbt_setup", "sbt_encrypted_gh", "sbt_level", "sbt_wins", "sbt_stop"}
    assert {name for name, _ in to_guest} == {"sbt_histogram", "sbt_row_splits"}
    ciphertexts = [v for name, v in to_host if name == "sbt_encrypted_gh"]
    assert len(ciphertexts) == 3 and all(isinstance(x, EncryptedVector) and len(x) == len(y) for [x] in ciphertexts)
    for name, value in to_host:
        plain = leaves(value)
        assert not any(isinstance(x, float) for x in plain), (name, "a number with a fraction reached the host")
        if name == "sbt_setup":
            assert set(value) == {"public_key", "tree_dim", "per_group", "rows", "rounds", "digest"}
            assert value["digest"] not in ids
        elif name == "sbt_level":
            assert all(0 <= x < 16 for x in value.get("positions", [])), "positions are node ids"
        elif name == "sbt_wins":
            assert all(isinstance(k, int) and isinstance(v, int) for k, v in value.items())
    for name, value in to_guest:
        if name == "sbt_histogram" and isinstance(value, dict):
            assert set(value) == {"per_node", "count", "sums"} and isinstance(value["sums"], EncryptedVector)
        elif name == "sbt_histogram":
            assert value is None or isinstance(value, EncryptedVector), "the folded rest of a histogram"
        if name == "sbt_row_splits":
            assert all(isinstance(k, int) and isinstance(v, bytes) and len(v) <= (len(y) + 7) // 8
                       for k, v in value.items())
    numbers = [x for _, v in to_host + to_guest for x in leaves(v) if isinstance(x, (int, float))
               and not isinstance(x, bool)]
    assert not any(np.isclose(secrets, x, rtol=0, atol=1e-9).any() for x in numbers if x not in (0, 1, 2, 3)), \
        "no feature value or label crosses"
    bitmaps = [v for name, m in to_guest if name == "sbt_row_splits" for v in m.values()]
    assert bitmaps, "the host won some splits and told the guest which rows go left"


def test_a_host_without_the_guests_rows_is_refused(tmp_path):
    guest_csv, host_csv = DATA / "breast_hetero_guest.csv", DATA / "breast_hetero_host.csv"
    header, rows = read_csv(host_csv)
    fewer = write_csv(tmp_path / "fewer.csv", header, [[k, *v] for k, v in list(rows.items())[:-5]])
    tasks, sessions = sbt_tasks(tmp_path, guest_csv, [fewer], {"num_trees": 1})
    with pytest.raises(AssertionError, match="put an Intersection before HeteroSecureBoost"):
        run(tmp_path, tasks, sessions, get_timeout=5.0)


@pytest.mark.parametrize("params, field", [
    ({"tree_param": {"use_missing": True}}, "tree_param.use_missing"),
    ({"use_missing": True}, "use_missing"),
    ({"validation_freqs": 1}, "validation_freqs"),
    ({"early_stopping_rounds": 2}, "early_stopping_rounds"),
    ({"encrypt_param": {"method": "IterativeAffine"}}, "encrypt_param.method"),
    ({"encrypted_mode_calculator_param": {"mode": "fast"}}, "encrypted_mode_calculator_param.mode"),
    ({"objective_param": {"objective": "huber", "params": [1.0]}, "task_type": "regression"},
     "objective_param.objective"),
    ({"objective_param": {"objective": "lse"}}, "objective_param.objective"),
    ({"cv_param": {"need_cv": True}}, "cv_param.need_cv"),
    ({"tree_param": {"max_depth": 0}}, "tree_param.max_depth"),
    ({"tree_param": {"criterion_params": [-1]}}, "tree_param.criterion_params"),
    ({"run_goss": True, "top_rate": 0.6, "other_rate": 0.5}, "top_rate + other_rate"),
    ({"sparse_optimization": True}, "sparse_optimization"),
    ({"cipher_compress_error": 5}, "cipher_compress_error"),
    ({"num_tree": 5}, "num_tree"),
])
def test_unsupported_or_bad_parameters_are_refused_by_name(params, field):
    with pytest.raises(ParameterError, match=field.replace(".", r"\.").replace("+", r"\+")):
        HeteroSecureBoostParams.from_dict(params, "hetero_secureboost_0")


def test_fate_defaults():
    p = HeteroSecureBoostParams.from_dict({})
    assert (p.task_type, p.learning_rate, p.num_trees, p.bin_num, p.subsample_feature_rate, p.tol) == \
        ("classification", 0.3, 5, 32, 1.0, 1e-4)
    assert (p.tree.max_depth, p.tree.l2, p.tree.l1, p.tree.min_sample_split, p.tree.min_impurity_split,
            p.tree.min_leaf_node, p.tree.feature_importance_type) == (3, 0.1, 0.0, 2, 1e-3, 1, "split")
    assert (p.encrypt_param.method, p.encrypt_param.key_length, p.threshold, p.objective_param.objective) == \
        ("Paillier", 1024, 0.5, "cross_entropy")
    assert HeteroSecureBoostParams.from_dict({"tree_param": {"criterion_params": {"l1": 0.5, "l2": 2}}}).tree.l2 == 2


def test_a_host_checks_what_the_guest_asks_of_it():
    from fate_flow.components.secureboost.host import _level
    from fate_flow.components.secureboost.predict import host_decisions
    from fate_flow.components.secureboost.tree import HostSplit
    from fate_flow.entity.errors import DataError
    positions, build, sample = _level({"positions": np.zeros(4, np.int32), "build": [0], "sample": None}, 4)
    assert positions.tolist() == [0, 0, 0, 0] and build == [0] and sample is None
    for bad in ({"positions": np.zeros(3, np.int32), "build": [0]},            # not this host's rows
                {"positions": np.full(4, 8, np.int32), "build": [0]},          # a node no 4-row tree has
                {"positions": np.zeros(4), "build": [0]},                      # not node ids
                {"positions": np.zeros(4, np.int32), "build": [-1]},
                {"positions": np.zeros(4, np.int32), "build": [0], "sample": np.ones(4)},
                {"build": [0]}):
        with pytest.raises(DataError):
            _level(bad, 4)
    trees = [{0: HostSplit(1, 3, 0.5)}]
    x = np.array([[0.0, 0.2], [0.0, 0.9]])
    assert host_decisions(trees, x, np.array([0, 1]), np.array([0, 0]), np.array([0, 0])).tolist() == [True, False]
    for rows, tree_ids, nodes in (([2], [0], [0]), ([0], [1], [0]), ([0], [0], [1])):
        with pytest.raises(DataError):
            host_decisions(trees, x, np.array(rows), np.array(tree_ids), np.array(nodes))
