"""A linear model whose training runs away, or whose input holds values it cannot use, stops with a message
naming the component, the party, the iteration and what to change (not a fixed-point arithmetic error)."""
import pytest

from tests.components.harness import run_parties
from tests.components.test_hetero_lr import DATA, PARAMS, hetero_tasks

GUEST_CSV, HOST_CSV = DATA / "breast_hetero_guest.csv", DATA / "breast_hetero_host.csv"


def test_a_diverging_hetero_lr_names_component_party_iteration_and_learning_rate(tmp_path):
    params = {**PARAMS, "optimizer": "sgd", "learning_rate": 400.0, "alpha": 0.0, "max_iter": 20,
              "encrypt_param": {"key_length": 512}}
    tasks, sessions = hetero_tasks(tmp_path, GUEST_CSV, [HOST_CSV], params)
    with pytest.raises(AssertionError) as failed:
        run_parties(tmp_path, tasks, sessions=sessions, get_timeout=5.0)
    message = str(failed.value.__cause__)
    assert "TrainingDiverged" in repr(failed.value.__cause__), message
    assert "heterolr_0: training diverged at " in message and "in iteration " in message, message
    assert any(f"at {party} in iteration" in message for party in ("guest 9999", "host 10000")), message
    assert "lower learning_rate (now 400)" in message and "multiplier" not in message


def test_infinite_feature_values_are_refused_naming_the_feature_and_the_row(tmp_path):
    rows = GUEST_CSV.read_text().splitlines()
    header = rows[0].split(",")
    first = rows[1].split(",")
    first[header.index("x3")] = "inf"
    guest = tmp_path / "guest.csv"
    guest.write_text("\n".join([rows[0], ",".join(first), *rows[2:]]) + "\n")
    tasks, sessions = hetero_tasks(tmp_path, guest, [HOST_CSV], {**PARAMS, "max_iter": 1})
    with pytest.raises(AssertionError) as failed:
        run_parties(tmp_path, tasks, sessions=sessions, get_timeout=3.0)
    message = str(failed.value.__cause__)
    assert message.startswith("heterolr_0: train_data of guest 9999 has NaN or infinite values in feature x3"), message
    assert f"first at id {first[0]}" in message and "missing_fill" in message
