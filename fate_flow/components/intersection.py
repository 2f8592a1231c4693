"""Intersection: the guest and its hosts find the sample ids they all hold (private set intersection),
and each party keeps its own rows for those ids.

Methods (FATE 1.6's IntersectParam): "raw" (ids, optionally hashed, are sent to the join role; see
intersection_raw) and "rsa" (blind RSA signatures: no party sees an id of another that is outside the
intersection; see intersection_rsa). Output: the party's input rows restricted to the intersection, same
values and schema (with only_output_key, id -> "intersect_id"). A party that does not learn the
intersection (sync_intersect_ids false) outputs no data and reports -1, as FATE does.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from fate_flow.components import intersection_raw, intersection_rsa
from fate_flow.components.base import Component, ComponentContext, ComponentOutput
from fate_flow.components.id_hashing import DIGESTS
from fate_flow.components.params import ComponentParams
from fate_flow.entity.errors import DataError, ParameterError

GUEST, HOST = "guest", "host"
METHODS = ("raw", "rsa")
ONLY_KEY_VALUE = "intersect_id"
METRIC_NAMESPACE, METRIC_NAME, METRIC_TYPE = "train", "intersection", "INTERSECTION"
ALL_HASHES = tuple(DIGESTS)  # md5, sha1, sha224, sha256, sha384, sha512, sm3
RSA_FIRST_HASHES = ("sha256", "sha384", "sha512", "sm3")
MAX_KEY_LENGTH = 8192

# nested parameter objects: name -> (allowed types, default, allowed values or None)
_Spec = dict[str, tuple[tuple[type, ...], Any, tuple | None]]
ENCODE_PARAMS: _Spec = {"salt": ((str,), "", None),
                        "encode_method": ((str,), "none", ("none",) + ALL_HASHES),
                        "base64": ((bool,), False, None)}
RSA_PARAMS: _Spec = {"salt": ((str,), "", None),
                     "hash_method": ((str,), "sha256", RSA_FIRST_HASHES),
                     "final_hash_method": ((str,), "sha256", ALL_HASHES),
                     "split_calculation": ((bool,), False, None),
                     "random_base_fraction": ((float, int, type(None)), None, None),
                     "key_length": ((int,), 1024, None)}
CACHE_PARAMS: _Spec = {"use_cache": ((bool,), False, None),
                       "id_type": ((str,), "phone", ("phone", "imei")),
                       "encrypt_type": ((str,), "sha256", ("md5", "sha256"))}
PREPROCESS_PARAMS: _Spec = {"false_positive_rate": ((float, int), 1e-3, None),
                            "encrypt_method": ((str,), "rsa", ("rsa",)),
                            "hash_method": ((str,), "sha256", ALL_HASHES),
                            "preprocess_method": ((str,), "sha256", ALL_HASHES),
                            "preprocess_salt": ((str,), "", None),
                            "random_state": ((int, type(None)), None, None),
                            "filter_owner": ((str,), GUEST, (GUEST, HOST))}


@dataclass
class IntersectionParams(ComponentParams):
    intersect_method: str = "raw"
    # accepted and checked, but the RSA blinding factor is always drawn from all of Z_n* (see intersection_rsa)
    random_bit: int = 128
    sync_intersect_ids: bool = True
    join_role: str = GUEST
    with_encode: bool = False
    only_output_key: bool = False
    encode_params: dict = field(default_factory=dict)
    rsa_params: dict = field(default_factory=dict)
    intersect_cache_param: dict = field(default_factory=dict)
    repeated_id_process: bool = False
    repeated_id_owner: str = GUEST
    with_sample_id: bool = False
    allow_info_share: bool = False
    info_owner: str = GUEST
    # names of later FATE releases, accepted with the value that keeps 1.6's behaviour
    join_method: str = "inner_join"
    new_sample_id: bool = False
    sample_id_generator: str = GUEST
    intersect_preprocess_params: dict = field(default_factory=dict)

    def check(self, where: str) -> None:
        self.intersect_method = _choice(where, "intersect_method", self.intersect_method, METHODS,
                                        " (FATE 1.6 has no other intersection method)")
        self.join_role = _choice(where, "join_role", self.join_role, (GUEST, HOST))
        self.repeated_id_owner = _choice(where, "repeated_id_owner", self.repeated_id_owner, (GUEST,))
        self.info_owner = _choice(where, "info_owner", self.info_owner, (GUEST, HOST))
        self.join_method = _choice(where, "join_method", self.join_method, ("inner_join",),
                                   " (left_join is not supported)")
        self.sample_id_generator = _choice(where, "sample_id_generator", self.sample_id_generator, (GUEST, HOST))
        if self.random_bit < 1:
            raise ParameterError(f"{where}parameter random_bit must be a positive integer, got {self.random_bit}")
        self.encode_params = _nested(where, "encode_params", self.encode_params, ENCODE_PARAMS)
        self.rsa_params = _nested(where, "rsa_params", self.rsa_params, RSA_PARAMS)
        self.intersect_cache_param = _nested(where, "intersect_cache_param", self.intersect_cache_param, CACHE_PARAMS)
        self.intersect_preprocess_params = _nested(where, "intersect_preprocess_params",
                                                   self.intersect_preprocess_params, PREPROCESS_PARAMS)
        key_length = self.rsa_params["key_length"]
        if not intersection_rsa.MIN_KEY_LENGTH <= key_length <= MAX_KEY_LENGTH:
            raise ParameterError(f"{where}parameter rsa_params.key_length must be between "
                                 f"{intersection_rsa.MIN_KEY_LENGTH} and {MAX_KEY_LENGTH}, got {key_length}")
        unsupported = (
            ("repeated_id_process", self.repeated_id_process, "repeated ids are not supported"),
            ("allow_info_share", self.allow_info_share, "information sharing is not supported"),
            ("with_sample_id", self.with_sample_id, "sample ids are not supported"),
            ("new_sample_id", self.new_sample_id, "new sample ids are not supported"),
            ("intersect_cache_param.use_cache", self.intersect_cache_param["use_cache"],
             "the intersection cache is not supported"),
            ("rsa_params.split_calculation", self.rsa_params["split_calculation"],
             "split calculation is not supported; the unified calculation is used"),
        )
        for name, value, why in unsupported:
            if value:
                raise ParameterError(f"{where}parameter {name} must be false: {why}")
        if self.rsa_params["random_base_fraction"] is not None:
            raise ParameterError(f"{where}parameter rsa_params.random_base_fraction must be null: reusing blinding "
                                 f"factors would let the host link the guest's ids")

    def rsa_settings(self) -> intersection_rsa.RsaSettings:
        p = self.rsa_params
        return intersection_rsa.RsaSettings(p["key_length"], p["hash_method"], p["final_hash_method"], p["salt"],
                                            self.sync_intersect_ids)

    def raw_settings(self) -> intersection_raw.RawSettings:
        p = self.encode_params
        method = p["encode_method"] if self.with_encode and p["encode_method"] != "none" else None
        return intersection_raw.RawSettings(self.join_role, self.sync_intersect_ids, method, p["salt"], p["base64"])


def _choice(where: str, name: str, value: str, allowed: tuple, note: str = "") -> str:
    """`value` lower-cased (FATE accepts any case) if allowed."""
    lowered = value.lower()
    if lowered not in allowed:
        raise ParameterError(f"{where}parameter {name} must be one of {', '.join(allowed)}, got {value!r}{note}")
    return lowered


def _nested(where: str, name: str, value: Any, spec: _Spec) -> dict:
    """A nested parameter object with its defaults filled in; unknown keys and bad values name the field."""
    if value is None:
        value = {}
    if not isinstance(value, dict):
        raise ParameterError(f"{where}parameter {name} must be an object, got {value!r}")
    unknown = sorted(k for k in value if k not in spec)
    if unknown:
        raise ParameterError(f"{where}redundant parameter(s) {', '.join(f'{name}.{k}' for k in unknown)}")
    result = {}
    for key, (types, default, allowed) in spec.items():
        v = value.get(key, default)
        what = f"{where}parameter {name}.{key}"
        if isinstance(v, bool) and bool not in types or not isinstance(v, types):
            shown = " or ".join("null" if t is type(None) else t.__name__ for t in types)
            raise ParameterError(f"{what} must be of type {shown}, got {v!r}")
        if allowed is not None:
            v = _choice(where, f"{name}.{key}", v, allowed)
        result[key] = v
    return result


class Intersection(Component):
    module = "Intersection"
    params_class = IntersectionParams

    def run(self, ctx: ComponentContext, params: IntersectionParams) -> ComponentOutput:
        if ctx.role not in (GUEST, HOST):
            raise DataError(f"{self.module} runs on guest and host, not {ctx.role}")
        if not ctx.parties(GUEST) or not ctx.parties(HOST):
            raise DataError(f"{self.module} needs a guest and at least one host in the job")
        refs = ctx.input_tables("data")
        if not refs:
            raise DataError(f"{self.module} needs an input table (input.data.data)")
        ref = refs[0]
        table = ctx.load_table(ref)
        ids = [k for k, _ in table.collect()]
        if params.intersect_method == "rsa":
            protocol = intersection_rsa.guest_intersect if ctx.role == GUEST else intersection_rsa.host_intersect
            common = protocol(ctx, ids, params.rsa_settings())
        else:
            common = intersection_raw.intersect(ctx, ids, params.raw_settings())
        if common is None:
            ctx.log.info("%s: sync_intersect_ids is false, so this %s does not learn the intersection",
                         self.module, ctx.role)
            count, rate = -1, -1
        else:
            count = len(common)
            rate = count / len(ids) if ids else 0.0
            ctx.log.info("%s (%s): %s of %s ids in the intersection", self.module, params.intersect_method, count,
                         len(ids))
        ctx.tracker.set_metric_meta(METRIC_NAMESPACE, METRIC_NAME, {"name": METRIC_NAME, "metric_type": METRIC_TYPE})
        ctx.tracker.log_metric_data(METRIC_NAMESPACE, METRIC_NAME, [("intersect_count", count),
                                                                    ("intersect_rate", rate)])
        summary = {"intersect_num": count, "intersect_rate": rate}
        if common is None:
            return ComponentOutput(summary=summary)
        output_name = ctx.spec.output_data[0] if ctx.spec.output_data else "data"
        result = table.filter(lambda k, v: k in common)
        schema = dict(ref.schema or {})
        if params.only_output_key:
            result = result.map_values(lambda v: ONLY_KEY_VALUE)
            schema = {k: v for k, v in schema.items() if k in ("sid", "sid_name")}
            schema["header"] = []
        return ComponentOutput(data={output_name: result}, schemas={output_name: schema}, summary=summary)
