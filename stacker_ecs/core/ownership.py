"""One environment never changes another: what a stack reads from other stacks must be its own namespace's.

A version stack takes the cluster's and its application's outputs (cluster name, VPC, subnets,
security group, log group, listener, domain); an application stack takes the cluster's (its load
balancers' shared security group among them). Were one
of them read from another environment's stack (a copied config still naming ``ecs-dev-...``),
the version would add its host rule to the other environment's listener and its service to the
other's cluster. So every such value is checked, when the stack renders and before anything is
created, against what its own namespace's stacks say:

- the ``ecs_sources`` lookup (Sceptre: resolver) reads the stacks the namespace's stack should read
  (``<namespace>-cluster``, ``<namespace>-app-<app>``), which say which namespace and app they
  serve (their ``Namespace`` and ``App`` outputs), and which namespace owns each value other
  stacks export (CloudFormation exports ``<stack>-<output>``), into the ``Sources`` variable;
- :func:`check_sources` (called by :func:`stacker_ecs.core.blueprint.render_stack`) refuses a
  value that is not its own namespace's in one line naming both namespaces.
"""

from __future__ import annotations

import json
from typing import Any

from pydantic import field_validator

from stacker_ecs.core import contract, naming
from stacker_ecs.core.errors import ConfigError
from stacker_ecs.core.model import Args
from stacker_ecs.core.validation import check_name

SOURCES = "Sources"
CLUSTER = "cluster"
APPLICATION = "application"

READS: dict[str, dict[str, str]] = {
    "version": {contract.CLUSTER_NAME: CLUSTER, contract.VPC_ID: CLUSTER, contract.SUBNETS: CLUSTER,
                contract.CONTAINER_SECURITY_GROUP_ID: CLUSTER, contract.LOG_GROUP_NAME: CLUSTER,
                contract.LISTENER_ARN: APPLICATION, contract.DOMAIN: APPLICATION},
    "application": {contract.CLUSTER_NAME: CLUSTER, contract.VPC_ID: CLUSTER,
                    contract.SHARED_LOAD_BALANCER_SECURITY_GROUP_ID: CLUSTER},
}
"""Stack kind -> variable it reads from another stack -> which of its namespace's stacks (same output name)."""
QUERY = {"version": "${ecs_sources <app>}", "application": "${ecs_sources <app>}"}


class SourcesQuery(Args):
    """``${ecs_sources <app>}``."""

    app: str
    """The app whose stack reads (a version's or application's)."""
    namespace: str
    """The environment's namespace; hooks and lookups default to the config's, or the Sceptre stack's."""

    _app = field_validator("app")(lambda v: check_name("app", v))


def _text(value: Any) -> str:
    """Return a value as compared: lists (subnets) as ``a,b``."""
    if isinstance(value, (list, tuple)):
        return ",".join(str(item).strip() for item in value)
    return ",".join(part.strip() for part in str(value).split(",")) if "," in str(value) else str(value).strip()


def namespace_of_stack(stack_name: str) -> str:
    """Return the namespace a stack name of this suite starts with (best effort, for stacks without ``Namespace``)."""
    if naming.VERSION_SEPARATOR in stack_name:
        stack_name = stack_name.split(naming.VERSION_SEPARATOR, 1)[0]
    if f"-{naming.APP_PREFIX}-" in stack_name:
        return stack_name.rsplit(f"-{naming.APP_PREFIX}-", 1)[0]
    return stack_name.removesuffix(f"-{naming.CLUSTER_SUFFIX}")


def read_sources(exports: list[dict[str, Any]], cluster: dict[str, str] | None,
                 application: dict[str, str] | None, *, namespace: str, app: str) -> dict[str, Any]:
    """Return what :func:`check_sources` compares with: the namespace's stacks' outputs and the exports' owners.

    ``exports`` is ``ListExports``' list; an export ``<stack>-<output>`` of a checked output tells which
    namespace owns its value (the stack's ``Namespace`` export, or the namespace its name starts with).
    """
    checked = {name for reads in READS.values() for name in reads}
    stack_of = {e["Name"]: e.get("ExportingStackId", "").split("/")[1] if "/" in e.get("ExportingStackId", "")
                else "" for e in exports}
    namespaces = {stack: e["Value"] for e in exports
                  for stack in [stack_of[e["Name"]]] if e["Name"] == naming.export_name(stack, contract.NAMESPACE)}
    owners: dict[str, str] = {}
    for export in exports:
        stack = stack_of[export["Name"]]
        if not stack or not any(export["Name"] == naming.export_name(stack, key) for key in checked):
            continue
        owner = namespaces.get(stack) or namespace_of_stack(stack)
        if owner != namespace:
            owners.setdefault(_text(export["Value"]), owner)
    return {"namespace": namespace, "app": app, CLUSTER: cluster, APPLICATION: application, "owners": owners}


def _stack_name(which: str, namespace: str, app: str) -> str:
    return naming.cluster_stack(namespace) if which == CLUSTER else naming.application_stack(namespace, app)


def check_sources(kind: str, values: dict[str, Any], *, namespace: str, app: str, where: str) -> None:
    """Refuse a value ``kind`` reads from another stack that is not its own namespace's (one line, both namespaces).

    ``values`` are the stack's resolved variables, ``Sources`` among them (the ``ecs_sources`` lookup's
    answer). Required for a version; an application stack without it is not checked.
    """
    reads = READS.get(kind)
    if not reads or (values.get(SOURCES) is None and kind != "version"):
        return
    sources = _parse(kind, values.get(SOURCES), namespace=namespace, where=where)
    _check_stacks(sources, namespace=namespace, app=app, where=where)
    for variable, which in reads.items():
        given = _text(values.get(variable) if values.get(variable) is not None else "")
        if given:
            _check_value(variable, given, sources, _stack_name(which, namespace, app), which,
                         namespace=namespace, where=where)


def _parse(kind: str, raw: Any, *, namespace: str, where: str) -> dict[str, Any]:
    if raw is None:
        raise ConfigError(f"{SOURCES}: required but not given; set it to {QUERY[kind]} (what this namespace's "
                          "stacks say, so values read from another environment are refused)", where=where)
    try:
        sources = json.loads(raw) if isinstance(raw, str) else dict(raw)
        read_for = str(sources["namespace"])
    except (ValueError, TypeError, KeyError):
        raise ConfigError(f"{SOURCES}: not the answer of {QUERY[kind]}; set it to exactly that", where=where) from None
    if read_for != namespace:
        raise ConfigError(f"{SOURCES}: read for namespace {read_for!r}, but this stack is in namespace {namespace!r}; "
                          f"write {QUERY[kind]} without namespace=", where=where)
    return sources


def _check_stacks(sources: dict[str, Any], *, namespace: str, app: str, where: str) -> None:
    """Refuse when the namespace's own stacks say they serve another namespace or app."""
    for which, served in ((CLUSTER, None), (APPLICATION, app)):
        outputs = sources.get(which) or {}
        says = outputs.get(contract.NAMESPACE)
        if says and says != namespace:
            raise ConfigError(f"stack {_stack_name(which, namespace, app)!r} says it serves namespace {says!r}, "
                              f"not {namespace!r}; deploy this namespace's own {which} stack", where=where)
        if served and outputs.get(contract.APP) not in (None, served):
            raise ConfigError(f"stack {_stack_name(which, namespace, app)!r} serves app {outputs[contract.APP]!r}, "
                              f"not {served!r}", where=where)


def _check_value(variable: str, given: str, sources: dict[str, Any], stack: str, which: str, *,
                 namespace: str, where: str) -> None:
    outputs = sources.get(which)
    if outputs is None:
        raise ConfigError(f"{variable}: stack {stack!r} of namespace {namespace!r} does not exist, so nothing proves "
                          f"{given!r} is this environment's; deploy the environment first (its plain build)",
                          where=where)
    expected = outputs.get(variable)
    if expected is None or given == _text(expected):
        return
    owner = sources.get("owners", {}).get(given)
    whose = f"belongs to namespace {owner!r}" if owner else "is no stack output of this namespace"
    raise ConfigError(f"{variable}: {given!r} {whose}, not to this stack's namespace {namespace!r}; "
                      f"read it from {stack} (which has {_text(expected)!r})", where=where)


def find_sources(aws: Any, query: SourcesQuery) -> str:
    """``${ecs_sources <app>}``: the namespace's cluster and application outputs, and the exports' owners, as JSON.

    Two ``DescribeStacks`` and ``ListExports`` (one call per 100 exports); a stack that does not exist is ``null``.
    """
    from stacker_ecs.core.aws import aws_call, describe_stack

    stacks = {which: describe_stack(aws, _stack_name(which, query.namespace, query.app))
              for which in (CLUSTER, APPLICATION)}
    exports: list[dict[str, Any]] = []
    with aws_call("ListExports"):
        for page in aws.client("cloudformation").get_paginator("list_exports").paginate():
            exports += page.get("Exports", [])
    outputs = {which: contract.outputs_of(stack) if stack else None for which, stack in stacks.items()}
    return json.dumps(read_sources(exports, outputs[CLUSTER], outputs[APPLICATION],
                                   namespace=query.namespace, app=query.app), sort_keys=True)
