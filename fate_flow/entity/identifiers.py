"""The identifiers that reach this server from outside, written down once.

Job ids, model ids and versions, roles, party ids, component names, task ids and versions, table namespaces and
names, tags, file names and data-plane variable names arrive over HTTP (JSON bodies, query strings, multipart
fields), in federation commands, as data-plane keys and inside model archives. Many of them become directory
or file names under FATE_FLOW_HOME, so each is checked against its pattern here before anything uses it; a
refusal is an `IdentifierError` (retcode 101) naming the field.

The patterns accept what this server and FATE-Flow 1.6 generate (contract §0.5) and what FATE's clients and
examples send: job ids `202103311200000123451`, model ids `arbiter-10000#guest-9999#host-10000#model`, model
versions that are job ids or `unify_model_version` values such as `20200901_0001`, output namespaces
`output_data_<task_id>_<version>`, table names that are uuid hex. None of them can be empty, `.` or `..`, start
with a dot, or hold a path separator, a control character or a NUL.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Mapping

from fate_flow.entity.errors import InvalidParameterError

# the widest of the database columns that hold model ids, versions, names, task ids (t_*.f_model_id etc.)
NAME_COLUMN_WIDTH = 100
FILE_NAME_BYTES = 255
TASK_VERSION_MAX = 2 ** 31 - 1


class IdentifierError(InvalidParameterError):
    """A field that must be an identifier is not one."""


def shown(value: Any, width: int = 60) -> str:
    """`value` as messages quote it: repr (control characters and surrogates escaped), cut to `width`."""
    text = repr(value)
    return text if len(text) <= width else f"{text[:width]}... ({len(str(value))} characters)"


@dataclass(frozen=True)
class Identifier:
    """One kind of identifier: what it is called in messages, its pattern (matched in full) and its rule."""

    what: str
    pattern: re.Pattern
    rule: str
    # a fixed cap from the data model; None: the configured `limits.id_length`
    max_length: int | None = None
    # ints are accepted and turned into their decimal text (party ids, versions that are job ids...)
    integers: bool = True

    def check(self, field: str, value: Any, max_length: int = NAME_COLUMN_WIDTH) -> str:
        """`value` as this identifier's text; IdentifierError naming `field` otherwise."""
        if isinstance(value, bool) or not isinstance(value, (str, int)) or \
                (isinstance(value, int) and not self.integers):
            raise IdentifierError(f"parameter {field} must be {self.what} (a string), got {type(value).__name__}",
                                  field=field)
        text = str(value)
        limit = self.max_length if self.max_length is not None else max_length
        if len(text) > limit:
            raise IdentifierError(f"parameter {field} must be {self.what} of at most {limit} characters, got "
                                  f"{len(str(value))}", field=field)
        if not self.pattern.fullmatch(text):
            raise IdentifierError(f"parameter {field} must be {self.what} ({self.rule}), got {shown(value)}",
                                  field=field)
        return text


_WORD_START = r"[^\W_]"  # a letter or digit (any script)
JOB_ID = Identifier("a job id", re.compile(r"[A-Za-z0-9][A-Za-z0-9_\-]*"),
                    "letters, digits, '_' and '-', starting with a letter or digit", max_length=25)
ROLE = Identifier("a role", re.compile(r"[A-Za-z][A-Za-z0-9_]*"),
                  "letters, digits and '_', starting with a letter, e.g. guest, host, arbiter, local", max_length=50,
                  integers=False)
PARTY_ID = Identifier("a party id", re.compile(r"-?[0-9]+"), "an integer of at most 10 digits", max_length=40)
MODEL_ID = Identifier("a model id", re.compile(r"[A-Za-z0-9][A-Za-z0-9_#.\-]*"),
                      "letters, digits, '_', '-', '.' and '#', e.g. arbiter-10000#guest-9999#host-10000#model")
MODEL_VERSION = Identifier("a model version", re.compile(r"[A-Za-z0-9][A-Za-z0-9_.\-]*"),
                           "letters, digits, '_', '-' and '.', starting with a letter or digit, e.g. a job id or "
                           "20200901_0001")
COMPONENT_NAME = Identifier("a component name", re.compile(rf"{_WORD_START}[\w\-]*"),
                            "letters, digits, '_' and '-', starting with a letter or digit", integers=False)
TASK_ID = Identifier("a task id", re.compile(rf"{_WORD_START}[\w\-]*"),
                     "<job id>_<component name>: letters, digits, '_' and '-'", integers=False)
TABLE_NAMESPACE = Identifier("a table namespace", re.compile(rf"{_WORD_START}[\w.#\-]*"),
                             "letters, digits, '_', '-', '.' and '#', starting with a letter or digit")
TABLE_NAME = Identifier("a table name", re.compile(rf"{_WORD_START}[\w.#\-]*"),
                        "letters, digits, '_', '-', '.' and '#', starting with a letter or digit")
# free text kept in the database only: any printable characters
TAG_NAME = Identifier("a tag name", re.compile(r"[^\x00-\x1f\x7f]+"), "printable characters", integers=False)
SERVICE_ID = Identifier("a service id", re.compile(rf"{_WORD_START}[\w.#\-]*"),
                        "letters, digits, '_', '-', '.' and '#', starting with a letter or digit", integers=False)
# the name a file answer is saved as: one path component
FILE_NAME = Identifier("a plain file name", re.compile(r"(?!\.\.?$)[^/\\\x00-\x1f\x7f]+"),
                       "one file name: no '/', '\\' or control characters, not '.' or '..'", max_length=255,
                       integers=False)
# data-plane variable names and tags: never paths, but keys of the message store
VARIABLE_NAME = Identifier("a data-plane variable name or tag", re.compile(r"[^/\\\x00-\x1f\x7f]+"),
                           "printable characters without '/' or '\\'", max_length=65536, integers=False)


def check_task_version(field: str, value: Any) -> int:
    """A task version: an integer from 0 to 2**31-1 (the database column's range)."""
    if isinstance(value, str) and value.strip().isdigit() and len(value.strip()) <= 10:
        value = int(value.strip())
    if isinstance(value, bool) or not isinstance(value, int):
        raise IdentifierError(f"parameter {field} must be a task version (an integer), got {shown(value)}",
                              field=field)
    if not 0 <= value <= TASK_VERSION_MAX:
        raise IdentifierError(f"parameter {field} must be a task version between 0 and {TASK_VERSION_MAX}, got "
                              f"{shown(value)}", field=field)
    return value


def check_party_id(field: str, value: Any) -> str:
    """A party id as stored (contract §5): the decimal text of an integer of at most 10 digits."""
    text = PARTY_ID.check(field, value.strip() if isinstance(value, str) else value)
    if len(text.lstrip("-")) > 10:
        raise IdentifierError(f"parameter {field} must be a party id of at most 10 digits, got {shown(value)}",
                              field=field)
    return str(int(text))


def check_file_name(field: str, value: Any) -> str:
    text = FILE_NAME.check(field, value)
    if len(text.encode("utf-8", errors="surrogatepass")) > FILE_NAME_BYTES:
        raise IdentifierError(f"parameter {field} must be a plain file name of at most {FILE_NAME_BYTES} bytes",
                              field=field)
    return text


def check_party_model_id(field: str, value: Any, max_length: int = NAME_COLUMN_WIDTH) -> tuple[str, str, str]:
    """`<role>#<party_id>#<model_id>` (contract §0.5) as (role, party id, model id)."""
    text = str(value) if isinstance(value, (str, int)) and not isinstance(value, bool) else ""
    role, party_id, model_id = (text.split("#", 2) + ["", ""])[:3] if text.count("#") >= 2 else ("", "", "")
    if not (role and party_id and model_id):
        raise IdentifierError(f"parameter {field} must be a party model id <role>#<party_id>#<model_id>, got "
                              f"{shown(value)}", field=field)
    return (ROLE.check(f"{field} (role)", role), check_party_id(f"{field} (party id)", party_id),
            MODEL_ID.check(f"{field} (model id)", model_id, max_length))


# Request fields that always hold one identifier, wherever they arrive (HTTP body, query string, multipart
# field, federation command body). Routes whose fields mean something else read them with their own checks.
FIELDS: Mapping[str, Identifier] = {
    "job_id": JOB_ID,
    "role": ROLE,
    "initiator_role": ROLE,
    "src_role": ROLE,
    "dst_role": ROLE,
    "model_id": MODEL_ID,
    "model_version": MODEL_VERSION,
    "child_model_version": MODEL_VERSION,
    "unify_model_version": MODEL_VERSION,
    "component_name": COMPONENT_NAME,
    "task_id": TASK_ID,
    "namespace": TABLE_NAMESPACE,
    "table_name": TABLE_NAME,
    "tag_name": TAG_NAME,
    "new_tag_name": TAG_NAME,
    "service_id": SERVICE_ID,
}
PARTY_ID_FIELDS = ("party_id", "initiator_party_id", "src_party_id", "dst_party_id")
TASK_VERSION_FIELDS = ("task_version",)
FILE_NAME_FIELDS = ("filename",)


def check_fields(body: Mapping[str, Any], max_length: int = NAME_COLUMN_WIDTH,
                 skip: tuple[str, ...] = ()) -> None:
    """Check every identifier field present in `body` as a string or number (None and "" mean absent). A field
    of that name holding an object or a list means something else on its route (load's `role` map) and is left
    to the route's own parser, as is a field named in `skip`."""
    for field, value in body.items():
        if value is None or value == "" or field in skip or isinstance(value, bool) or \
                not isinstance(value, (str, int)):
            continue
        kind = FIELDS.get(field)
        if kind is not None:
            kind.check(field, value, max_length)
        elif field in PARTY_ID_FIELDS:
            check_party_id(field, value)
        elif field in TASK_VERSION_FIELDS:
            check_task_version(field, value)
        elif field in FILE_NAME_FIELDS:
            check_file_name(field, value)
