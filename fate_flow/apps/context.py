"""How a handler reaches the server's runtime: the one way, `runtime()`."""
from flask import current_app

from fate_flow.services.runtime import Runtime

# key of the Runtime in Flask's app.extensions (set by create_app)
EXTENSION = "fate_flow.runtime"


def runtime() -> Runtime:
    """The runtime of the running app."""
    return current_app.extensions[EXTENSION]
