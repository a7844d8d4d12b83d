"""A re-run of a deploy renders the deployed version template again, so no engine updates its stack.

The version template's ``DesiredCount`` comes from ``${ecs_version_desired_count}``: the count the
template was deployed with (its ``DesiredCount`` output), not the service's current count, which
verify, cutover and autoscaling change behind CloudFormation's back. The Version blueprint is
rendered here as every engine renders it (:func:`render_stack` with the lookups' answers).
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from botocore.exceptions import ClientError

from emulator.calls import CallCounter
from stacker_ecs.core import contract, naming
from stacker_ecs.core.aws import AwsContext
from stacker_ecs.core.blueprint import render_stack
from stacker_ecs.core.errors import ConfigError
from stacker_ecs.core.fingerprint import stamp
from stacker_ecs.core.ops.lookups import VersionQuery, find_version_desired_count
from stacker_ecs.core.ops.verify import VerifyHealthArgs, verify_health
from stacker_ecs.core.registry import run_lookup
from stacker_ecs.core.templates.version import render_version
from tests.core.ops.conftest import APP, NAMESPACE, FakeTime, World, stack_tags


def _variables(world: World, version: str, **override: Any) -> dict[str, Any]:
    """Return the Version blueprint's variables as the example config gives them, lookups resolved."""
    def lookup(name: str, query: str) -> str:
        return run_lookup(name, query, world.session, namespace=NAMESPACE)

    spec = world.version_spec(version).model_dump(by_alias=True, exclude_none=True)
    return {**spec, "DesiredCount": lookup("ecs_version_desired_count", f"{APP}::version={version}"),
            "Deployed": lookup("ecs_deployed_version", f"{APP}::version={version}"),
            "Sources": lookup("ecs_sources", APP), **override}


def _render(world: World, version: str, **override: Any) -> dict[str, Any]:
    template = render_stack("version", _variables(world, version, **override), namespace=NAMESPACE,
                            stack_name=naming.version_stack(NAMESPACE, APP, version), where="test",
                            new_version="-e version=<new>")
    return template.to_dict()


def _deploy(world: World, version: str) -> None:
    """Create the version's stack from the Version blueprint, as a first pipeline run does."""
    world.session.client("cloudformation").create_stack(
        StackName=naming.version_stack(NAMESPACE, APP, version), TemplateBody=json.dumps(_render(world, version)),
        Capabilities=["CAPABILITY_IAM"], Tags=stack_tags(APP))
    world.versions[version] = contract.outputs_of(world.session.client("cloudformation").describe_stacks(
        StackName=naming.version_stack(NAMESPACE, APP, version))["Stacks"][0])


def _deployed_template(world: World, version: str) -> dict[str, Any]:
    body = world.session.client("cloudformation").get_template(
        StackName=naming.version_stack(NAMESPACE, APP, version))["TemplateBody"]
    return json.loads(body) if isinstance(body, str) else body


def _update(world: World, version: str, template: dict[str, Any]) -> None:
    world.session.client("cloudformation").update_stack(
        StackName=naming.version_stack(NAMESPACE, APP, version), TemplateBody=json.dumps(template),
        Capabilities=["CAPABILITY_IAM"], Tags=stack_tags(APP))


@pytest.fixture
def pipelines(world: World, fake_time: FakeTime) -> World:
    """v1 deployed at 0, scaled to 2 and cut over, then autoscaled to 5; v2 deployed beside it and verified at 2."""
    _deploy(world, "v1")
    world.set_desired_count("v1", 2)  # what verify's start_count does
    world.sync()
    world.make_live("v1", fake_time.clock)
    world.set_desired_count("v1", 5)  # autoscaling, since
    _deploy(world, "v2")
    world.set_desired_count("v2", 2)
    world.sync()
    return world


@pytest.mark.parametrize("version", ["v1", "v2"], ids=["live", "idle"])
def test_a_rerun_renders_the_deployed_template_so_no_stack_is_updated(pipelines: World, version: str):
    before = pipelines.desired_count(version)

    rerun = _render(pipelines, version)

    assert rerun == _deployed_template(pipelines, version)
    assert rerun["Resources"][naming.SERVICE]["Properties"]["DesiredCount"] == 0
    with pytest.raises(ClientError, match="No updates are to be performed"):  # what stacker, CFNgin, Sceptre see
        _update(pipelines, version, rerun)
    assert pipelines.desired_count(version) == before


def test_a_live_version_never_gets_an_update_that_sets_its_count(pipelines: World):
    # v1 runs 5 tasks; its template says 0: any other DesiredCount would be applied to the running service
    for count in ("1", "2", "5", "6"):
        with pytest.raises(ConfigError) as caught:
            _render(pipelines, "v1", DesiredCount=count)

        assert f"DesiredCount: {count}, but web/v1 is live and was deployed with 0" in str(caught.value)
        assert "pass DesiredCount: ${ecs_version_desired_count web::version=v1}" in str(caught.value)
    assert pipelines.desired_count("v1") == 5


def test_a_live_version_with_a_changed_template_is_refused_whatever_its_count(pipelines: World):
    for count in ("0", "5"):
        with pytest.raises(ConfigError, match="web/v1 is live and this build would change its stack in place"):
            _render(pipelines, "v1", DesiredCount=count, HealthCheckPath="/other")


def test_an_idle_version_redeployed_with_a_fix_goes_back_to_its_deployed_count_for_verify_to_raise(
        pipelines: World, fake_time: FakeTime):
    # a fix that changes the service (on AWS a new image does too: the task definition is replaced, so
    # the service's TaskDefinition changes; moto does not update what refers to a replaced resource)
    fixed = _render(pipelines, "v2", HealthCheckGracePeriodSeconds=90)
    assert fixed["Resources"][naming.SERVICE]["Properties"]["DesiredCount"] == 0
    assert fixed["Outputs"][contract.DESIRED_COUNT]["Value"] == "0"

    # CloudFormation updates the service to the template's count: 0, so the update never waits on
    # new tasks; verify then raises it to the live count, watching them start
    _update(pipelines, "v2", fixed)
    pipelines.sync()
    assert pipelines.desired_count("v2") == 0
    result = verify_health(AwsContext.create(pipelines.session, clock=fake_time.clock),
                           VerifyHealthArgs(app=APP, version="v2", namespace=NAMESPACE, start_count=1))
    assert pipelines.desired_count("v2") == 5 == result["expected"]
    assert pipelines.desired_count("v1") == 5


def _earlier_release(world: World, version: str, count: int) -> dict[str, Any]:
    """Deploy ``version`` as the release before the ``DesiredCount`` output did, and scale it to ``count``."""
    template = render_version(world.version_spec(version, 0), where="test")
    del template.outputs[contract.DESIRED_COUNT]
    stamp(template)
    world.session.client("cloudformation").create_stack(
        StackName=naming.version_stack(NAMESPACE, APP, version), TemplateBody=template.to_json(),
        Capabilities=["CAPABILITY_IAM"], Tags=stack_tags(APP))
    world.set_desired_count(version, count)
    return template.to_dict()


def test_a_stack_from_an_earlier_release_keeps_its_fingerprint_and_its_services_count(world: World,
                                                                                     fake_time: FakeTime):
    old = _earlier_release(world, "v1", 3)
    counter = CallCounter(world.session)

    count = find_version_desired_count(AwsContext.create(world.session),
                                       VersionQuery(app=APP, namespace=NAMESPACE, version="v1"))

    assert count == 3  # its service's count: the first re-run updates the stack once, to the count it has
    assert counter.total == 3
    rerun = _render(world, "v1")
    assert rerun["Outputs"][contract.FINGERPRINT] == old["Outputs"][contract.FINGERPRINT]
    assert rerun["Outputs"][contract.DESIRED_COUNT]["Value"] == "3"
    _update(world, "v1", rerun)
    assert world.desired_count("v1") == 3
    assert _render(world, "v1") == _deployed_template(world, "v1")  # and from then on, nothing changes


def test_the_version_count_costs_one_call_and_is_zero_without_a_stack(pipelines: World):
    counter = CallCounter(pipelines.session)
    aws = AwsContext.create(pipelines.session)

    counts = [find_version_desired_count(aws, VersionQuery(app=APP, namespace=NAMESPACE, version=v))
              for v in ("v1", "v2", "v9")]

    assert counts == [0, 0, 0]
    assert counter.total == 3
