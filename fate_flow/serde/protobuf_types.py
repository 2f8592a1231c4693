"""Model buffers by type name: every generated message of fate_flow.proto, found by its full name.

A model buffer is stored with its message's full name (e.g. fate_flow.components.LRModelParam); the
tracking API renders it and a worker parses it back for predict mode through this one lookup.
"""
from __future__ import annotations

import importlib
import pkgutil

from google.protobuf import descriptor_pool, message_factory
from google.protobuf.message import Message

import fate_flow.proto


class UnknownMessageType(KeyError):
    pass


def _load_proto_modules() -> None:
    """Import every generated *_pb2 module so its messages are in the default descriptor pool."""
    for module in pkgutil.iter_modules(fate_flow.proto.__path__):
        if module.name.endswith("_pb2"):
            importlib.import_module(f"fate_flow.proto.{module.name}")


def message_class(type_name: str) -> type[Message]:
    _load_proto_modules()
    try:
        descriptor = descriptor_pool.Default().FindMessageTypeByName(type_name)
    except KeyError:
        raise UnknownMessageType(f"unknown model buffer type {type_name!r}") from None
    return message_factory.GetMessageClass(descriptor)


def parse_buffer(type_name: str, data: bytes) -> Message:
    message = message_class(type_name)()
    message.ParseFromString(data)
    return message
