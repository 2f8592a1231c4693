"""fate_flow: job scheduling and model management for federated learning, speaking FATE-Flow 1.6's /v1 API."""

__version__ = "0.1.0"
