"""HeteroLR over real gRPC sites with real Paillier: model quality against scikit-learn on the joined
plaintext data, the protocol against a plaintext run of the same algorithm, what crosses the data plane,
predict mode, several hosts and bad input."""
import csv

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score

from fate_flow.components.linear_model.lr_params import HeteroLRParams
from fate_flow.components.linear_model.mini_batches import mini_batches
from fate_flow.components.linear_model.optimizers import Optimizer
from fate_flow.components.linear_model.weights import initial_weights
from fate_flow.computing.standalone import StandaloneSession
from fate_flow.computing.storage.standalone import StandaloneStore
from fate_flow.entity.errors import ParameterError
from fate_flow.federation.data_plane import FederationSession
from fate_flow.secure.paillier import EncryptedVector, PaillierPublicKey
from tests.components.harness import feature_table, run_parties, spec

DATA = __import__("pathlib").Path(__file__).resolve().parents[2].parent / "shared" / "data"
ROLES = {"guest": [9999], "host": [10000], "arbiter": [10000]}
PARAMS = {"penalty": "L2", "alpha": 0.01, "optimizer": "adam", "learning_rate": 0.05, "max_iter": 10,
          "batch_size": -1, "init_param": {"init_method": "zeros"}, "encrypt_param": {"key_length": 1024}}


def read_csv(path):
    with open(path) as f:
        rows = list(csv.reader(f))
    return rows[0], {r[0]: r[1:] for r in rows[1:]}


def joined(guest_csv, host_csvs):
    """ids (sorted as HeteroLR orders them), X = guest features then each host's, y."""
    header, guest = read_csv(guest_csv)
    hosts = [read_csv(h)[1] for h in host_csvs]
    ids = sorted(guest)
    y = np.array([float(guest[i][0]) for i in ids])
    xg = np.array([[float(v) for v in guest[i][1:]] for i in ids])
    xh = [np.array([[float(v) for v in h[i]] for i in ids]) for h in hosts]
    return ids, xg, xh, y


def sessions_for(tmp_path, roles):
    return {(role, pid): StandaloneSession(StandaloneStore(tmp_path / f"{role}_{pid}"))
            for role, pids in roles.items() for pid in pids}


def hetero_tasks(tmp_path, guest_csv, host_csvs, params, roles=ROLES, job_id="job_hlr"):
    sessions = sessions_for(tmp_path, roles)
    tasks = [spec("HeteroLR", role="guest", party_id=roles["guest"][0], parameters=params, roles=roles,
                  job_id=job_id, input_data={"train_data": [feature_table(sessions[("guest", roles["guest"][0])],
                                                                          guest_csv, True, "guest")]})]
    for pid, path in zip(roles["host"], host_csvs):
        tasks.append(spec("HeteroLR", role="host", party_id=pid, parameters=params, roles=roles, job_id=job_id,
                          input_data={"train_data": [feature_table(sessions[("host", pid)], path, False,
                                                                   f"host{pid}")]}))
    tasks.append(spec("HeteroLR", role="arbiter", party_id=roles["arbiter"][0], parameters=params, roles=roles,
                      job_id=job_id, output_data=(), output_model=()))
    return tasks, sessions


def scores(output):
    rows = sorted(output.data["data"].collect(), key=lambda kv: str(kv[0]))
    return [k for k, _ in rows], np.array([v[2] for _, v in rows]), np.array([v[0] for _, v in rows])


def sklearn_auc(x, y, alpha, max_iter):
    model = LogisticRegression(C=1.0 / (alpha * len(y)), max_iter=max_iter)
    model.fit(x, y)
    return roc_auc_score(y, model.decision_function(x))


def plaintext_taylor_lr(xg, xh, y, params):
    """The same algorithm with no cryptography: what the protocol must compute."""
    p = HeteroLRParams.from_dict(params)
    fit_intercept = p.init.fit_intercept
    design = np.hstack([xg, np.ones((len(y), 1))]) if fit_intercept else xg
    wg = initial_weights(p.init, xg.shape[1], fit_intercept)
    wh = initial_weights(p.init, xh.shape[1], False)
    og = Optimizer(p.optimizer, p.learning_rate, p.penalty, p.alpha, p.decay, p.decay_sqrt, fit_intercept)
    oh = Optimizer(p.optimizer, p.learning_rate, p.penalty, p.alpha, p.decay, p.decay_sqrt, False)
    ypm = 2 * y - 1
    for epoch in range(p.max_iter):
        for rows in mini_batches(len(y), p.batch_size, p.init.random_seed):
            d = (design[rows] @ wg + xh[rows] @ wh) / 4 - ypm[rows] / 2
            wg = og.step(wg, d @ design[rows] / len(rows), epoch)
            wh = oh.step(wh, d @ xh[rows] / len(rows), epoch)
    return wg, wh


def test_breast_model_matches_the_plaintext_algorithm_and_scikit_learn(tmp_path):
    guest_csv, host_csv = DATA / "breast_hetero_guest.csv", DATA / "breast_hetero_host.csv"
    tasks, sessions = hetero_tasks(tmp_path, guest_csv, [host_csv], PARAMS)
    results = run_parties(tmp_path, tasks, sessions=sessions)
    guest_out, _ = results[("guest", 9999)]
    host_out, _ = results[("host", 10000)]
    arbiter_out, arbiter_tracker = results[("arbiter", 10000)]

    ids, xg, (xh,), y = joined(guest_csv, [host_csv])
    wg, wh = plaintext_taylor_lr(xg, xh, y, PARAMS)
    guest_param = guest_out.model["model"]["HeteroLogisticRegressionParam"]
    host_param = host_out.model["model"]["HeteroLogisticRegressionParam"]
    got_g = np.array([guest_param.weight[h] for h in guest_param.header])
    got_h = np.array([host_param.weight[h] for h in host_param.header])
    np.testing.assert_allclose(got_g, wg[:-1], atol=1e-4)
    np.testing.assert_allclose(guest_param.intercept, wg[-1], atol=1e-4)
    np.testing.assert_allclose(got_h, wh, atol=1e-4)
    assert host_param.intercept == 0 and list(host_param.header) == [f"x{i}" for i in range(20)]

    out_ids, probability, labels = scores(guest_out)
    assert out_ids == ids and "data" not in host_out.data, "only the guest writes predictions"
    auc = roc_auc_score(y, probability)
    reference = sklearn_auc(np.hstack([xg, xh]), y, PARAMS["alpha"], PARAMS["max_iter"])
    print(f"breast hetero LR AUC {auc:.6f}, scikit-learn {reference:.6f}")
    assert auc >= reference - 0.005 and auc > 0.98
    np.testing.assert_array_equal(labels, y)

    losses = [v for _, v in arbiter_tracker.data[("train", "loss")]]
    assert len(losses) == 10 and losses[-1] < losses[0]
    assert arbiter_tracker.metas[("train", "loss")]["metric_type"] == "LOSS"
    assert arbiter_out.summary["iters"] == 10


def test_nothing_in_plaintext_crosses_during_training(tmp_path, monkeypatch):
    """Every value a party sends while training is a ciphertext, a public key, a masked value or
    bookkeeping (batch ids, counts, flags, scalar penalties); no host feature, label or gradient."""
    sent = []
    original = FederationSession.remote

    def recording(self, value, name, tag, parties, timeout=None):
        sent.append((self.me.role, name, value))
        return original(self, value, name, tag, parties, timeout)

    monkeypatch.setattr(FederationSession, "remote", recording)
    guest_csv, host_csv = DATA / "breast_hetero_guest.csv", DATA / "breast_hetero_host.csv"
    params = {**PARAMS, "max_iter": 3, "batch_size": 200, "optimizer": "sgd"}
    tasks, sessions = hetero_tasks(tmp_path, guest_csv, [host_csv], params)
    run_parties(tmp_path, tasks, sessions=sessions)
    ids, xg, (xh,), y = joined(guest_csv, [host_csv])
    secrets = np.concatenate([xh.ravel(), xg.ravel(), y])
    training = [(role, name, v) for role, name, v in sent if name != "host_partial_score"]
    names = {(role, name) for role, name, _ in training}
    assert ("host", "host_forward") in names and ("guest", "fore_gradient") in names
    assert ("guest", "guest_masked_gradient") in names and ("arbiter", "host_gradient") in names

    def plain_numbers(value):
        if isinstance(value, (EncryptedVector, PaillierPublicKey, bool, str)) or value is None:
            return []
        if isinstance(value, (int, float)):
            return [float(value)]
        if isinstance(value, np.ndarray):
            return value.ravel().astype(float).tolist()
        if isinstance(value, dict):
            return [x for v in value.values() for x in plain_numbers(v)]
        if isinstance(value, (list, tuple)):
            return [x for v in value for x in plain_numbers(v)]
        raise AssertionError(f"unexpected value of type {type(value)}")

    for role, name, value in training:
        if name == "batch_ids":
            assert set(i for batch in value for i in batch) == set(ids)  # the intersected ids, known to both
            continue
        numbers = plain_numbers(value)
        if role == "host" and name == "host_forward":
            assert numbers == [], "the host's forward is sent encrypted"
        if role == "guest" and name in ("fore_gradient", "encrypted_loss"):
            assert numbers == []
        for x in numbers:
            # masked gradients are of the mask's size; features, labels and true gradients are small
            assert abs(x) > 1e3 or name.endswith(("penalty", "weight_diff")) or name == "batch_info" or \
                name.endswith("_gradient"), (role, name, x)
            if abs(x) < 1e3 and not name == "batch_info":
                assert not np.any(np.isclose(secrets, x, rtol=0, atol=1e-9)) or x == 0, (role, name, x)
    masked = [v for role, name, v in training if name in ("guest_gradient", "host_gradient")]
    assert masked and all(np.all(np.abs(np.asarray(v)) > 1.0) for v in masked), \
        "what the arbiter decrypts is masked"


def test_predict_mode_scores_rows_as_training_did(tmp_path):
    guest_csv, host_csv = DATA / "breast_hetero_guest.csv", DATA / "breast_hetero_host.csv"
    params = {**PARAMS, "max_iter": 3}
    tasks, sessions = hetero_tasks(tmp_path, guest_csv, [host_csv], params, job_id="job_train")
    trained = run_parties(tmp_path, tasks, sessions=sessions)
    models = {key: {"hetero_lr_0": out.model["model"]} for key, (out, _) in trained.items() if out.model}
    predict = []
    for task in tasks:
        data = {"data": task.input_data["train_data"]} if task.input_data else {}
        predict.append(spec("HeteroLR", role=task.role, party_id=task.party_id, parameters=params, roles=ROLES,
                            job_id="job_predict", input_data=data, input_model={"model": ["hetero_lr_0"]},
                            output_model=()))
    predicted = run_parties(tmp_path, predict, sessions=sessions, models=models)
    train_ids, train_scores, _ = scores(trained[("guest", 9999)][0])
    ids, predict_scores, _ = scores(predicted[("guest", 9999)][0])
    assert ids == train_ids
    np.testing.assert_array_equal(predict_scores, train_scores)
    rows = dict(predicted[("guest", 9999)][0].data["data"].collect())
    assert {r[4] for r in rows.values()} == {"test"}


def test_two_hosts(tmp_path):
    header, host = read_csv(DATA / "breast_hetero_host.csv")
    paths = []
    for k, cols in enumerate((range(0, 10), range(10, 20))):
        path = tmp_path / f"host{k}.csv"
        with open(path, "w", newline="") as f:
            w = csv.writer(f)
            w.writerow(["id"] + [header[1 + c] for c in cols])
            for i, values in host.items():
                w.writerow([i] + [values[c] for c in cols])
        paths.append(path)
    roles = {"guest": [9999], "host": [10000, 10001], "arbiter": [10000]}
    params = {**PARAMS, "max_iter": 5, "early_stop": "diff"}
    tasks, sessions = hetero_tasks(tmp_path, DATA / "breast_hetero_guest.csv", paths, params, roles=roles)
    results = run_parties(tmp_path, tasks, sessions=sessions)
    _, probability, labels = scores(results[("guest", 9999)][0])
    assert roc_auc_score(labels, probability) > 0.98
    for pid in (10000, 10001):
        assert len(results[("host", pid)][0].model["model"]["HeteroLogisticRegressionParam"].header) == 10


@pytest.mark.parametrize("params, field", [
    ({"penalty": "L3"}, "penalty"),
    ({"optimizer": "sqn2"}, "optimizer"),
    ({"early_stop": "never"}, "early_stop"),
    ({"batch_size": 5}, "batch_size"),
    ({"init_param": {"init_method": "nope"}}, "init_param.init_method"),
    ({"encrypt_param": {"method": "RSA"}}, "encrypt_param.method"),
    ({"max_iter": 0}, "max_iter"),
    ({"learning_rate": 0}, "learning_rate"),
    ({"unknown_knob": 1}, "unknown_knob"),
])
def test_bad_parameters_name_the_field(params, field):
    with pytest.raises(ParameterError, match=field.replace(".", r"\.")):
        HeteroLRParams.from_dict(params, "hetero_lr_0")


@pytest.mark.parametrize("changes", [
    {"optimizer": "sgd", "penalty": "L1", "learning_rate": 0.3},
    {"optimizer": "adagrad", "penalty": "none", "batch_size": 200,
     "init_param": {"init_method": "zeros", "random_seed": 11}},
    {"optimizer": "nesterov_momentum_sgd", "penalty": "L2", "early_stop": "weight_diff", "tol": 1e-9},
    {"optimizer": "rmsprop", "penalty": "L2", "init_param": {"init_method": "random_uniform", "random_seed": 5,
                                                             "fit_intercept": False}},
])
def test_every_optimizer_and_penalty_computes_the_plaintext_algorithm(tmp_path, changes):
    guest_csv, host_csv = DATA / "breast_hetero_guest.csv", DATA / "breast_hetero_host.csv"
    params = {**PARAMS, "max_iter": 3, **changes}
    tasks, sessions = hetero_tasks(tmp_path, guest_csv, [host_csv], params)
    results = run_parties(tmp_path, tasks, sessions=sessions)
    ids, xg, (xh,), y = joined(guest_csv, [host_csv])
    wg, wh = plaintext_taylor_lr(xg, xh, y, params)
    guest_param = results[("guest", 9999)][0].model["model"]["HeteroLogisticRegressionParam"]
    host_param = results[("host", 10000)][0].model["model"]["HeteroLogisticRegressionParam"]
    fit_intercept = HeteroLRParams.from_dict(params).init.fit_intercept
    np.testing.assert_allclose([guest_param.weight[h] for h in guest_param.header],
                               wg[:-1] if fit_intercept else wg, atol=1e-4)
    np.testing.assert_allclose(guest_param.intercept, wg[-1] if fit_intercept else 0.0, atol=1e-4)
    np.testing.assert_allclose([host_param.weight[h] for h in host_param.header], wh, atol=1e-4)
    assert guest_param.iters == 3
