"""What a server holds to send to other parties' servers: the federation settings, the site authenticator,
the channel pool, the sessions opened with partners for data-plane values, the codec and the threads that
send in parallel. The control plane (client.py) and the data plane (data_plane.py) both send through it."""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from fate_flow.federation.config import FederationSettings
from fate_flow.federation.keys import KeyRing
from fate_flow.federation.sessions import SenderSessions
from fate_flow.federation.signing import SiteAuthenticator
from fate_flow.federation.transport import ChannelPool
from fate_flow.serde.codec import Codec


class SiteLink:
    def __init__(self, fed: FederationSettings, keys: KeyRing, codec: Codec | None = None, fan_out_threads: int = 16):
        self.fed = fed
        self.auth = SiteAuthenticator(keys, enabled=fed.site_auth)
        self.channels = ChannelPool(fed)
        self.sessions = SenderSessions(self.auth)
        self.codec = codec or Codec()
        self.executor = ThreadPoolExecutor(max_workers=fan_out_threads, thread_name_prefix="federation")

    def close(self) -> None:
        self.executor.shutdown(wait=False, cancel_futures=True)
        self.channels.close()
