"""HomoLR over real gRPC sites: the guest and the hosts train on their own breast_homo rows and the arbiter
averages their models by pairwise-mask secure aggregation. Checked against scikit-learn on the pooled rows,
against the plain weighted average of what each party really had, and for what crosses to the arbiter."""
import csv
import time
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score

from fate_flow.components import secure_aggregation as sa
from fate_flow.components.homo_lr import LOSS_META, setup_verdict
from fate_flow.components.predict_result import DETAIL, LABEL, RESULT, SCORE, TYPE
from fate_flow.computing.standalone import StandaloneSession
from fate_flow.computing.storage.standalone import StandaloneStore
from fate_flow.entity.errors import DataError, ParameterError
from fate_flow.federation.data_plane import FederationSession
from fate_flow.federation.parties import PartyRef
from tests.components.harness import feature_table, run_component, run_parties, spec

DATA = Path("/work/shared/data")
GUEST_CSV, HOST_CSV = DATA / "breast_homo_guest.csv", DATA / "breast_homo_host.csv"
ROLES = {"guest": [9999], "host": [10000], "arbiter": [10000]}
PARAMS = {"penalty": "L2", "alpha": 0.01, "optimizer": "sgd", "learning_rate": 0.5, "max_iter": 30,
          "batch_size": -1, "early_stop": "diff", "tol": 1e-7, "init_param": {"init_method": "zeros"},
          "encrypt_param": {"method": None}, "aggregate_iters": 1}


def read_csv(path):
    with open(path) as f:
        rows = list(csv.reader(f))
    return rows[0], rows[1:]


def write_csv(path, header, rows):
    with open(path, "w", newline="") as f:
        csv.writer(f).writerows([header, *rows])
    return path


def pooled(*paths):
    rows = [r for p in paths for r in read_csv(p)[1]]
    return np.array([[float(v) for v in r[2:]] for r in rows]), np.array([int(r[1]) for r in rows])


def sessions_with_data(base, csv_by_party):
    """A computing session per (role, party id) holding that party's DataTransform output."""
    sessions, refs = {}, {}
    for key, path in csv_by_party.items():
        session = StandaloneSession(StandaloneStore(base / f"{key[0]}_{key[1]}"))
        sessions[key] = session
        refs[key] = feature_table(session, path, with_label=True)
    return sessions, refs


def tasks_for(roles, refs, parameters, key="train_data", input_model=None, job_id="job_homo", extra_data=None):
    """extra_data: (role, party id) -> {input name: [table ref]} besides `key`."""
    tasks = []
    for role, pids in roles.items():
        for pid in pids:
            ref = refs.get((role, pid))
            data = {key: [ref]} if ref is not None else {}
            data.update((extra_data or {}).get((role, pid), {}))
            tasks.append(spec("HomoLR", role=role, party_id=pid, parameters=parameters, roles=roles, job_id=job_id,
                              input_data=data, input_model=input_model, name="homo_lr_0"))
    return tasks


@contextmanager
def recording():
    """Every value each party puts on the data plane, and every plain vector a client hands secure aggregation
    (before masking), as the real calls run."""
    sent, plain = [], []
    remote, send = FederationSession.remote, sa.SecureAggregationClient.send

    def recording_remote(self, value, name, tag, parties, timeout=None):
        sent.append((self.me.role, self.me.party_id, name, [p.role for p in parties], value))
        return remote(self, value, name, tag, parties, timeout)

    def recording_send(self, values, purpose, round_id):
        plain.append((self._ctx.role, self._ctx.party_id, purpose, round_id, np.array(values, dtype=np.float64)))
        return send(self, values, purpose, round_id)

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(FederationSession, "remote", recording_remote)
        mp.setattr(sa.SecureAggregationClient, "send", recording_send)
        yield sent, plain


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    base = tmp_path_factory.mktemp("homo_lr")
    sessions, refs = sessions_with_data(base, {("guest", 9999): GUEST_CSV, ("host", 10000): HOST_CSV})
    with recording() as (sent, plain):
        results = run_parties(base, tasks_for(ROLES, refs, PARAMS), sessions=sessions, timeout=120)
    yield {"base": base, "sessions": sessions, "refs": refs, "results": results, "sent": sent, "plain": plain}
    for s in sessions.values():
        s.stop()


def prediction_rows(results, role, pid):
    output, _ = results[(role, pid)]
    return dict(output.data["data"].collect())


def test_auc_matches_scikit_learn_on_the_pooled_rows(trained):
    rows = {**prediction_rows(trained["results"], "guest", 9999), **prediction_rows(trained["results"], "host", 10000)}
    assert len(rows) == 455 and {r[TYPE] for r in rows.values()} == {"train"}
    homo_auc = roc_auc_score([r[LABEL] for r in rows.values()], [r[SCORE] for r in rows.values()])
    x, y = pooled(GUEST_CSV, HOST_CSV)
    reference = LogisticRegression(C=1.0 / (PARAMS["alpha"] * len(y)), max_iter=PARAMS["max_iter"]).fit(x, y)
    sk_auc = roc_auc_score(y, reference.predict_proba(x)[:, 1])
    print(f"HomoLR AUC {homo_auc:.6f}, scikit-learn AUC {sk_auc:.6f}")
    assert abs(homo_auc - sk_auc) <= 0.01
    row = next(iter(rows.values()))
    assert row[RESULT] == (1 if row[SCORE] >= 0.5 else 0) and row[DETAIL]["1"] == pytest.approx(row[SCORE])


def test_every_party_ends_with_the_same_model_and_the_arbiter_logs_the_loss(trained):
    results = trained["results"]
    models = {key: out.model["model"] for key, (out, _) in results.items()}
    params = {key: m["HomoLogisticRegressionParam"] for key, m in models.items()}
    guest = params[("guest", 9999)]
    assert list(guest.header) == [f"x{i}" for i in range(30)]
    for key, param in params.items():
        assert list(param.header) == list(guest.header), key
        assert dict(param.weight) == pytest.approx(dict(guest.weight), abs=1e-12), key
        assert param.intercept == pytest.approx(guest.intercept, abs=1e-12), key
        assert models[key]["HomoLogisticRegressionMeta"].aggregate_iters == 1
    arbiter_out, arbiter_tracker = results[("arbiter", 10000)]
    losses = arbiter_tracker.data[("train", "loss")]
    assert arbiter_tracker.metas[("train", "loss")] == LOSS_META
    assert [i for i, _ in losses] == list(range(len(losses)))
    assert losses[0][1] == pytest.approx(np.log(2))  # zero weights: every probability is 1/2
    assert losses[-1][1] < 0.15 and all(b[1] < a[1] for a, b in zip(losses, losses[1:]))
    summary = arbiter_out.summary
    assert summary["iters"] == PARAMS["max_iter"] and summary["is_converged"] is False
    assert summary["loss_history"] == [v for _, v in losses]
    assert list(params[("arbiter", 10000)].loss_history) == summary["loss_history"]
    print(f"rounds: {len(losses)}, loss {losses[0][1]:.4f} -> {losses[-1][1]:.4f}")


def test_with_full_batches_and_sgd_it_is_gradient_descent_on_the_pooled_rows(trained):
    """Averaging one sgd step of each party from the same weights, by row count, is one step on all rows."""
    x, y = pooled(GUEST_CSV, HOST_CSV)
    x = np.hstack([x, np.ones((len(x), 1))])
    w, losses = np.zeros(x.shape[1]), []
    for epoch in range(PARAMS["max_iter"] + 1):
        losses.append(np.mean(np.logaddexp(0, x @ w) - y * (x @ w)) + 0.5 * PARAMS["alpha"] * w[:-1] @ w[:-1])
        if epoch == PARAMS["max_iter"]:
            break
        gradient = x.T @ (1 / (1 + np.exp(-x @ w)) - y) / len(y)
        gradient[:-1] += PARAMS["alpha"] * w[:-1]
        w = w - PARAMS["learning_rate"] / np.sqrt(1 + epoch) * gradient  # FATE's default decay 1, decay_sqrt
    param = trained["results"][("guest", 9999)][0].model["model"]["HomoLogisticRegressionParam"]
    assert [param.weight[f"x{i}"] for i in range(30)] + [param.intercept] == pytest.approx(w, abs=1e-6)
    arbiter_losses = trained["results"][("arbiter", 10000)][1].data[("train", "loss")]
    assert [v for _, v in arbiter_losses] == pytest.approx(losses, abs=1e-6)


def weighted_averages(plain):
    """round -> (the true count-weighted average of the parties' weights, their true weighted loss)."""
    rounds = {}
    for _, _, purpose, round_id, values in plain:
        rounds.setdefault(round_id, {}).setdefault(purpose, []).append(values)
    out = {}
    for round_id, sent in rounds.items():
        models = np.array(sent["model"])
        rows = models[:, -1].sum()
        out[round_id] = (models[:, :-1].sum(axis=0) / rows, np.sum(sent["loss"]) / rows)
    return out


def test_the_arbiter_sees_only_masked_values_and_gets_the_exact_weighted_average(trained):
    sent, plain = trained["sent"], trained["plain"]
    to_arbiter = [(role, name, value) for role, _, name, dests, value in sent if dests == ["arbiter"]]
    assert {name for _, name, _ in to_arbiter} == {"homo_lr_setup", "secure_aggregation_model",
                                                   "secure_aggregation_loss"}
    setups = [value for _, name, value in to_arbiter if name == "homo_lr_setup"]
    assert all(set(v) == {"header", "labels"} for v in setups)
    # every number each party really had: its weights, its weights times its count, its count, its loss
    counts = {(role, pid, r): v[-1] for role, pid, purpose, r, v in plain if purpose == "model"}
    truths = np.concatenate([np.append(v / counts[(role, pid, r)], v) if purpose == "loss"
                             else np.append(v[:-1] / v[-1], v) for role, pid, purpose, r, v in plain])
    masked = [value for _, name, value in to_arbiter if name != "homo_lr_setup"]
    assert len(masked) == len(plain) == 2 * 2 * (PARAMS["max_iter"] + 1)
    for value in masked:
        assert value.dtype == np.uint64
        for view in (value.astype(np.float64), sa.decode(value)):  # read as integers or as fixed point
            assert not np.isclose(view[:, None], truths[None, :], rtol=1e-6, atol=1e-6).any()
    # what the arbiter sends back is the true count-weighted average of what the parties had
    expected = weighted_averages(plain)
    aggregated = [v for role, _, name, _, v in sent if role == "arbiter" and name == "homo_lr_aggregated_model"]
    assert len(aggregated) == len(expected)
    for round_id, value in enumerate(aggregated):
        assert np.max(np.abs(value - expected[round_id][0])) < 1e-6
    arbiter_losses = trained["results"][("arbiter", 10000)][1].data[("train", "loss")]
    assert [v for _, v in arbiter_losses] == pytest.approx([expected[r][1] for r in sorted(expected)], abs=1e-6)


def test_predict_mode_reproduces_the_training_scores(trained):
    results, refs = trained["results"], trained["refs"]
    models = {key: {"homo_lr_0": out.model["model"]} for key, (out, _) in results.items()}
    tasks = tasks_for(ROLES, refs, PARAMS, key="data", input_model={"model": ["homo_lr_0"]}, job_id="job_predict")
    predicted = run_parties(trained["base"], tasks, sessions=trained["sessions"], models=models, timeout=60)
    for role, pid in (("guest", 9999), ("host", 10000)):
        trained_rows, rows = prediction_rows(results, role, pid), prediction_rows(predicted, role, pid)
        assert rows.keys() == trained_rows.keys()
        assert all(rows[k][SCORE] == trained_rows[k][SCORE] and rows[k][TYPE] == "test" for k in rows)
        assert predicted[(role, pid)][0].schemas["data"]["header"][:3] == ["label", "predict_result",
                                                                             "predict_score"]
    assert predicted[("arbiter", 10000)][0].data == {}


def test_two_hosts(tmp_path):
    header, rows = read_csv(HOST_CSV)
    half = len(rows) // 2
    host_a = write_csv(tmp_path / "host_a.csv", header, rows[:half])
    host_b = write_csv(tmp_path / "host_b.csv", header, rows[half:])
    roles = {"guest": [9999], "host": [10000, 10001], "arbiter": [10000]}
    files = {("guest", 9999): GUEST_CSV, ("host", 10000): host_a, ("host", 10001): host_b}
    sessions, refs = sessions_with_data(tmp_path, files)
    # the guest also scores rows it did not train on (validate_data: its copy of host A's rows)
    validate = feature_table(sessions[("guest", 9999)], host_a, with_label=True, name="validate")
    params = {**PARAMS, "max_iter": 8, "aggregate_iters": 2, "optimizer": "rmsprop", "learning_rate": 0.05,
              "batch_size": 64, "init_param": {"init_method": "random_uniform", "random_seed": 3}}
    with recording() as (sent, plain):
        results = run_parties(tmp_path, tasks_for(roles, refs, params, job_id="job_two_hosts",
                                                  extra_data={("guest", 9999): {"validate_data": [validate]}}),
                              sessions=sessions, timeout=60)
    expected = weighted_averages(plain)
    assert sorted(expected) == [1, 3, 5, 7, 8]  # every second iteration, and the last
    assert {(role, pid) for role, pid, *_ in plain} == {("guest", 9999), ("host", 10000), ("host", 10001)}
    aggregated = [v for role, _, name, _, v in sent if role == "arbiter" and name == "homo_lr_aggregated_model"]
    for round_id, value in zip(sorted(expected), aggregated):
        assert np.max(np.abs(value - expected[round_id][0])) < 1e-6
    final = results[("arbiter", 10000)][0].model["model"]["HomoLogisticRegressionParam"]
    x, y = pooled(GUEST_CSV, HOST_CSV)
    coef = np.array([final.weight[f"x{i}"] for i in range(30)])
    auc = roc_auc_score(y, x @ coef + final.intercept)
    print(f"two hosts: AUC {auc:.4f} after {final.iters} iterations")
    assert auc > 0.97 and final.iters == 8
    for key, path in files.items():
        assert results[key][0].model["model"]["HomoLogisticRegressionParam"].intercept == final.intercept
        types = [row[TYPE] for _, row in results[key][0].data["data"].collect()]
        assert types.count("train") == len(read_csv(path)[1])
    guest_validate = [row for _, row in results[("guest", 9999)][0].data["data"].collect() if row[TYPE] == "validate"]
    host_a_rows = prediction_rows(results, "host", 10000)
    assert len(guest_validate) == half
    assert sorted(r[SCORE] for r in guest_validate) == sorted(r[SCORE] for r in host_a_rows.values())
    for s in sessions.values():
        s.stop()


def test_a_host_with_other_features_fails_naming_the_header_mismatch(tmp_path):
    header, rows = read_csv(HOST_CSV)
    narrow = write_csv(tmp_path / "narrow.csv", header[:-1], [r[:-1] for r in rows])
    sessions, refs = sessions_with_data(tmp_path, {("guest", 9999): GUEST_CSV, ("host", 10000): narrow})
    with pytest.raises(AssertionError, match=r"header mismatch: host party 10000 has 29 features .* but guest "
                                             r"party 9999 has 30") as e:
        run_parties(tmp_path, tasks_for(ROLES, refs, PARAMS, job_id="job_mismatch"), sessions=sessions, timeout=30)
    assert isinstance(e.value.__cause__, DataError)
    for s in sessions.values():
        s.stop()


def test_a_party_that_cannot_train_stops_every_party_with_its_reason(tmp_path):
    header, rows = read_csv(HOST_CSV)
    three_classes = write_csv(tmp_path / "labels.csv", header, [[r[0], "2" if i == 0 else r[1], *r[2:]]
                                                                  for i, r in enumerate(rows)])
    sessions, refs = sessions_with_data(tmp_path, {("guest", 9999): GUEST_CSV, ("host", 10000): three_classes})
    started = time.monotonic()
    with pytest.raises(AssertionError, match=r"needs labels 0 and 1"):
        run_parties(tmp_path, tasks_for(ROLES, refs, PARAMS, job_id="job_labels"), sessions=sessions, timeout=30)
    assert time.monotonic() - started < 8, "the guest and the arbiter stop at once, not after a get timeout"
    for s in sessions.values():
        s.stop()
    clients = [PartyRef("guest", 9999), PartyRef("host", 10000)]
    header = {"header": ["a", "b"], "labels": [0, 1]}
    assert setup_verdict(clients, [header, header]) == ""
    assert setup_verdict(clients, [header, {"error": "no rows"}]) == "host party 10000 cannot train HomoLR: no rows"
    assert setup_verdict(clients, [{**header, "labels": [0]}, {**header, "labels": [0]}]).endswith("hold [0]")


def test_a_single_party_besides_the_arbiter_is_refused(tmp_path):
    session = StandaloneSession(StandaloneStore(tmp_path / "s"))
    task = spec("HomoLR", role="guest", party_id=9999, parameters=PARAMS, roles={"guest": [9999], "arbiter": [10000]})
    with pytest.raises(DataError, match="at least two parties among guest and hosts"):
        run_component(task, session)
    session.stop()


@pytest.mark.parametrize("parameters,field", [
    ({"encrypt_param": {"method": "Paillier"}}, "encrypt_param.method"),
    ({"aggregate_iters": 0}, "aggregate_iters must be at least 1"),
    ({"max_iter": 0}, "max_iter must be at least 1"),
    ({"batch_size": 5}, "batch_size"),
    ({"optimizer": "lbfgs"}, "optimizer must be one of"),
    ({"use_proximal": "yes"}, "use_proximal must be true or false"),
])
def test_bad_parameters_name_the_field(tmp_path, parameters, field):
    session = StandaloneSession(StandaloneStore(tmp_path / "s"))
    with pytest.raises(ParameterError, match=field):
        run_component(spec("HomoLR", parameters=parameters, roles=ROLES), session)
    session.stop()


# ------------------------------------------------------------------------------- secure aggregation itself
def three_maskers():
    keys = [sa.new_private_key() for _ in range(3)]
    public = [sa.public_bytes(k) for k in keys]
    return [sa.PairwiseMasker(i, {j: sa.pair_secret(keys[i], public[j]) for j in range(3) if j != i}, 3)
            for i in range(3)]


def test_pair_secrets_agree_at_both_ends():
    a, b = sa.new_private_key(), sa.new_private_key()
    assert sa.pair_secret(a, sa.public_bytes(b)) == sa.pair_secret(b, sa.public_bytes(a))
    assert sa.pair_secret(a, sa.public_bytes(b)) != sa.pair_secret(a, sa.public_bytes(sa.new_private_key()))


def test_masks_of_three_parties_cancel_exactly():
    rng = np.random.default_rng(7)
    maskers = three_maskers()
    for round_id in range(3):
        values = [rng.normal(0, 1e4, 31) for _ in range(3)]
        masked = [m.mask(v, round_id, "model") for m, v in zip(maskers, values)]
        assert np.array_equal(sa.wrapping_sum(masked), sa.wrapping_sum([sa.encode(v) for v in values]))
        assert np.max(np.abs(sa.decode(sa.wrapping_sum(masked)) - np.sum(values, axis=0))) <= 3 / sa.SCALE
        for m, v in zip(masked, values):  # one masked vector alone says nothing of its values
            assert not np.isclose(sa.decode(m), v, rtol=1e-3).any()


def test_masks_differ_by_round_and_purpose_and_are_never_reused():
    maskers = three_maskers()
    zeros = np.zeros(8)
    by_use = [maskers[0].mask(zeros, r, p) for r, p in ((0, "model"), (1, "model"), (0, "loss"))]
    assert not np.array_equal(by_use[0], by_use[1]) and not np.array_equal(by_use[0], by_use[2])
    with pytest.raises(ValueError, match="never used twice"):
        maskers[0].mask(zeros, 0, "model")


def test_one_client_and_unencodable_values_are_refused():
    with pytest.raises(DataError, match="at least two parties"):
        sa.PairwiseMasker(0, {}, 1)
    with pytest.raises(DataError, match="non-finite"):
        sa.encode(np.array([1.0, np.nan]))
    with pytest.raises(DataError, match="cannot encode"):
        sa.encode(np.array([2.0 ** 40]), clients=2)
    assert np.array_equal(sa.decode(sa.encode(np.array([-1.5, 0.25, 3.0]))), [-1.5, 0.25, 3.0])
