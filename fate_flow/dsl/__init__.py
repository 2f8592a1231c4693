"""The job DSL and runtime conf as data: pure functions over JSON (stdlib + fate_flow.entity, no I/O, no
state), shared by the services that create and run jobs and by the scheduler that drives them.

  dsl_parser            DSL v1/v2 -> Dag (dag.py), every validation error naming component and field
  runtime_conf          runtime conf v1/v2 checks and party id normalisation -> RuntimeConf
  component_parameters  effective component parameters per (role, party)
  job_parameters        effective job parameters per (role, party), over caller-given defaults
  model_id              model id / party model id / model version
  predict_dsl           inference DSL derivation (v1 automatic, v2 deploy, /v1/job/dsl/generate)
  predict_job           predict job conf merge, checks and predict-conf templates
  dag_dependency        /v1/pipeline/dag/dependency data
  status_rules          a task's federated status from its parties, a job's status and progress from its tasks
  frozen, json_text     deep-frozen conf data; JSON text given where an object is expected
"""
