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

Other ways a version goes wrong (``faults``: service name -> one of :data:`FAULTS`), as ECS and the
load balancer show them: ``crash`` (the container starts, logs, and exits 1), ``unhealthy`` (the
health-check path answers 404: targets ``Target.ResponseCodeMismatch``), ``no-capacity`` (an EC2
cluster whose one instance lacks the memory: tasks wait in ``PROVISIONING``, the service says why).
A version whose tasks' subnets (the service's ``awsvpc`` subnets, else the cluster stack's ``Subnets``) all
lie in Availability Zones its load balancer does not serve gets its targets ``unused`` with reason
``Target.NotInUse``, as the load balancer reports them (decided when the targets are registered).
Every task writes its lines to the version's awslogs group (stream ``<app>/<version>/<container>/<task>``,
as the awslogs driver names it), and every running service gets ``AWS/ECS`` CPU and memory metrics
(``service_metrics`` sets them). What no AWS API lets a client set goes through :mod:`emulator.control`.
"""

from __future__ import annotations

import contextlib
import datetime
import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import boto3
from botocore.exceptions import ClientError

from emulator.control import Control
from stacker_ecs.core import contract

PULL_ERROR = ("CannotPullContainerError: pull image manifest has been retried 5 time(s): failed to resolve "
              "ref {image}: not found")
CRASH_REASON = "Essential container in task exited"
CRASH_LINES = ("starting {version}", "connecting to the database at db.internal:5432",
               "Error: connect ECONNREFUSED db.internal:5432", "exiting with status 1")
START_LINES = ("starting {version}", "listening on port {port}")
UNHEALTHY = ("Target.ResponseCodeMismatch", "Health checks failed with these codes: [404]")
NOT_IN_USE = ("Target.NotInUse", "Target is in an Availability Zone that is not enabled for the load balancer")
NO_CAPACITY_EVENT = ("(service {service}) was unable to place a task because no container instance met all of its "
                     "requirements. The closest matching (container-instance {instance}) has insufficient memory "
                     "available. For more information, see the Troubleshooting section of the Amazon ECS Developer "
                     "Guide.")
FAULTS = ("pull", "crash", "unhealthy", "no-capacity")
FAILED_TASKS_PER_VERSION = 3
RETRY_AFTER_PASSES = 5
MAX_RETRIES = 4
INSTANCE_AMI = "ami-12c6146b"  # one of moto's own images
FREE_MEMORY_MIB = 128
"""What the one instance of a ``no-capacity`` cluster has left: less than any task reserves."""
DEFAULT_METRICS = (12.5, 31.0)
"""CPU and memory utilisation (%) every running service reports unless ``service_metrics`` says otherwise."""


@dataclass(frozen=True)
class _Version:
    service: str
    cluster: str
    target_group_arn: str


class EcsAgent:
    """Keeps each version's target group at its service's desired count."""

    def __init__(self, session: boto3.Session, *, broken: set[str] | None = None,
                 faults: dict[str, str] | None = None, service_metrics: dict[str, tuple[float, float]] | None = None,
                 control: Control | None = None) -> None:
        self.cfn = session.client("cloudformation")
        self.ecs = session.client("ecs")
        self.elbv2 = session.client("elbv2")
        self.ec2 = session.client("ec2")
        self.logs = session.client("logs")
        self.cloudwatch = session.client("cloudwatch")
        self.broken = set(broken or ())
        """Service names (``<app>-<version>``) whose tasks never start."""
        self.faults = dict(faults or {})
        """Service name -> one of :data:`FAULTS` (``pull`` is the same as being in ``broken``)."""
        unknown = set(self.faults.values()) - set(FAULTS)
        if unknown:
            raise ValueError(f"unknown faults {sorted(unknown)}; use one of {', '.join(FAULTS)}")
        self.service_metrics = dict(service_metrics or {})
        """Service name -> (CPU %, memory %) it reports (default :data:`DEFAULT_METRICS`)."""
        self.control = control or Control(self.ecs.meta.endpoint_url if _is_local(self.ecs) else "")
        self._registered: dict[str, int] = {}
        self._failed: dict[str, list[int]] = {}
        self._pending: set[str] = set()
        self._health: dict[str, str] = {}
        """Target group ARN -> the state the control reports for its targets (``unhealthy``, ``unused``)."""
        self._unserved: dict[str, bool] = {}
        """Target group ARN -> whether its tasks sit in zones its load balancer does not serve."""
        self._cluster_subnets: dict[str, list[str]] = {}
        self._passes = 0
        self._stop = threading.Event()

    def fault_of(self, service: str) -> str | None:
        """Return how ``service`` goes wrong now, if it does."""
        return "pull" if service in self.broken else self.faults.get(service)

    def versions(self) -> list[_Version]:
        """Return every version stack's service and target group, from stack outputs."""
        found = []
        for page in self.cfn.get_paginator("describe_stacks").paginate():
            for stack in page["Stacks"]:
                out = contract.outputs_of(stack)
                if set(contract.VERSION_OUTPUTS_READ) <= set(out):
                    found.append(_Version(out[contract.SERVICE_NAME], out[contract.CLUSTER_NAME],
                                          out[contract.TARGET_GROUP_ARN]))
                elif contract.CLUSTER_NAME in out and out.get(contract.SUBNETS):
                    self._cluster_subnets[out[contract.CLUSTER_NAME]] = out[contract.SUBNETS].split(",")
        return found

    def sync(self) -> None:
        """Do one pass: start (or fail) tasks and register targets to match every desired count."""
        self._passes += 1
        versions = self.versions()
        services = self._services(versions)
        running: list[tuple[str, str]] = []
        served = set()
        for version in versions:
            service = services.get((version.cluster, version.service))
            if service is None:
                continue
            served.add(version.target_group_arn)
            fault = self.fault_of(version.service)
            if fault in ("pull", "crash"):
                self._fail_tasks(version, service, fault)
                continue
            if fault == "no-capacity":
                self._leave_pending(version, service)
                continue
            wanted = service["desiredCount"]
            if self._registered.get(version.target_group_arn) != wanted:
                self._set_targets(version.target_group_arn, wanted)
                self._registered[version.target_group_arn] = wanted
                self._log_started(service, wanted)
                if wanted:
                    self._unserved[version.target_group_arn] = self._zones_unserved(version, service)
            self._report_health(version.target_group_arn, fault)
            if service["runningCount"] != service["desiredCount"]:
                self.ecs.update_service(cluster=version.cluster, service=version.service,
                                        desiredCount=service["desiredCount"])
            if wanted:
                running.append((version.cluster, version.service))
        self._stop_orphans(served)
        self._publish_metrics(running)

    def _stop_orphans(self, served: set[str]) -> None:
        """Deregister the targets of each group whose service is gone (AWS stops a deleted service's tasks)."""
        for target_group_arn in [arn for arn, count in self._registered.items() if count and arn not in served]:
            with contextlib.suppress(self.elbv2.exceptions.TargetGroupNotFoundException):
                self._set_targets(target_group_arn, 0)
            self._registered[target_group_arn] = 0

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

    def _set_targets(self, target_group_arn: str, count: int) -> None:
        registered = [t["Target"] for t in self.elbv2.describe_target_health(
            TargetGroupArn=target_group_arn)["TargetHealthDescriptions"]]
        wanted = [{"Id": f"10.42.200.{i + 1}", "Port": 32768 + i} for i in range(count)]
        missing = [t for t in wanted if t not in registered]
        extra = [t for t in registered if t not in wanted]
        if missing:
            self.elbv2.register_targets(TargetGroupArn=target_group_arn, Targets=missing)
        if extra:
            self.elbv2.deregister_targets(TargetGroupArn=target_group_arn, Targets=extra)

    def _report_health(self, target_group_arn: str, fault: str | None) -> None:
        """Report the group's targets ``unused`` (zones), ``unhealthy`` (fault) or as moto does."""
        state, reason, description = (("unused", *NOT_IN_USE) if self._unserved.get(target_group_arn)
                                      else ("unhealthy", *UNHEALTHY) if fault == "unhealthy" else ("", "", ""))
        if self._health.get(target_group_arn, "") != state:
            self.control.set_target_health(target_group_arn=target_group_arn, state=state, reason=reason,
                                           description=description)
            self._health[target_group_arn] = state

    def _zones_unserved(self, version: _Version, service: dict) -> bool:
        """Return whether every subnet the tasks may use is in a zone the version's load balancer does not serve."""
        network = (service.get("networkConfiguration") or {}).get("awsvpcConfiguration") or {}
        subnets = network.get("subnets") or self._cluster_subnets.get(version.cluster, [])
        try:
            balancers = self.elbv2.describe_target_groups(
                TargetGroupArns=[version.target_group_arn])["TargetGroups"][0].get("LoadBalancerArns") or []
            if not subnets or not balancers:
                return False
            served = {zone["ZoneName"] for balancer in self.elbv2.describe_load_balancers(
                LoadBalancerArns=sorted(set(balancers)))["LoadBalancers"] for zone in balancer["AvailabilityZones"]}
            zones = {subnet["AvailabilityZone"] for subnet in self.ec2.describe_subnets(SubnetIds=subnets)["Subnets"]}
        except ClientError:  # a subnet or load balancer a test made up: nothing to compare
            return False
        return not zones & served

    def _fail_tasks(self, version: _Version, service: dict, fault: str) -> None:
        batches = self._failed.setdefault(version.service, [])
        retry_due = not batches or self._passes - batches[-1] >= RETRY_AFTER_PASSES
        if not service["desiredCount"] or not retry_due or len(batches) > MAX_RETRIES:
            return
        batches.append(self._passes)
        definition = self._definition(service)
        container = definition["containerDefinitions"][0] if definition else {}
        image, name = container.get("image", "unknown"), container.get("name", "app")
        # moto's run_task needs a Fargate task definition with container memory and a network.
        task_definition = self.ecs.register_task_definition(
            family="emulator-failing-task", networkMode="awsvpc", requiresCompatibilities=["FARGATE"],
            cpu="256", memory="512", containerDefinitions=[{"name": name, "image": image, "memory": 256}],
        )["taskDefinition"]["taskDefinitionArn"]
        subnet, group = self._network()
        reason = PULL_ERROR.format(image=image) if fault == "pull" else CRASH_REASON
        for _ in range(FAILED_TASKS_PER_VERSION):
            task = self.ecs.run_task(
                cluster=version.cluster, taskDefinition=task_definition, launchType="FARGATE",
                group=f"service:{version.service}", startedBy="ecs-svc/emulator",
                networkConfiguration={"awsvpcConfiguration": {"subnets": [subnet], "securityGroups": [group]}},
            )["tasks"][0]
            self.ecs.stop_task(cluster=version.cluster, task=task["taskArn"], reason=reason)
            task_id = task["taskArn"].rsplit("/", 1)[-1]
            if fault == "crash":
                self.control.set_task_exit(cluster=version.cluster, task=task["taskArn"], exit_code=1)
                lines = [line.format(version=_version_of(service)) for line in CRASH_LINES]
                self._write_log(definition, task_id, lines)
            else:
                self._write_log(definition, task_id, [reason])

    def _leave_pending(self, version: _Version, service: dict) -> None:
        """Leave the service's tasks waiting for an instance with enough memory (once per version)."""
        if not service["desiredCount"] or version.service in self._pending:
            return
        self._pending.add(version.service)
        instance = self._small_instance(version.cluster)
        for _ in range(int(service["desiredCount"])):
            task = self.ecs.run_task(cluster=version.cluster, taskDefinition=service["taskDefinition"],
                                     launchType="EC2", group=f"service:{version.service}",
                                     startedBy="ecs-svc/emulator")["tasks"]
            for started in task:
                self.control.set_task_status(cluster=version.cluster, task=started["taskArn"], status="PROVISIONING")
        self.control.set_instance_free(cluster=version.cluster, instance=instance, cpu=1024, memory=FREE_MEMORY_MIB)
        message = NO_CAPACITY_EVENT.format(service=version.service, instance=instance.rsplit("/", 1)[-1])
        self.control.add_service_event(cluster=version.cluster, service=version.service, message=message)

    def _small_instance(self, cluster: str) -> str:
        """Return the cluster's first container instance, registering one if it has none."""
        arns = self.ecs.list_container_instances(cluster=cluster)["containerInstanceArns"]
        if arns:
            return str(arns[0])
        subnet, _ = self._network()
        instance = self.ec2.run_instances(ImageId=INSTANCE_AMI, MinCount=1, MaxCount=1, InstanceType="t3.small",
                                          SubnetId=subnet)["Instances"][0]["InstanceId"]
        document = json.dumps({"instanceId": instance, "region": self.ecs.meta.region_name})
        return str(self.ecs.register_container_instance(cluster=cluster, instanceIdentityDocument=document)
                   ["containerInstance"]["containerInstanceArn"])

    def _definition(self, service: dict) -> dict[str, Any] | None:
        with contextlib.suppress(Exception):
            return self.ecs.describe_task_definition(taskDefinition=service["taskDefinition"])["taskDefinition"]
        return None

    def _log_started(self, service: dict, count: int) -> None:
        definition = self._definition(service)
        if not definition or not count:
            return
        ports = [m.get("containerPort", 80) for m in definition["containerDefinitions"][0].get("portMappings", [])]
        for index in range(count):
            self._write_log(definition, f"{service['serviceName']}-{self._passes}-{index}", [
                line.format(version=_version_of(service), port=(ports or [80])[0]) for line in START_LINES])

    def _write_log(self, definition: dict[str, Any] | None, task_id: str, lines: list[str]) -> None:
        """Write ``lines`` as the awslogs driver would, to ``<prefix>/<container>/<task id>``."""
        container = (definition or {}).get("containerDefinitions", [{}])[0]
        options = (container.get("logConfiguration") or {}).get("options") or {}
        group, prefix = options.get("awslogs-group"), options.get("awslogs-stream-prefix")
        if not group or not prefix:
            return
        stream = f"{prefix}/{container.get('name', 'app')}/{task_id}"
        with contextlib.suppress(self.logs.exceptions.ResourceAlreadyExistsException):
            self.logs.create_log_group(logGroupName=group)
        with contextlib.suppress(self.logs.exceptions.ResourceAlreadyExistsException):
            self.logs.create_log_stream(logGroupName=group, logStreamName=stream)
        now = int(time.time() * 1000)
        self.logs.put_log_events(logGroupName=group, logStreamName=stream,
                                 logEvents=[{"timestamp": now + i, "message": line} for i, line in enumerate(lines)])

    def _publish_metrics(self, running: list[tuple[str, str]]) -> None:
        """Report CPU and memory utilisation of every running service (``AWS/ECS``), 150 services a call.

        Stamped with the second before this one: a read that ends now (moto drops its microseconds and
        excludes the end) sees it at once, as CloudWatch shows a datapoint once its second is over.
        """
        now = (datetime.datetime.now(datetime.UTC) - datetime.timedelta(seconds=1)).replace(microsecond=0)
        data = []
        for cluster, service in running:
            cpu, memory = self.service_metrics.get(service, DEFAULT_METRICS)
            dimensions = [{"Name": "ClusterName", "Value": cluster}, {"Name": "ServiceName", "Value": service}]
            data += [{"MetricName": "CPUUtilization", "Dimensions": dimensions, "Value": cpu, "Unit": "Percent",
                      "Timestamp": now},
                     {"MetricName": "MemoryUtilization", "Dimensions": dimensions, "Value": memory, "Unit": "Percent",
                      "Timestamp": now}]
        for start in range(0, len(data), 300):
            self.cloudwatch.put_metric_data(Namespace="AWS/ECS", MetricData=data[start:start + 300])

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


def _version_of(service: dict) -> str:
    return str(service["serviceName"]).split("_", 1)[-1]


def _is_local(client: Any) -> bool:
    """Return whether ``client`` talks to the emulator's server (not in-process moto)."""
    return "amazonaws.com" not in client.meta.endpoint_url
