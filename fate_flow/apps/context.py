from flask import current_app

from fate_flow.services.context import EXTENSION, ServiceContext


def ctx() -> ServiceContext:
    """The service context of the running app."""
    return current_app.extensions[EXTENSION]
