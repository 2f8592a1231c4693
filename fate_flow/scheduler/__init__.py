"""The initiator's DAG scheduler (tick(now) over the database, run by a loop thread), the party-side detector,
and the initiator's control of a job across its parties (fan-out of commands, ending, stop, rerun)."""
