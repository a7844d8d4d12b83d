"""One environment never changes another: a stack's inputs from other stacks must be its own namespace's.

Two namespaces in one moto account (``ecs-dev`` and ``acme-dev``, the same VPC, as in a shared
account); the ``ecs_sources`` read and the render check refuse ecs-dev's values in an acme-dev
version, naming both namespaces.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from emulator.world import EXAMPLE_AMI, ExampleWorld, create_stack
from stacker_ecs.core import contract, naming
from stacker_ecs.core.aws import AwsContext
from stacker_ecs.core.blueprint import render_stack
from stacker_ecs.core.errors import ConfigError
from stacker_ecs.core.model import parse
from stacker_ecs.core.ownership import SourcesQuery, check_sources, find_sources, read_sources
from stacker_ecs.core.registry import run_lookup
from stacker_ecs.core.templates.cluster import ClusterSpec, build_cluster

WHERE = "stack 'app-web-V-v1' (Version blueprint)"


@pytest.fixture
def two(session) -> tuple[ExampleWorld, ExampleWorld]:
    """ecs-dev and acme-dev, each with its cluster and app ``web``, in one account."""
    dev = ExampleWorld.create(session)
    acme = _second(session, dev)
    dev.add_app("web")
    acme.add_app("web")
    return dev, acme


def _second(session, dev: ExampleWorld) -> ExampleWorld:
    """Return acme-dev's world: its own cluster stack in ecs-dev's VPC."""
    assert dev.seeded is not None
    acme = ExampleWorld(session=session, namespace="acme-dev", seeded=dev.seeded)
    spec = parse(ClusterSpec, {"Environment": "dev", "VpcId": dev.seeded.vpc_id, "ImageId": EXAMPLE_AMI,
                               "Subnets": dev.seeded.private_subnets}, where="cluster")
    acme.cluster = create_stack(session, naming.cluster_stack("acme-dev"), build_cluster(spec).to_json())
    return acme


def version_values(world: ExampleWorld, app: str = "web") -> dict[str, Any]:
    """Return what a version config reads from ``world``'s cluster and application stacks."""
    return {"ClusterName": world.cluster[contract.CLUSTER_NAME], "VpcId": world.cluster[contract.VPC_ID],
            "Subnets": world.cluster[contract.SUBNETS], "LogGroupName": world.cluster[contract.LOG_GROUP_NAME],
            "ContainerSecurityGroupId": world.cluster[contract.CONTAINER_SECURITY_GROUP_ID],
            "ListenerArn": world.apps[app][contract.LISTENER_ARN], "Domain": world.apps[app][contract.DOMAIN]}


def test_values_of_its_own_namespace_pass(session, two):
    _dev, acme = two
    sources = run_lookup("ecs_sources", "web", session, namespace="acme-dev")

    check_sources("version", {**version_values(acme), "Sources": sources}, namespace="acme-dev", app="web",
                  where=WHERE)


@pytest.mark.parametrize("variable", ["ClusterName", "ListenerArn", "ContainerSecurityGroupId", "LogGroupName"])
def test_a_value_of_another_namespace_is_refused_in_one_line_naming_both(session, two, variable):
    dev, acme = two
    sources = run_lookup("ecs_sources", "web", session, namespace="acme-dev")
    values = {**version_values(acme), variable: version_values(dev)[variable], "Sources": sources}

    with pytest.raises(ConfigError) as refused:
        check_sources("version", values, namespace="acme-dev", app="web", where=WHERE)

    message = str(refused.value)
    assert "\n" not in message
    assert message.startswith(f"{WHERE}: {variable}: ")
    assert "belongs to namespace 'ecs-dev', not to this stack's namespace 'acme-dev'" in message
    assert "read it from acme-dev-" in message


def test_an_application_reading_another_namespaces_shared_load_balancer_group_is_refused(session, two):
    # given acme-dev's application stack of a new app reading ecs-dev's load balancer group (its containers admit it)
    dev, acme = two
    sources = run_lookup("ecs_sources", "api", session, namespace="acme-dev")
    values = {"ClusterName": acme.cluster[contract.CLUSTER_NAME], "VpcId": acme.cluster[contract.VPC_ID],
              "SharedLoadBalancerSecurityGroupId": dev.cluster[contract.SHARED_LOAD_BALANCER_SECURITY_GROUP_ID]}
    check_sources("application", {**values, "Sources": sources,
                                  "SharedLoadBalancerSecurityGroupId":
                                      acme.cluster[contract.SHARED_LOAD_BALANCER_SECURITY_GROUP_ID]},
                  namespace="acme-dev", app="api", where="stack 'app-api'")

    with pytest.raises(ConfigError) as refused:
        check_sources("application", {**values, "Sources": sources}, namespace="acme-dev", app="api",
                      where="stack 'app-api'")

    message = str(refused.value)
    assert "\n" not in message
    assert message.startswith("stack 'app-api': SharedLoadBalancerSecurityGroupId: ")
    assert "belongs to namespace 'ecs-dev', not to this stack's namespace 'acme-dev'" in message


def test_the_whole_copied_config_is_refused_at_its_first_value(session, two):
    # given acme-dev's version reading every value from ecs-dev (a copied Sceptre version.yaml)
    dev, _acme = two
    sources = run_lookup("ecs_sources", "web", session, namespace="acme-dev")

    with pytest.raises(ConfigError, match=r"ClusterName: .* belongs to namespace 'ecs-dev', not to this stack's "
                                          r"namespace 'acme-dev'"):
        check_sources("version", {**version_values(dev), "Sources": sources}, namespace="acme-dev", app="web",
                      where=WHERE)


def test_a_namespace_without_its_stacks_is_refused_naming_the_missing_stack(session, two):
    dev, _acme = two
    sources = run_lookup("ecs_sources", "web", session, namespace="new-dev")

    with pytest.raises(ConfigError, match=r"ClusterName: stack 'new-dev-cluster' of namespace 'new-dev' does not "
                                          r"exist.*deploy the environment first"):
        check_sources("version", {**version_values(dev), "Sources": sources}, namespace="new-dev", app="web",
                      where=WHERE)


def test_sources_read_for_another_namespace_are_refused(session, two):
    dev, _acme = two
    sources = run_lookup("ecs_sources", "web", session, namespace="ecs-dev")

    with pytest.raises(ConfigError, match="Sources: read for namespace 'ecs-dev', but this stack is in "
                                          r"namespace 'acme-dev'"):
        check_sources("version", {**version_values(dev), "Sources": sources}, namespace="acme-dev", app="web",
                      where=WHERE)


def test_the_read_costs_two_describes_and_one_list_per_hundred_exports(session, two):
    calls: list[str] = []
    aws = AwsContext.create(session)
    aws.client("cloudformation").meta.events.register(
        "before-call.cloudformation.*", lambda model, **_: calls.append(model.name))

    json.loads(find_sources(aws, SourcesQuery(app="web", namespace="acme-dev")))

    assert calls == ["DescribeStacks", "DescribeStacks", "ListExports"]


def test_a_stack_that_says_it_serves_another_namespace_or_app_is_refused():
    cluster = {"ClusterName": "c", "Namespace": "ecs-dev"}
    sources = json.dumps(read_sources([], cluster, {"App": "web"}, namespace="acme-dev", app="web"))
    with pytest.raises(ConfigError, match="stack 'acme-dev-cluster' says it serves namespace 'ecs-dev', not "
                                          "'acme-dev'"):
        check_sources("version", {"ClusterName": "c", "Sources": sources}, namespace="acme-dev", app="web",
                      where=WHERE)
    sources = json.dumps(read_sources([], {"ClusterName": "c"}, {"App": "api"}, namespace="acme-dev", app="web"))
    with pytest.raises(ConfigError, match="stack 'acme-dev-app-web' serves app 'api', not 'web'"):
        check_sources("version", {"ClusterName": "c", "Sources": sources}, namespace="acme-dev", app="web",
                      where=WHERE)


def test_a_version_without_sources_is_refused_and_an_application_without_them_is_not_checked():
    with pytest.raises(ConfigError, match=r"Sources: required but not given; set it to \$\{ecs_sources <app>\}"):
        check_sources("version", {"ClusterName": "c"}, namespace="acme-dev", app="web", where=WHERE)

    check_sources("application", {"ClusterName": "c"}, namespace="acme-dev", app="web", where=WHERE)


def test_cluster_and_application_stacks_say_which_namespace_they_serve():
    template = render_stack("cluster", {"Environment": "dev", "VpcId": "vpc-0a1b", "Subnets": "subnet-1"},
                            namespace="acme-dev", stack_name="acme-dev-cluster", where="cluster",
                            new_version="-e version=<new>")

    assert template.to_dict()["Outputs"][contract.NAMESPACE]["Value"] == "acme-dev"
