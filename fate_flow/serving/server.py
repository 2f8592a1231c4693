"""The serving process: `python -m fate_flow.serving [--conf PATH]` (bin/service.sh start serving).

Reads the same service conf and FATE_FLOW_HOME as the flow server and wires:
    gRPC on serving.grpc_port   FATE-Serving's ModelService (FATE-Flow's load/bind) and, beside it, the signed
                                federation control plane its partners' servings call for partial scores
    HTTP on serving.http_port   POST /federation/v1/inference, POST /serving/status

Servings sign as the parties of fateflow.party_ids with their keys under FATE_FLOW_HOME/keys and check their
partners' signatures against the route tables' public keys, like the flow servers. The serving's own state
(the replay guard's nonces) lives under FATE_FLOW_HOME/serving. Loaded models are held in memory only.
"""
from __future__ import annotations

import argparse
import logging
import logging.handlers
import signal
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from types import MappingProxyType

import grpc

from fate_flow.client.http_client import FlowHttpClient
from fate_flow.client.signing import Credentials
from fate_flow.entity import audit
from fate_flow.federation.client import PING, FederationClient
from fate_flow.federation.config import FederationConfigError, FederationSettings, TlsSettings, federation_settings
from fate_flow.federation.keys import KeyRing
from fate_flow.federation.registry import CommandRegistry
from fate_flow.federation.replay import ReplayGuard
from fate_flow.federation.admission import RpcGuard
from fate_flow.federation.server import connection_limits, server_limits
from fate_flow.federation.service import ControlPlaneService, add_control_plane
from fate_flow.federation.signing import SiteAuthenticator
from fate_flow.proto import model_service_pb2_grpc
from fate_flow.serving.feature_adapter import TableFeatureAdapter
from fate_flow.serving.http_api import INFERENCE_PATH, STATUS_PATH, RequestAuthenticator, ServingHttpServer
from fate_flow.serving.inference import PARTIAL_SCORE, InferenceService
from fate_flow.serving.loaded_models import ModelRegistry
from fate_flow.serving.model_fetch import fetch_model, transfer_address
from fate_flow.serving.model_service import ModelService
from fate_flow.serving.settings import ServingSettings, serving_home, serving_settings
from fate_flow.settings import PROJECT_ROOT, Settings, SettingsError, load_settings

LOG = logging.getLogger("fate_flow.serving")
LOG_FORMAT = "[%(levelname)s] [%(asctime)s] [%(process)d:%(thread)d] - %(filename)s[line:%(lineno)d]: %(message)s"
GRPC_THREADS = 32


def serving_federation(settings: Settings, serving: ServingSettings) -> tuple[FederationSettings, KeyRing]:
    """The federation settings of the serving (its routes, its port, its own nonce store; no TLS, a short
    timeout and one retry, as an online call has milliseconds to spare) and the parties' key ring."""
    main = federation_settings(settings, PROJECT_ROOT)
    routes = MappingProxyType(dict(serving.routes))
    keys = KeyRing.load(replace(main, routes=routes))  # the party keys under FATE_FLOW_HOME/keys
    fed = replace(main, home=serving_home(settings), host=serving.host, grpc_port=serving.grpc_port, routes=routes,
                  route_source="serving.route_table of the service conf", tls=TlsSettings(),
                  command_timeout=serving.remote_timeout,
                  connect_timeout=min(main.connect_timeout, serving.remote_timeout), retries=1, retry_backoff=0.05)
    return fed, keys


def own_credentials(settings: Settings) -> Credentials | None:
    """The app key the serving signs its calls to the flow server with (fateflow.http_app_key/http_secret_key)."""
    auth = settings.http_auth
    return Credentials(auth.own_app_key, auth.own_secret_key) if auth.own_app_key else None


class ServingServer:
    def __init__(self, settings: Settings, serving: ServingSettings):
        self.settings = settings
        self.serving = serving
        self.fed, keys = serving_federation(settings, serving)
        self.registry = ModelRegistry()
        self.client = FederationClient(self.fed, keys)
        flow_host = "127.0.0.1" if settings.fateflow.host in ("0.0.0.0", "", "::") else settings.fateflow.host
        self.credentials = own_credentials(settings)
        self.flow = FlowHttpClient(flow_host, settings.fateflow.http_port, timeout=serving.remote_timeout,
                                   credentials=self.credentials)
        # the flow server whose /v1/model/transfer requests are signed (never one a publishLoad names elsewhere)
        self.own_flow = {(flow_host, settings.fateflow.http_port),
                         (settings.fateflow.host, settings.fateflow.http_port)}
        self.inference = InferenceService(self.registry, self.client,
                                          TableFeatureAdapter(serving.feature_tables, self.flow),
                                          serving.id_field, serving.remote_timeout)
        commands = CommandRegistry()
        commands.register(PARTIAL_SCORE, self.inference.partial_score)
        commands.register(PING, lambda cmd: {"retcode": 0, "retmsg": "pong"})
        self.replay = ReplayGuard(self.fed.store_dir / "nonces", self.fed.max_clock_skew)
        auth = SiteAuthenticator(keys, enabled=self.fed.site_auth, replay=self.replay)
        # partial-score calls are awaited under the same admission limits as the flow server's control plane
        self.guard = RpcGuard(server_limits(self.fed))
        self.grpc = grpc.server(ThreadPoolExecutor(max_workers=GRPC_THREADS, thread_name_prefix="serving-grpc"),
                                options=[("grpc.so_reuseport", 0), *connection_limits(self.fed)])
        model_service_pb2_grpc.add_ModelServiceServicer_to_server(
            ModelService(self.registry, self.fed.local_parties, self._fetch_model), self.grpc)
        add_control_plane(ControlPlaneService(self.fed, auth, commands), self.grpc, self.guard)
        address = f"{serving.host}:{serving.grpc_port}"
        try:
            port = self.grpc.add_insecure_port(address)
        except RuntimeError as e:
            port = 0
            LOG.error("cannot listen for gRPC on %s: %s", address, e)
        if not port:
            self.replay.close()
            raise FederationConfigError(f"the serving cannot listen for gRPC on {address} (serving.grpc_port in use?)")
        try:
            self.http = ServingHttpServer(serving.host, serving.http_port,
                                          {INFERENCE_PATH: self.inference.infer, STATUS_PATH: self.status},
                                          RequestAuthenticator(settings.http_auth))
        except OSError as e:
            self.replay.close()
            raise FederationConfigError(f"the serving cannot listen for HTTP on {serving.host}:{serving.http_port} "
                                        f"(serving.http_port): {e.strerror or e}") from None

    def _fetch_model(self, file_path: str, namespace: str, version: str) -> dict[str, bytes]:
        signed = transfer_address(file_path) in self.own_flow
        return fetch_model(file_path, namespace, version, credentials=self.credentials if signed else None)

    def start(self) -> "ServingServer":
        self.guard.start()
        self.grpc.start()
        self.http.start()
        LOG.info("serving for parties %s: ModelService and partial scores on gRPC %s:%s, inference on http://%s:%s%s"
                 " (site_auth %s)", ", ".join(self.fed.local_parties) or "none", self.serving.host,
                 self.serving.grpc_port, self.serving.host, self.serving.http_port, INFERENCE_PATH,
                 "on" if self.fed.site_auth else "OFF")
        return self

    def stop(self, grace: float = 3.0) -> None:
        self.http.stop()
        self.grpc.stop(grace).wait(grace + 1)
        self.guard.stop()
        self.client.close()
        self.flow.session.close()
        self.replay.close()

    def status(self, body: object) -> dict:
        models = [{"namespace": m.key.namespace, "tableName": m.key.version, "serviceIds": services, **m.summary()}
                  for m, services in self.registry.listing()]
        return {"retcode": 0, "retmsg": "success",
                "data": {"parties": list(self.fed.local_parties), "models": models,
                         "feature_tables": {p: str(t) for p, t in self.serving.feature_tables.items()}}}


def setup_logging(settings: Settings) -> None:
    log_dir = settings.logs_dir / "fate_flow_serving"
    log_dir.mkdir(parents=True, exist_ok=True)
    root = logging.getLogger()
    root.setLevel(settings.log.level)
    handler = logging.handlers.WatchedFileHandler(log_dir / "serving.log", encoding="utf-8")
    handler.setFormatter(logging.Formatter(LOG_FORMAT))
    root.addHandler(handler)
    audit_dir = settings.logs_dir / "fate_flow"  # refusals: the flow server's audit file, one line each
    audit_dir.mkdir(parents=True, exist_ok=True)
    audit_log = logging.getLogger(audit.LOGGER_NAME)
    audit_log.propagate = False
    audit_handler = logging.handlers.WatchedFileHandler(audit_dir / audit.FILE_NAME, encoding="utf-8")
    audit_handler.setFormatter(logging.Formatter("%(asctime)s %(message)s"))
    audit_log.addHandler(audit_handler)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m fate_flow.serving",
                                     description="fate_flow's bundled online serving (FATE-Serving's ModelService "
                                                 "and HTTP inference)")
    parser.add_argument("--conf", help="service conf (default: $FATE_FLOW_CONF, else conf/service_conf.yaml)")
    args = parser.parse_args(argv)
    try:
        settings = load_settings(args.conf)
        serving = serving_settings(settings)
    except (SettingsError, FederationConfigError) as e:
        print(f"fate_flow serving: {e}", file=sys.stderr)
        return 2
    setup_logging(settings)
    try:
        server = ServingServer(settings, serving).start()
    except (FederationConfigError, SettingsError) as e:
        LOG.error("%s", e)
        print(f"fate_flow serving: {e}", file=sys.stderr)
        return 1
    stopping = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stopping.set())
    print(f"fate_flow serving: gRPC {serving.host}:{serving.grpc_port}, HTTP {serving.host}:{serving.http_port}",
          flush=True)
    stopping.wait()
    LOG.info("serving stopping")
    server.stop()
    return 0
