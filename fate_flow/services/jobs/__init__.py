"""Jobs on a party. The initiator's submit (submit.py) creates a job on every party over federation; each
party's handlers (party_commands.py) create its rows (create.py), reserve cores (resources.py), start tasks
(task_launch.py) and record what the initiator decides (party_status.py); workers report to their own server
(worker_reports.py). Status changes go through status_updates.py only (transition table + compare-and-set)."""
