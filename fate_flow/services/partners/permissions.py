"""Partner permissions: what a party hosted on another server may make this server's parties do.

One store (t_partner_grant), two APIs over it, as FATE named them:
- FATE-Flow 1.6's privileges, per partner and partner role (`src_party_id`, `src_role`): the roles our
  parties may take in its jobs (`privilege_role`), the commands it may send (`privilege_command`: create,
  run, stop) and the components it may run here (`privilege_component`, lower-case module names);
- FATE-Flow 1.9's grants, per partner whatever role it takes (`party_id`): components (`component`) and the
  tables its jobs may read here (`dataset`).

A partner's job is checked when it is created here (role, commands create and run, every component our
party would run and every table it would read), and again at each task start (run) and stop. A value
granted for the partner's role or for any role counts. Parties hosted by this server need no grants.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Iterable, Mapping

from fate_flow.components.registry import ComponentRegistry
from fate_flow.db.base import write_transaction
from fate_flow.db.models import PartnerGrant
from fate_flow.dsl.component_parameters import args_inputs, component_parameters
from fate_flow.dsl.dag import SOURCE_ARGS
from fate_flow.entity.errors import ParameterError, PermissionDeniedError
from fate_flow.services.jobs.plan import JobPlan

ROLE, COMMAND, COMPONENT, DATASET = "role", "command", "component", "dataset"
ROLES = ("guest", "host", "arbiter")
CREATE, RUN, STOP = "create", "run", "stop"
COMMANDS = (CREATE, RUN, STOP)
ANY_ROLE = "*"
READER_MODULE = "Reader"
# how each API spells "every value"
ALL_V16, ALL_V19 = "all", "*"
PRIVILEGE_FIELDS = {ROLE: "privilege_role", COMMAND: "privilege_command", COMPONENT: "privilege_component"}


def component_choices(registry: ComponentRegistry) -> list[str]:
    """Grantable component values: the registered modules' names in lower case."""
    return sorted(m.lower() for m in registry.module_names())


def _choices(registry: ComponentRegistry, kind: str) -> list[str]:
    return {ROLE: list(ROLES), COMMAND: list(COMMANDS), COMPONENT: component_choices(registry)}[kind]


# ------------------------------------------------------------------------------------------------ values
@dataclass(frozen=True, order=True)
class Dataset:
    namespace: str
    name: str

    @property
    def value(self) -> str:
        return json.dumps([self.namespace, self.name], ensure_ascii=False, separators=(",", ":"))

    @classmethod
    def from_value(cls, value: str) -> "Dataset":
        namespace, name = json.loads(value)
        return cls(namespace, name)

    def to_dict(self) -> dict:
        return {"namespace": self.namespace, "name": self.name}

    def __str__(self) -> str:
        return f"{self.namespace}.{self.name}"


def parse_list(registry: ComponentRegistry, value: str, kind: str, all_word: str) -> list[str]:
    """A comma list of `kind` values (case-insensitive) or the API's word for all of them; each must exist."""
    words = [w.strip().lower() for w in value.split(",") if w.strip()]
    if all_word in words:
        return _choices(registry, kind)
    known = _choices(registry, kind)
    for word in words:
        if word not in known:
            raise ParameterError(f"{word} does not exist in the permission {kind}")
    return list(dict.fromkeys(words))


# ------------------------------------------------------------------------------------------------- store
def _rows(party_id: str, roles: Iterable[str], kind: str | None = None):
    query = PartnerGrant.select().where(PartnerGrant.f_party_id == party_id, PartnerGrant.f_role.in_(list(roles)))
    if kind is not None:
        query = query.where(PartnerGrant.f_kind == kind)
    return query


def _granted(party_id: str, role: str, kind: str) -> set[str]:
    return {r.f_value for r in _rows(party_id, [role], kind)}


def _grant(party_id: str, role: str, kind: str, values: Iterable[str]) -> None:
    rows = [dict(f_party_id=party_id, f_role=role, f_kind=kind, f_value=v, **PartnerGrant.audit_values())
            for v in values]
    if rows:
        PartnerGrant.insert_many(rows).on_conflict_ignore().execute()


def _revoke(party_id: str, role: str, kind: str, values: Iterable[str] | None) -> int:
    query = PartnerGrant.delete().where(PartnerGrant.f_party_id == party_id, PartnerGrant.f_role == role,
                                        PartnerGrant.f_kind == kind)
    if values is not None:
        query = query.where(PartnerGrant.f_value.in_(list(values)))
    return query.execute()


# ------------------------------------------------------------------------ FATE-Flow 1.6: privileges
def grant_privilege(registry: ComponentRegistry, src_party_id: str, src_role: str, privileges: Mapping[str, str | None]) -> None:
    """`privileges` maps role/command/component to the request's comma list (or "all"), None when absent."""
    parsed = {kind: parse_list(registry, value, kind, ALL_V16) for kind, value in privileges.items() if value}
    with write_transaction():
        for kind, values in parsed.items():
            _grant(src_party_id, src_role, kind, values)


def delete_privilege(registry: ComponentRegistry, src_party_id: str, src_role: str, privileges: Mapping[str, str | None]) -> None:
    with write_transaction():
        for kind, value in privileges.items():
            if not value:
                continue
            if ALL_V16 in [w.strip().lower() for w in value.split(",")]:
                _revoke(src_party_id, src_role, kind, None)
                continue
            values = parse_list(registry, value, kind, ALL_V16)
            granted = _granted(src_party_id, src_role, kind)
            for v in values:
                if v not in granted:
                    raise ParameterError(f"{kind} {v} is not authorized ,it cannot be deleted")
            _revoke(src_party_id, src_role, kind, values)


def query_privilege(registry: ComponentRegistry, src_party_id: str, src_role: str) -> dict:
    data: dict[str, Any] = {"src_party_id": src_party_id, "role": src_role}
    for kind, name in PRIVILEGE_FIELDS.items():
        data[name] = sorted(_granted(src_party_id, src_role, kind), key=_order(registry, kind))
    return data


def _order(registry: ComponentRegistry, kind: str):
    choices = {c: i for i, c in enumerate(_choices(registry, kind))}
    return lambda v: (choices.get(v, len(choices)), v)


# ------------------------------------------------------------------------ FATE-Flow 1.9: grants
def grant_permission(registry: ComponentRegistry, party_id: str, component: str | None, datasets: list[Dataset] | None) -> None:
    with write_transaction():
        if component:
            _grant(party_id, ANY_ROLE, COMPONENT, parse_list(registry, component, COMPONENT, ALL_V19))
        if datasets:
            _grant(party_id, ANY_ROLE, DATASET, [d.value for d in datasets])


def delete_permission(registry: ComponentRegistry, party_id: str, component: str | None, datasets: list[Dataset] | str | None) -> None:
    """`datasets` "*" deletes every table grant of the partner."""
    with write_transaction():
        if component:
            everything = ALL_V19 in [w.strip() for w in component.split(",")]
            _revoke(party_id, ANY_ROLE, COMPONENT, None if everything else parse_list(registry, component, COMPONENT,
                                                                                     ALL_V19))
        if datasets == ALL_V19:
            _revoke(party_id, ANY_ROLE, DATASET, None)
        elif datasets:
            _revoke(party_id, ANY_ROLE, DATASET, [d.value for d in datasets])


def query_permission(party_id: str) -> dict:
    return {"component": sorted(_granted(party_id, ANY_ROLE, COMPONENT)),
            "dataset": [d.to_dict() for d in sorted(Dataset.from_value(v)
                                                   for v in _granted(party_id, ANY_ROLE, DATASET))]}


# ---------------------------------------------------------------------------------------------- checks
@dataclass
class Needs:
    """What a partner's command asks of one of our parties."""

    roles: set[str] = field(default_factory=set)
    commands: set[str] = field(default_factory=set)
    components: set[str] = field(default_factory=set)
    datasets: set[Dataset] = field(default_factory=set)

    def by_kind(self) -> dict[str, set[str]]:
        return {ROLE: self.roles, COMMAND: self.commands, COMPONENT: self.components,
                DATASET: {d.value for d in self.datasets}}

    def __bool__(self) -> bool:
        return bool(self.roles or self.commands or self.components or self.datasets)


def job_needs(plan: JobPlan, role: str, party_id: str) -> Needs:
    """A job created on our (role, party): the role, create and run, every component it runs there and every
    table those read there."""
    needs = Needs(roles={role}, commands={CREATE, RUN})
    for component in plan.components_of(role, party_id):
        needs.components.add(plan.dag.components[component].module.lower())
        needs.datasets |= tables_read(plan, component, role, party_id)
    return needs


def task_needs(plan: JobPlan, component: str, role: str, party_id: str, command: str) -> Needs:
    needs = Needs(roles={role}, commands={command})
    if command == RUN:
        needs.components.add(plan.dag.components[component].module.lower())
        needs.datasets |= tables_read(plan, component, role, party_id)
    return needs


def tables_read(plan: JobPlan, component: str, role: str, party_id: str) -> set[Dataset]:
    """The stored tables a component reads on a party: a Reader's `table`, and v1 `args` data."""
    node = plan.dag.components[component]
    found: set[Dataset] = set()
    if node.module == READER_MODULE:
        params = component_parameters(plan.dag, plan.conf, component, role, party_id)
        table = params.get("table")
        if not isinstance(table, dict):  # the first object parameter, as the Reader takes it
            table = next((v for v in params.values() if isinstance(v, dict)), None)
        if isinstance(table, dict) and table.get("namespace") and table.get("name"):
            found.add(Dataset(str(table["namespace"]), str(table["name"])))
    named = args_inputs(plan.conf).get(role, {}).get(int(party_id), {})
    for refs in node.data_inputs.values():
        for ref in refs:
            table = named.get(ref.output) if ref.source == SOURCE_ARGS else None
            if isinstance(table, dict) and table.get("namespace") and table.get("name"):
                found.add(Dataset(str(table["namespace"]), str(table["name"])))
    return found


def missing(partner: str, partner_role: str, needs: Needs) -> Needs:
    """What `needs` asks that the partner (in `partner_role`) has not been granted."""
    granted: dict[str, set[str]] = {}
    for row in _rows(partner, {partner_role, ANY_ROLE}):
        granted.setdefault(row.f_kind, set()).add(row.f_value)
    return Needs(roles=needs.roles - granted.get(ROLE, set()),
                 commands=needs.commands - granted.get(COMMAND, set()),
                 components=needs.components - granted.get(COMPONENT, set()),
                 datasets={d for d in needs.datasets if d.value not in granted.get(DATASET, set())})


def denial(lacking: Needs, partner: str, partner_role: str, partner_address: str, action: str,
           role: str, party_id: str) -> PermissionDeniedError:
    """The refusal, naming the partner and exactly what it lacks, and where to grant it."""
    parts = []
    for label, values in (("role", sorted(lacking.roles)), ("command", _in_order(lacking.commands, COMMANDS)),
                          ("component", sorted(lacking.components)),
                          ("table", [str(d) for d in sorted(lacking.datasets)])):
        if values:
            parts.append(f"{label}{'s' if len(values) > 1 else ''} {', '.join(values)}")
    where = []
    if lacking.roles or lacking.commands:
        where.append(f"/v1/permission/grant/privilege (src_party_id {partner}, src_role {partner_role}: "
                     f"privilege_role, privilege_command, privilege_component)")
    if lacking.datasets or (lacking.components and not where):
        where.append(f"/v1/permission/grant (party_id {partner}: component, dataset)")
    return PermissionDeniedError(
        f"permission denied: {role} {party_id} has not granted {partner_role} {partner} (server {partner_address}) "
        f"{'; '.join(parts)} to {action}; grant them on {role} {party_id}'s server with {' and '.join(where)}")


def _in_order(values: set[str], order: tuple[str, ...]) -> list[str]:
    return [v for v in order if v in values] + sorted(values - set(order))
