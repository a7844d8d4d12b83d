"""One AWS context per operation: one client per service however many calls and threads, our log prefix."""

from __future__ import annotations

import collections
import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import boto3
import botocore.loaders
import pytest

from emulator.clock import FakeTime
from emulator.faults import ErrorInjection, inject_errors
from stacker_ecs.core.aws import AwsContext, context_for, describe_stack
from stacker_ecs.core.errors import AwsCallError
from stacker_ecs.core.ops import lookups as queries
from stacker_ecs.core.ops.cleanup import CleanupArgs, cleanup
from stacker_ecs.core.ops.cutover import CutoverArgs, cutover
from stacker_ecs.core.ops.rollback import RollbackArgs, rollback
from stacker_ecs.core.ops.status import describe_status
from stacker_ecs.core.ops.verify import VerifyHealthArgs, verify_health
from tests.core.ops.conftest import APP, NAMESPACE, World, deploy_live


def count_clients(session: boto3.Session) -> collections.Counter[str]:
    """Count the clients ``session`` creates from now on, by service (botocore's creating-client-class event)."""
    created: collections.Counter[str] = collections.Counter()
    session.events.register("creating-client-class",
                            lambda event_name, **_: created.update([event_name.split(".")[-1]]))
    return created


ARGS = {"app": APP, "namespace": NAMESPACE}
OPERATIONS: dict[str, Callable[[AwsContext], Any]] = {
    "verify_health": lambda aws: verify_health(aws, VerifyHealthArgs(version="v2", **ARGS)),
    "cutover": lambda aws: cutover(aws, CutoverArgs(version="v2", **ARGS)),
    "stepped cutover": lambda aws: cutover(aws, CutoverArgs(version="v2", steps_percent=[10, 50], bake_seconds=30,
                                                            alarm_names=["web-5xx"], **ARGS)),
    "rollback": lambda aws: (cutover(aws, CutoverArgs(version="v2", **ARGS)), rollback(aws, RollbackArgs(**ARGS))),
    "cleanup": lambda aws: cleanup(aws, CleanupArgs(keep_previous=False, in_flight_hours=0, **ARGS)),
    "status": lambda aws: describe_status(aws, NAMESPACE, APP),
    "lookups": lambda aws: [queries.find_live_version(aws, queries.LiveVersionQuery(**ARGS)),
                            queries.find_live_desired_count(aws, queries.LiveDesiredCountQuery(**ARGS)),
                            queries.find_rule_priority(aws, queries.RulePriorityQuery(version="v9", **ARGS))],
}


@pytest.mark.parametrize("operation", list(OPERATIONS))
def test_an_operation_creates_one_client_per_service_it_calls(world: World, fake_time: FakeTime, operation: str):
    deploy_live(world, fake_time, new_count=1)
    for version in ("v4", "v5", "v6"):  # cleanup deletes these in parallel threads
        world.deploy_version(version)
    world.sync()
    world.session.client("cloudwatch").put_metric_alarm(  # the stepped cutover's alarm exists
        AlarmName="web-5xx", MetricName="HTTPCode_Target_5XX_Count", Namespace="AWS/ApplicationELB", Statistic="Sum",
        Period=60, EvaluationPeriods=1, Threshold=10, ComparisonOperator="GreaterThanThreshold")
    created = count_clients(world.session)

    OPERATIONS[operation](AwsContext.create(world.session, clock=fake_time.clock))

    assert created, "the operation made no client: the count is not watching it"
    assert {service: n for service, n in created.items() if n != 1} == {}, created


def test_threads_share_the_one_client_of_a_service(session: boto3.Session):
    aws = AwsContext.create(session)
    created = count_clients(session)

    with ThreadPoolExecutor(max_workers=8) as pool:
        clients = list(pool.map(lambda _: aws.client("cloudformation"), range(32)))

    assert len({id(c) for c in clients}) == 1
    assert created == {"cloudformation": 1}


def test_the_context_of_an_adapter_logs_app_and_version_first(session: boto3.Session, caplog):
    aws = context_for(session, CutoverArgs(version="v2", **ARGS))

    with caplog.at_level(logging.INFO, logger="stacker_ecs"):
        aws.log.info("scaling to %d tasks", 2)
        aws.about("v1").log.info("kept: live")

    assert [r.getMessage() for r in caplog.records] == ["web/v2: scaling to 2 tasks", "web/v1: kept: live"]


def test_describe_stack_says_none_for_a_missing_stack_and_raises_for_anything_else(world: World):
    aws = AwsContext.create(world.session)

    assert describe_stack(aws, "ecs-dev-app-nothing") is None
    assert describe_stack(aws, "ecs-dev-app-web")["StackName"] == "ecs-dev-app-web"
    inject_errors(world.session, ErrorInjection(code="AccessDenied", status=403, operations={"DescribeStacks"}))
    with pytest.raises(AwsCallError, match="AccessDenied"):
        describe_stack(AwsContext.create(world.session), "ecs-dev-app-nothing")


@pytest.mark.usefixtures("no_retry_waits")  # the retries happen, without their back-off
def test_an_unreachable_endpoint_fails_with_one_message_naming_the_call(monkeypatch: pytest.MonkeyPatch):
    # no AWS answer at all (a proxy down, a VPC endpoint missing): botocore raises no ClientError but a BotoCoreError
    monkeypatch.setenv("AWS_ENDPOINT_URL_CLOUDFORMATION", "http://127.0.0.1:9")  # nothing listens on port 9
    session = boto3.Session(region_name="us-east-1")  # the suite's fake credentials (conftest)

    with pytest.raises(AwsCallError) as failed:
        describe_stack(AwsContext.create(session), "ecs-dev-app-web")

    assert failed.value.operation == "DescribeStacks"
    assert failed.value.code == "EndpointConnectionError"
    assert str(failed.value).startswith("AWS refused DescribeStacks for ecs-dev-app-web: EndpointConnectionError: "
                                        'Could not connect to the endpoint URL: "http://127.0.0.1:9/"')


def _own_model_reader(session: boto3.Session, *extra_paths: str) -> object:
    """Give ``session`` a reader of API models of its own (as a session outside the test suite has one)."""
    reader = botocore.loaders.create_loader()
    reader.search_paths.extend(extra_paths)
    session._session.register_component("data_loader", reader)
    return reader


def test_contexts_of_different_sessions_share_one_reader_of_the_api_models() -> None:
    # stacker and CFNgin hand each hook a new session: the models are parsed once per process, not per hook.
    first, second = boto3.Session(region_name="us-east-1"), boto3.Session(region_name="us-east-1")
    reader = _own_model_reader(first)
    assert _own_model_reader(second) is not reader
    AwsContext.create(first)
    AwsContext.create(second)
    assert second._session.get_component("data_loader") is first._session.get_component("data_loader")
    elsewhere = boto3.Session(region_name="us-east-1")
    own = _own_model_reader(elsewhere, "/models/of/another/path")  # AWS_DATA_PATH: other models, kept apart
    AwsContext.create(elsewhere)
    assert elsewhere._session.get_component("data_loader") is own
