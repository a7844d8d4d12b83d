"""Play the part of ECS for moto, which runs no containers.

moto creates services but never starts tasks or registers them in target groups. The agent does
what ECS and the load balancer would: for every version stack it keeps the target group's
registered (and, in moto, at once healthy) targets equal to the service's desired count and sets
the running count to match. A version listed in ``broken`` never gets a target; instead its tasks
stop with ``CannotPullContainerError``, as ECS reports an image that does not exist, once the service
wants tasks (a service at 0 starts none), and again every few passes while it stays broken (ECS keeps
retrying). Taking a name out of ``broken`` is pushing the missing image: the next pass starts the tasks.

Run it in a background thread (``with EcsAgent(...).running():``) next to a stacker subprocess, or
call :meth:`EcsAgent.sync` from a test's fake clock to keep everything deterministic.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from dataclasses import dataclass

import boto3

from stacker_ecs.core import contract

PULL_ERROR = ("CannotPullContainerError: pull image manifest has been retried 5 time(s): failed to resolve "
              "ref {image}: not found")
FAILED_TASKS_PER_VERSION = 3
RETRY_AFTER_PASSES = 5
MAX_RETRIES = 4


@dataclass(frozen=True)
class _Version:
    service: str
    cluster: str
    target_group_arn: str


class EcsAgent:
    """Keeps each version's target group at its service's desired count."""

    def __init__(self, session: boto3.Session, *, broken: set[str] | None = None) -> None:
        self.cfn = session.client("cloudformation")
        self.ecs = session.client("ecs")
        self.elbv2 = session.client("elbv2")
        self.ec2 = session.client("ec2")
        self.broken = set(broken or ())
        """Service names (``<app>-<version>``) whose tasks never start."""
        self._registered: dict[str, int] = {}
        self._failed: dict[str, list[int]] = {}
        self._passes = 0
        self._stop = threading.Event()

    def versions(self) -> list[_Version]:
        """Return every version stack's service and target group, from stack outputs."""
        found = []
        for page in self.cfn.get_paginator("describe_stacks").paginate():
            for stack in page["Stacks"]:
                out = contract.outputs_of(stack)
                if set(contract.VERSION_OUTPUTS_READ) <= set(out):
                    found.append(_Version(out[contract.SERVICE_NAME], out[contract.CLUSTER_NAME],
                                          out[contract.TARGET_GROUP_ARN]))
        return found

    def sync(self) -> None:
        """Do one pass: start (or fail) tasks and register targets to match every desired count."""
        self._passes += 1
        versions = self.versions()
        services = self._services(versions)
        for version in versions:
            service = services.get((version.cluster, version.service))
            if service is None:
                continue
            if version.service in self.broken:
                self._fail_tasks(version, service)
                continue
            wanted = service["desiredCount"]
            if self._registered.get(version.target_group_arn) != wanted:
                self._set_targets(version, wanted)
                self._registered[version.target_group_arn] = wanted
            if service["runningCount"] != service["desiredCount"]:
                self.ecs.update_service(cluster=version.cluster, service=version.service,
                                        desiredCount=service["desiredCount"])

    def _services(self, versions: list[_Version]) -> dict[tuple[str, str], dict]:
        """Return (cluster, name) -> active service, ten names per call."""
        found: dict[tuple[str, str], dict] = {}
        by_cluster: dict[str, list[str]] = {}
        for version in versions:
            by_cluster.setdefault(version.cluster, []).append(version.service)
        for cluster, names in by_cluster.items():
            for start in range(0, len(names), 10):
                answer = self.ecs.describe_services(cluster=cluster, services=names[start:start + 10])
                for service in answer["services"]:
                    if service["status"] == "ACTIVE":
                        found[(cluster, service["serviceName"])] = service
        return found

    def _set_targets(self, version: _Version, count: int) -> None:
        registered = [t["Target"] for t in self.elbv2.describe_target_health(
            TargetGroupArn=version.target_group_arn)["TargetHealthDescriptions"]]
        wanted = [{"Id": f"10.42.200.{i + 1}", "Port": 32768 + i} for i in range(count)]
        missing = [t for t in wanted if t not in registered]
        extra = [t for t in registered if t not in wanted]
        if missing:
            self.elbv2.register_targets(TargetGroupArn=version.target_group_arn, Targets=missing)
        if extra:
            self.elbv2.deregister_targets(TargetGroupArn=version.target_group_arn, Targets=extra)

    def _fail_tasks(self, version: _Version, service: dict) -> None:
        batches = self._failed.setdefault(version.service, [])
        retry_due = not batches or self._passes - batches[-1] >= RETRY_AFTER_PASSES
        if not service["desiredCount"] or not retry_due or len(batches) > MAX_RETRIES:
            return
        batches.append(self._passes)
        image = "unknown"
        with contextlib.suppress(Exception):
            definition = self.ecs.describe_task_definition(taskDefinition=service["taskDefinition"])
            image = definition["taskDefinition"]["containerDefinitions"][0].get("image", image)
        # moto's run_task needs a Fargate task definition with container memory and a network.
        task_definition = self.ecs.register_task_definition(
            family="emulator-failing-task", networkMode="awsvpc", requiresCompatibilities=["FARGATE"],
            cpu="256", memory="512", containerDefinitions=[{"name": "app", "image": image, "memory": 256}],
        )["taskDefinition"]["taskDefinitionArn"]
        subnet, group = self._network()
        for _ in range(FAILED_TASKS_PER_VERSION):
            task = self.ecs.run_task(
                cluster=version.cluster, taskDefinition=task_definition, launchType="FARGATE",
                group=f"service:{version.service}", startedBy="ecs-svc/emulator",
                networkConfiguration={"awsvpcConfiguration": {"subnets": [subnet], "securityGroups": [group]}},
            )["tasks"][0]
            self.ecs.stop_task(cluster=version.cluster, task=task["taskArn"], reason=PULL_ERROR.format(image=image))

    def _network(self) -> tuple[str, str]:
        vpcs = self.ec2.describe_vpcs()["Vpcs"]
        for vpc in vpcs:
            attribute = self.ec2.describe_vpc_attribute(VpcId=vpc["VpcId"], Attribute="enableDnsHostnames")
            if attribute["EnableDnsHostnames"]["Value"]:
                break
        else:
            vpc = vpcs[0]
            self.ec2.modify_vpc_attribute(VpcId=vpc["VpcId"], EnableDnsHostnames={"Value": True})
        subnet = self.ec2.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [vpc["VpcId"]]}])["Subnets"][0]
        group = self.ec2.describe_security_groups(
            Filters=[{"Name": "vpc-id", "Values": [vpc["VpcId"]]}])["SecurityGroups"][0]
        return subnet["SubnetId"], group["GroupId"]

    def follow(self, session: boto3.Session) -> None:
        """Sync right after ``session`` creates stacks or changes a service: ECS starting tasks at once."""
        for event in ("after-call.cloudformation.CreateStack", "after-call.cloudformation.UpdateStack",
                      "after-call.ecs.UpdateService"):
            session.events.register(event, lambda **_: self.sync())

    @contextlib.contextmanager
    def running(self, interval_seconds: float = 0.3) -> Iterator[EcsAgent]:
        """Run :meth:`sync` every ``interval_seconds`` in a background thread while the block runs."""
        self._stop.clear()
        errors: list[BaseException] = []

        def loop() -> None:
            while not self._stop.is_set():
                try:
                    self.sync()
                except Exception as exc:
                    errors.append(exc)
                self._stop.wait(interval_seconds)

        thread = threading.Thread(target=loop, name="ecs-agent", daemon=True)
        thread.start()
        try:
            yield self
        finally:
            self._stop.set()
            thread.join(timeout=10)
