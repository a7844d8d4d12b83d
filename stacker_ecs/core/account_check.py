"""The pre-build check's reads: what AWS can tell about a run before it changes anything.

:func:`stacker_ecs.core.preflight.check_launch` calls :func:`account_problems` once the run's own
input is sound. Reads only; every problem names its cause and its fix:

- the alarms a stepped cutover watches exist (CloudWatch, metric or composite);
- the app's application stack exists and is the app's (a stack of that name made by someone else,
  or one that failed, is refused);
- every Availability Zone of the cluster's subnets is served by the app's load balancer (a task in
  another zone is ``unused`` / ``Target.NotInUse`` and never takes traffic);
- a certificate an app brings (``CertificateArn``) is issued and covers ``<app>.<domain>`` and
  ``*.<app>.<domain>`` (an ACM wildcard covers one label);
- quotas: rules per load balancer (the new version's host and test-header rules, and the live rule of a first cutover),
  Application Load Balancers and security groups per Region (each new app adds one of each), inbound
  rules of an app's own load balancer group (two per ``IngressCidrs`` entry, IPv4 and IPv6 counted
  apart). The cluster's container group does not grow with apps (its one inbound rule is from the shared
  load balancer group); only the cluster update that adds that rule to an older cluster needs a free one.
  Limits come from ELB's ``DescribeAccountLimits`` and Service Quotas, AWS's defaults when those cannot
  be read (``docs/quotas.md``).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from stacker_ecs.core import contract, naming
from stacker_ecs.core.aws import AwsContext, aws_call, describe_stack
from stacker_ecs.core.errors import AwsCallError, ConfigError
from stacker_ecs.core.templates.common import split_list

RULES_LIMIT = "rules-per-application-load-balancer"
LOAD_BALANCERS_LIMIT = "application-load-balancers"
DEFAULT_LIMITS = {RULES_LIMIT: 100, LOAD_BALANCERS_LIMIT: 50}
"""AWS's defaults (Quotas for your Application Load Balancers), used when ELB's limits cannot be read."""
SECURITY_GROUP_RULES_QUOTA = ("vpc", "L-0EA8095F", 60)
"""Service Quotas' "Inbound or outbound rules per security group": service, code, AWS's default (a floor:
quotas are only raised). IPv4 and IPv6 rules count apart."""
SECURITY_GROUPS_QUOTA = ("vpc", "L-E79EC296", 2500)
"""Service Quotas' "VPC security groups per Region": service, code, AWS's default."""
VPC_QUOTA_FIX = "or ask AWS for more (Service Quotas console, Amazon VPC)"
BROKEN_STATES = ("CREATE_FAILED", "ROLLBACK_COMPLETE", "ROLLBACK_FAILED", "DELETE_IN_PROGRESS", "DELETE_FAILED")
QUOTA_FIX = "or ask AWS for more (Service Quotas console, Elastic Load Balancing)"


@dataclass(frozen=True)
class RunScope:
    """What the run touches, as the pre-build check knows it (engine-neutral)."""

    namespace: str
    app: str | None
    """The app the run's switches act on, or None for a plain build (every application stack)."""
    version: str | None
    switches: list[str]
    applications: dict[str, dict[str, Any]]
    """App -> the known variables of its application stack in this run."""
    cluster: dict[str, Any]
    """The known variables of the cluster stack in this run (empty when it is not in it)."""
    alarm_names: list[str]
    """The alarms of the run's stepped cutover."""
    unknown: dict[str, set[str]] = field(default_factory=dict)
    """App -> the variables of its application stack whose values are known only during the run."""


def account_problems(aws: AwsContext, scope: RunScope) -> list[str]:
    """Return every problem AWS can tell about ``scope`` before any change (reads only)."""
    problems = _alarm_problems(aws, scope.alarm_names)
    apps = [scope.app] if scope.app else sorted(scope.applications)
    stacks = {app: describe_stack(aws, naming.application_stack(scope.namespace, app)) for app in apps}
    for app in apps:
        problems += _application_problems(scope, app, stacks[app])
    if problems:
        return problems
    if not scope.app or set(scope.switches) & {"deploy", "verify", "cutover"}:
        cluster_zones = _cluster_zones(aws, scope)
        for app in apps:
            problems += _zone_problems(aws, scope, app, stacks[app], cluster_zones)
            problems += _certificate_problems(aws, app, scope.applications.get(app, {}))
    if scope.app and stacks[scope.app]:
        problems += _rule_problems(aws, scope, stacks[scope.app])
    problems += _replacement_problems(aws, scope, {app: stack for app, stack in stacks.items() if stack})
    for app in apps:
        problems += _inbound_group_problems(aws, app, scope.applications.get(app, {}))
    if scope.cluster and not scope.app:  # the platform's plain build is the one that updates the cluster stack
        problems += _shared_group_problems(aws, scope)
    new_apps = [app for app in apps if stacks[app] is None]
    if new_apps:
        problems += _new_app_problems(aws, scope, new_apps)
    return problems


def _alarm_problems(aws: AwsContext, alarm_names: list[str]) -> list[str]:
    from stacker_ecs.core.ops.alarms import check_alarms_exist

    try:
        if alarm_names:
            check_alarms_exist(aws, alarm_names)
    except ConfigError as exc:
        return [str(exc)]
    return []


def _application_problems(scope: RunScope, app: str, stack: dict[str, Any] | None) -> list[str]:
    """Refuse a stack of that name that is not the app's, one that failed, or a missing one the run needs."""
    name = naming.application_stack(scope.namespace, app)
    if stack is None:
        if scope.app and app not in scope.applications and scope.switches != ["teardown"]:
            return [f"app {app!r}: no application stack {name!r} in this account and region; check the app and "
                    "namespace, or build the app's application stack first (the platform's plain build)"]
        return []
    expected = contract.APPLICATION_DESCRIPTION.format(app=app, environment="")[:-2]  # up to "("
    outputs = contract.outputs_of(stack)
    if not str(stack.get("Description") or "").startswith(expected) or outputs.get(contract.APP, app) != app:
        return [f"app {app!r}: stack {name!r} exists but is not the application stack of {app!r} (description "
                f"{stack.get('Description')!r}); it was not made by stacker_ecs for this namespace: rename the "
                "namespace, or delete or rename that stack"]
    if stack["StackStatus"] in BROKEN_STATES:
        return [f"app {app!r}: application stack {name!r} is {stack['StackStatus']}; read its events, fix the "
                "cause, then delete it (a stack in this state cannot be updated) and build again"]
    return []


def _subnet_zones(aws: AwsContext, subnets: Iterable[str], *, field: str) -> dict[str, str] | str:
    """Return subnet -> Availability Zone, or a problem naming the subnets that do not exist."""
    subnets = sorted(set(subnets))
    if not subnets:
        return {}
    try:
        with aws_call("DescribeSubnets", field):
            found = aws.client("ec2").describe_subnets(SubnetIds=subnets)["Subnets"]
    except AwsCallError as exc:
        if exc.code.startswith("InvalidSubnet"):
            return (f"{field}: {', '.join(subnets)}: not all exist in this account and region ({exc.code}); "
                    "give subnets of the environment's VPC")
        raise
    return {s["SubnetId"]: s["AvailabilityZone"] for s in found}


def _known_list(variables: dict[str, Any], name: str) -> list[str] | None:
    value = variables.get(name)
    return None if value is None else [str(v) for v in split_list(value)]


def _cluster_zones(aws: AwsContext, scope: RunScope) -> dict[str, str] | str:
    """Return the cluster's subnets' zones: as this run sets them, else as the cluster stack has them."""
    subnets = _known_list(scope.cluster, "Subnets")
    if subnets is None:
        stack = describe_stack(aws, naming.cluster_stack(scope.namespace))
        subnets = split_list(contract.outputs_of(stack or {}).get(contract.SUBNETS, ""))
    return _subnet_zones(aws, subnets, field="cluster Subnets")


def _zone_problems(aws: AwsContext, scope: RunScope, app: str, stack: dict[str, Any] | None,
                   cluster_zones: dict[str, str] | str) -> list[str]:
    """Refuse a load balancer that does not serve every zone the cluster's tasks run in."""
    if isinstance(cluster_zones, str):
        return [cluster_zones]
    planned = _known_list(scope.applications.get(app, {}), "Subnets")
    if planned is not None:
        lb_zones = _subnet_zones(aws, planned, field=f"app {app!r}: Subnets")
        if isinstance(lb_zones, str):
            return [lb_zones]
        served = set(lb_zones.values())
    elif stack and contract.LOAD_BALANCER_ARN in contract.outputs_of(stack):
        arn = contract.outputs_of(stack)[contract.LOAD_BALANCER_ARN]
        with aws_call("DescribeLoadBalancers", arn):
            (balancer,) = aws.client("elbv2").describe_load_balancers(LoadBalancerArns=[arn])["LoadBalancers"]
        served = {zone["ZoneName"] for zone in balancer["AvailabilityZones"]}
    else:
        return []
    unserved = sorted({subnet: zone for subnet, zone in cluster_zones.items() if zone not in served}.items())
    if not unserved or not served:
        return []
    return [f"app {app!r}: the cluster's subnets {', '.join(f'{s} ({z})' for s, z in unserved)} are in zones its "
            f"load balancer does not serve ({', '.join(sorted(served))}); tasks there would be unused "
            "(Target.NotInUse) and never take traffic: give the application stack a subnet in each of those zones, "
            "or keep the cluster's subnets in the load balancer's zones"]


def covers(name: str, certificate_names: Iterable[str]) -> bool:
    """Return whether a certificate for ``certificate_names`` covers host ``name`` (a wildcard: one label)."""
    name = name.lower().rstrip(".")
    for each in certificate_names:
        each = each.lower().rstrip(".")
        if each == name or (each.startswith("*.") and "." in name and name.split(".", 1)[1] == each[2:]):
            return True
    return False


def _certificate_problems(aws: AwsContext, app: str, variables: dict[str, Any]) -> list[str]:
    """Refuse a certificate the app brings that is not issued or does not cover its two names."""
    arn, domain = variables.get("CertificateArn"), variables.get("Domain")
    if not arn or not domain:
        return []
    domain = str(domain).rstrip(".").lower()
    needed = [naming.app_host(app, domain), naming.version_wildcard(app, domain)]
    try:
        with aws_call("DescribeCertificate", str(arn)):
            certificate = aws.client("acm").describe_certificate(CertificateArn=str(arn))["Certificate"]
    except AwsCallError as exc:
        if exc.code == "ResourceNotFoundException":
            return [f"app {app!r}: CertificateArn: {arn} not found in ACM in this region; give a certificate of "
                    f"this account and region, or leave CertificateArn out so the application stack issues one"]
        raise
    names = [certificate.get("DomainName", ""), *certificate.get("SubjectAlternativeNames", [])]
    missing = [name for name in needed if not covers(name, names)]
    if missing:
        return [f"app {app!r}: CertificateArn: {arn} does not cover {', '.join(missing)} (it covers "
                f"{', '.join(sorted(set(names)))}; a wildcard covers one label): give a certificate for "
                f"{' and '.join(needed)}, or leave CertificateArn out so the application stack issues one"]
    if certificate.get("Status") != "ISSUED":
        return [f"app {app!r}: CertificateArn: {arn} is {certificate.get('Status')}, not ISSUED; finish its "
                "validation first, or leave CertificateArn out so the application stack issues one"]
    return []


def elb_limits(aws: AwsContext) -> dict[str, int]:
    """Return the account's ELB limits (``DescribeAccountLimits``), AWS's defaults where not given."""
    limits = dict(DEFAULT_LIMITS)
    try:
        with aws_call("DescribeAccountLimits"):
            answer = aws.client("elbv2").describe_account_limits()
    except AwsCallError as exc:
        aws.log.debug("ELB limits not readable (%s); AWS's defaults apply", exc.code)
        return limits
    limits.update({limit["Name"]: int(float(limit["Max"])) for limit in answer.get("Limits", [])
                   if limit.get("Name") in limits})
    return limits


def service_quota(aws: AwsContext, service: str, code: str, default: int) -> int:
    """Return a quota's applied value, else its AWS default, from Service Quotas; ``default`` if neither reads."""
    client = aws.client("service-quotas")
    for operation, call in (("GetServiceQuota", client.get_service_quota),
                            ("GetAWSDefaultServiceQuota", client.get_aws_default_service_quota)):
        try:
            with aws_call(operation, f"{service}/{code}"):
                return int(call(ServiceCode=service, QuotaCode=code)["Quota"]["Value"])
        except AwsCallError as exc:
            aws.log.debug("quota %s/%s not readable by %s (%s)", service, code, operation, exc.code)
    return default


def _rule_problems(aws: AwsContext, scope: RunScope, stack: dict[str, Any]) -> list[str]:
    """Refuse a deploy or first cutover whose rules would pass the load balancer's rules quota."""
    assert scope.app  # noqa: S101 - the caller checks
    outputs = contract.outputs_of(stack)
    listener = outputs.get(contract.LISTENER_ARN)
    if not listener:
        return []
    rules: list[dict[str, Any]] = []
    with aws_call("DescribeRules", listener):
        for page in aws.client("elbv2").get_paginator("describe_rules").paginate(ListenerArn=listener):
            rules += [rule for rule in page["Rules"] if not rule.get("IsDefault")]
    hosts = {value for rule in rules for condition in rule.get("Conditions", [])
             for value in (condition.get("HostHeaderConfig") or {}).get("Values", condition.get("Values", []))}
    adding: dict[str, int] = {}  # what this run adds -> how many rules
    if "deploy" in scope.switches and scope.version and outputs.get(contract.DOMAIN) and \
            naming.version_host(scope.app, scope.version, outputs[contract.DOMAIN]) not in hosts:
        adding[f"the host and test-header rules of {scope.app}/{scope.version}"] = 2
    if "cutover" in scope.switches and not any(int(r["Priority"]) == naming.LIVE_RULE_PRIORITY for r in rules):
        adding["the live rule of the first cutover"] = 1
    limit = elb_limits(aws)[RULES_LIMIT]
    if not adding or len(rules) + sum(adding.values()) <= limit:
        return []
    return [f"app {scope.app!r}: its load balancer has {len(rules)} rules of its quota of {limit} "
            f"({RULES_LIMIT}), and this run adds {' and '.join(adding)}: delete versions that are not live first "
            f"(the cleanup hook, or 'stacker-ecs cleanup {scope.app}'), {QUOTA_FIX}"]


def _new_app_problems(aws: AwsContext, scope: RunScope, new_apps: list[str]) -> list[str]:
    """Refuse new application stacks that would pass the Region's load balancers or security groups."""
    problems = []
    count = 0
    with aws_call("DescribeLoadBalancers"):
        for page in aws.client("elbv2").get_paginator("describe_load_balancers").paginate():
            count += sum(1 for balancer in page["LoadBalancers"] if balancer.get("Type") == "application")
    limit = elb_limits(aws)[LOAD_BALANCERS_LIMIT]
    if count + len(new_apps) > limit:
        problems.append(f"apps {', '.join(new_apps)}: this Region has {count} Application Load Balancers of the "
                        f"account's quota of {limit} ({LOAD_BALANCERS_LIMIT}), and each new app adds one: remove "
                        f"apps no one uses (teardown), {QUOTA_FIX}")
    problems += _security_groups_problems(aws, new_apps)
    return problems


def _security_groups_problems(aws: AwsContext, new_apps: list[str]) -> list[str]:
    """Refuse new apps past the Region's security groups (each adds its load balancer's own)."""
    count = 0
    with aws_call("DescribeSecurityGroups"):
        for page in aws.client("ec2").get_paginator("describe_security_groups").paginate():
            count += len(page["SecurityGroups"])
    service, code, default = SECURITY_GROUPS_QUOTA
    quota = service_quota(aws, service, code, default)
    if count + len(new_apps) <= quota:
        return []
    return [f"apps {', '.join(new_apps)}: this Region has {count} security groups of the account's quota of {quota} "
            f"({service}/{code}), and each new app adds one (its load balancer's): remove apps or groups no one "
            f"uses, {VPC_QUOTA_FIX}"]


def _inbound_group_problems(aws: AwsContext, app: str, variables: dict[str, Any]) -> list[str]:
    """Refuse ``IngressCidrs`` whose rules (80 and 443 each) pass the inbound rules of the app's own group."""
    cidrs = _known_list(variables, "IngressCidrs")
    if not cidrs:
        return []
    counts = {"IPv6" if ":" in cidr else "IPv4": 0 for cidr in cidrs}
    for cidr in set(cidrs):
        counts["IPv6" if ":" in cidr else "IPv4"] += 2
    service, code, default = SECURITY_GROUP_RULES_QUOTA
    if max(counts.values()) <= default:
        return []
    quota = service_quota(aws, service, code, default)
    over = {family: count for family, count in counts.items() if count > quota}
    if not over:
        return []
    made = " and ".join(f"{n} {family}" for family, n in over.items())
    return [f"app {app!r}: IngressCidrs: {len(set(cidrs))} networks make {made} inbound rules (80 and 443 each) "
            f"on its load balancer's group, past the quota of {quota} per group ({service}/{code}): "
            f"give fewer or wider networks (a managed prefix list is one rule), {VPC_QUOTA_FIX}"]


def _shared_group_problems(aws: AwsContext, scope: RunScope) -> list[str]:
    """Refuse a cluster update that adds the shared group's rule to a container group with none free.

    A cluster stack made before the shared load balancer group gains it, and one inbound rule on the container
    group; its application stacks' own rules go only when each is updated after.
    """
    cluster = describe_stack(aws, naming.cluster_stack(scope.namespace))
    outputs = contract.outputs_of(cluster or {})
    group = outputs.get(contract.CONTAINER_SECURITY_GROUP_ID)
    if not group or contract.SHARED_LOAD_BALANCER_SECURITY_GROUP_ID in outputs:
        return []
    with aws_call("DescribeSecurityGroupRules", group):
        pages = aws.client("ec2").get_paginator("describe_security_group_rules").paginate(
            Filters=[{"Name": "group-id", "Values": [group]}])
        inbound = sum(1 for page in pages for rule in page["SecurityGroupRules"] if not rule.get("IsEgress"))
    service, code, default = SECURITY_GROUP_RULES_QUOTA
    quota = service_quota(aws, service, code, default)
    if inbound + 1 <= quota:
        return []
    return [f"cluster: its container security group {group} has {inbound} inbound rules of its quota of {quota} "
            f"({service}/{code}), and this build adds one (from the environment's shared load balancer group; each "
            f"app's own rule goes when its application stack is updated after): remove an app no one uses "
            f"(teardown), {VPC_QUOTA_FIX}"]


def _replacement_problems(aws: AwsContext, scope: RunScope, stacks: dict[str, dict[str, Any]]) -> list[str]:
    """Refuse a ``Scheme`` change of an existing application stack: CloudFormation would replace its load balancer.

    The new load balancer's listener starts with no live rule (no template holds it) and every version's rules
    go with the old one: the app would answer 503 until a cutover, at a new DNS name. One
    ``DescribeLoadBalancers`` per 20 apps the run builds.
    """
    from stacker_ecs.core.templates.application import ApplicationSpec

    default = ApplicationSpec.model_fields["scheme"].default
    wanted = {app: str(scope.applications[app].get("Scheme", default)) for app in stacks
              if app in scope.applications and "Scheme" not in scope.unknown.get(app, set())}
    arns = {contract.outputs_of(stacks[app]).get(contract.LOAD_BALANCER_ARN): app for app in wanted}
    arns.pop(None, None)
    schemes: dict[str, str] = {}
    names = sorted(arns)
    for start in range(0, len(names), 20):
        with aws_call("DescribeLoadBalancers", ", ".join(names[start:start + 20])):
            for balancer in aws.client("elbv2").describe_load_balancers(
                    LoadBalancerArns=names[start:start + 20])["LoadBalancers"]:
                schemes[arns[balancer["LoadBalancerArn"]]] = balancer["Scheme"]
    return [f"app {app!r}: Scheme {wanted[app]} would replace its {scheme} load balancer (CloudFormation replaces a "
            "load balancer whose Scheme changes): the new listener would have no live rule and the versions' rules "
            f"would go with the old one, so the app would answer 503. Keep Scheme {scheme}; to change it, build the "
            "app under a new name, deploy and cut over its versions there, move the DNS, then tear this app down"
            for app, scheme in sorted(schemes.items()) if scheme != wanted[app]]
