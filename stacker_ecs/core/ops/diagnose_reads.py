"""What ``diagnose`` reads: the troubleshooting checklist's places, each in a bounded number of AWS calls.

Each ``read_*`` returns plain AWS answers (or an empty one with a note when AWS refuses the read),
so one missing permission or deleted resource never hides the rest of the checklist.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import ClientError

from stacker_ecs.core import contract, naming
from stacker_ecs.core.aws import AwsContext

EVENTS_READ = 50
"""Stack events read per stack (one page): enough to reach the failure of the last operation."""
TASKS_READ = 100
LOG_TASKS = 3
"""Tasks whose last lines are read (stopped first)."""
METRIC_WINDOW_SECONDS = 900


@dataclass
class Reads:
    """Everything read, and the calls it took."""

    calls: int = 0
    notes: list[str] = field(default_factory=list)
    """Reads AWS refused (``DescribeTasks: AccessDenied``): the checklist goes on without them."""

    def call(self, label: str, fn: Any, default: Any = None, **kwargs: Any) -> Any:
        """Return ``fn(**kwargs)``, counting the call; on a ``ClientError`` note it and return ``default``."""
        self.calls += 1
        try:
            return fn(**kwargs)
        except ClientError as exc:
            error = exc.response.get("Error", {})
            self.notes.append(f"{label}: {error.get('Code', 'error')} ({error.get('Message', '')})")
            return default


def read_stack(aws: AwsContext, reads: Reads, name: str) -> dict[str, Any] | None:
    """Return a stack by name, or None if it does not exist (1 call)."""
    cfn = aws.client("cloudformation")
    try:
        reads.calls += 1
        return dict(cfn.describe_stacks(StackName=name)["Stacks"][0])
    except ClientError as exc:
        if "does not exist" not in str(exc):
            reads.notes.append(f"DescribeStacks {name}: {exc}")
        return None


def failed_events(aws: AwsContext, reads: Reads, stack: dict[str, Any]) -> list[dict[str, Any]]:
    """Return the stack's failed events, newest first (1 call, the newest page)."""
    answer = reads.call("DescribeStackEvents", aws.client("cloudformation").describe_stack_events,
                        {"StackEvents": []}, StackName=stack["StackId"])
    return [e for e in answer["StackEvents"][:EVENTS_READ]
            if "FAILED" in e.get("ResourceStatus", "") or (e.get("ResourceStatus", "").startswith("ROLLBACK")
                                                         and e.get("ResourceStatusReason"))]


def read_services(aws: AwsContext, reads: Reads, cluster: str, names: list[str]) -> dict[str, dict[str, Any]]:
    """Return service name -> the active service (1 call, at most 10 names)."""
    answer = reads.call("DescribeServices", aws.client("ecs").describe_services, {"services": []},
                        cluster=cluster, services=names[:10])
    return {s["serviceName"]: s for s in answer["services"] if s.get("status") != "INACTIVE"}


def read_tasks(aws: AwsContext, reads: Reads, cluster: str, service: str) -> list[dict[str, Any]]:
    """Return the service's stopped and current tasks (3 calls)."""
    ecs = aws.client("ecs")
    arns: list[str] = []
    for status in ("STOPPED", "RUNNING"):
        arns += reads.call("ListTasks", ecs.list_tasks, {"taskArns": []}, cluster=cluster, serviceName=service,
                           desiredStatus=status)["taskArns"]
    if not arns:
        return []
    tasks = reads.call("DescribeTasks", ecs.describe_tasks, {"tasks": []}, cluster=cluster,
                       tasks=arns[:TASKS_READ])["tasks"]
    return [t for t in tasks if t.get("group") == f"service:{service}"]


def read_cluster(aws: AwsContext, reads: Reads, cluster: str) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Return the cluster (with its capacity providers) and its container instances (3 calls at most)."""
    ecs = aws.client("ecs")
    found = reads.call("DescribeClusters", ecs.describe_clusters, {"clusters": []}, clusters=[cluster])["clusters"]
    arns = reads.call("ListContainerInstances", ecs.list_container_instances, {"containerInstanceArns": []},
                      cluster=cluster)["containerInstanceArns"]
    instances = reads.call("DescribeContainerInstances", ecs.describe_container_instances,
                           {"containerInstances": []}, cluster=cluster,
                           containerInstances=arns[:100])["containerInstances"] if arns else []
    return (found[0] if found else {}), instances


def read_target_group(aws: AwsContext, reads: Reads, arn: str) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Return the target group (its health check) and its targets' health (2 calls)."""
    elbv2 = aws.client("elbv2")
    groups = reads.call("DescribeTargetGroups", elbv2.describe_target_groups, {"TargetGroups": []},
                        TargetGroupArns=[arn])["TargetGroups"]
    targets = reads.call("DescribeTargetHealth", elbv2.describe_target_health, {"TargetHealthDescriptions": []},
                         TargetGroupArn=arn)["TargetHealthDescriptions"]
    return (groups[0] if groups else {}), targets


def read_task_definition(aws: AwsContext, reads: Reads, arn: str) -> dict[str, Any]:
    """Return the task definition (1 call)."""
    ecs = aws.client("ecs")
    return dict(reads.call("DescribeTaskDefinition", ecs.describe_task_definition, {"taskDefinition": {}},
                           taskDefinition=arn)["taskDefinition"])


def read_logs(aws: AwsContext, reads: Reads, definition: dict[str, Any], app: str, version: str,
              task_ids: list[str], lines: int) -> dict[str, list[str]]:
    """Return stream -> its last ``lines`` lines, for the named tasks or else the newest streams (≤ 4 calls)."""
    container = (definition.get("containerDefinitions") or [{}])[0]
    options = (container.get("logConfiguration") or {}).get("options") or {}
    group = options.get("awslogs-group")
    if not group:
        return {}
    stream_prefix = options.get("awslogs-stream-prefix") or naming.log_stream_prefix(app, version)
    prefix = f"{stream_prefix}/{container.get('name')}/"
    logs = aws.client("logs")
    streams = [prefix + task_id for task_id in task_ids[:LOG_TASKS]]
    if not streams:
        found = reads.call("DescribeLogStreams", logs.describe_log_streams, {"logStreams": []}, logGroupName=group,
                           logStreamNamePrefix=prefix, limit=50)["logStreams"]
        found.sort(key=lambda s: s.get("lastEventTimestamp", 0), reverse=True)
        streams = [s["logStreamName"] for s in found[:LOG_TASKS]]
    out: dict[str, list[str]] = {}
    for stream in streams:
        events = reads.call("GetLogEvents", logs.get_log_events, {"events": []}, logGroupName=group,
                            logStreamName=stream, limit=lines, startFromHead=False)["events"]
        if events:
            out[stream] = [e["message"] for e in events]
    return out


@dataclass(frozen=True)
class InPlay:
    """A version whose metrics are read: its role, service and target group."""

    version: str
    role: str
    service: str
    target_group_arn: str


METRICS = (("requests", "AWS/ApplicationELB", "RequestCount", "Sum"),
           ("5xx", "AWS/ApplicationELB", "HTTPCode_Target_5XX_Count", "Sum"),
           ("response_time", "AWS/ApplicationELB", "TargetResponseTime", "Average"),
           ("healthy_hosts", "AWS/ApplicationELB", "HealthyHostCount", "Average"),
           ("cpu", "AWS/ECS", "CPUUtilization", "Average"),
           ("memory", "AWS/ECS", "MemoryUtilization", "Average"))


def metric_dimensions(namespace: str, version: InPlay, cluster: str, load_balancer_arn: str) -> list[dict[str, str]]:
    """Return the dimensions of one version's metric in ``namespace`` (pure)."""
    if namespace == "AWS/ECS":
        return [{"Name": "ClusterName", "Value": cluster}, {"Name": "ServiceName", "Value": version.service}]
    return [{"Name": "TargetGroup", "Value": version.target_group_arn.split(":")[-1]},
            {"Name": "LoadBalancer", "Value": load_balancer_arn.split(":loadbalancer/")[-1]}]


def read_metrics(aws: AwsContext, reads: Reads, versions: list[InPlay], cluster: str,
                 load_balancer_arn: str) -> dict[str, dict[str, float | None]]:
    """Return version -> metric -> its value over the last 15 minutes (1 call, whatever the versions)."""
    if not versions:
        return {}
    queries = []
    for index, version in enumerate(versions):
        for key, namespace, name, stat in METRICS:
            queries.append({"Id": f"m{index}_{key}", "ReturnData": True, "MetricStat": {
                "Metric": {"Namespace": namespace, "MetricName": name,
                           "Dimensions": metric_dimensions(namespace, version, cluster, load_balancer_arn)},
                "Period": METRIC_WINDOW_SECONDS, "Stat": stat}})
    end = datetime.datetime.now(datetime.UTC)
    answer = reads.call("GetMetricData", aws.client("cloudwatch").get_metric_data, {"MetricDataResults": []},
                        MetricDataQueries=queries, StartTime=end - datetime.timedelta(seconds=METRIC_WINDOW_SECONDS),
                        EndTime=end)
    values = {r["Id"]: (r.get("Values") or [None])[0] for r in answer["MetricDataResults"]}
    return {v.version: {key: values.get(f"m{i}_{key}") for key, *_ in METRICS} for i, v in enumerate(versions)}


def load_balancer_of(application_stack: dict[str, Any] | None) -> str:
    """Return the app's load balancer ARN from its stack outputs (empty if unknown)."""
    return contract.outputs_of(application_stack or {}).get(contract.LOAD_BALANCER_ARN, "")
