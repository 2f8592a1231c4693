"""The bundled online serving: a process of its own (`python -m fate_flow.serving`, `bin/service.sh start
serving`) that speaks FATE-Serving's ModelService gRPC (publishLoad/publishBind/unload/unbind/queryModel), loads
models through FATE-Flow's /v1/model/transfer and answers online inference over HTTP JSON at
POST /federation/v1/inference, asking the hosts' servings for their partial scores over signed federation.

May import settings, entity, proto, serde, federation, client, model, computing (storage) and the components'
model readers; never db, apps, app, server, services, scheduler or worker (tests/test_layering.py).
"""
