"""Deleting an ECS cluster that still has services fails, through the API and through CloudFormation.

AWS: ``DeleteCluster`` refuses a cluster that contains services (``ClusterContainsServicesException``:
"You can't delete a cluster that contains services", botocore's ecs model): an ``ACTIVE`` service
blocks it (a ``DRAINING`` one is assumed to block too: suspected, not sourced; moto never has one,
it deletes services at once). Through CloudFormation the cluster stack's
delete then ends ``DELETE_FAILED`` naming the ``Cluster`` resource (:mod:`.stack_delete` records it).
moto 5.2.5 deletes such a cluster, and a cluster stack's delete does not delete its cluster at all.
"""

from __future__ import annotations

from typing import Any

from moto.ecs.exceptions import ECSException
from moto.ecs.models import Cluster, EC2ContainerServiceBackend, ecs_backends

from emulator.aws_like._patch import replace

MESSAGE = "The Cluster cannot be deleted while Services are active."
BLOCKING = ("ACTIVE", "DRAINING")


class ClusterContainsServicesException(ECSException):
    """AWS's refusal, with its code."""

    def __init__(self) -> None:
        super().__init__("ClusterContainsServicesException", MESSAGE)


def _delete_cluster(original: Any) -> Any:
    def delete_cluster(self: EC2ContainerServiceBackend, cluster_str: str) -> Cluster:
        cluster = self._get_cluster(cluster_str)
        if any(service.cluster_name == cluster.name and service.status in BLOCKING
               for service in self.services.values()):
            raise ClusterContainsServicesException
        return original(self, cluster_str)
    return delete_cluster


def _delete(_: Any) -> Any:
    def delete(self: Cluster, account_id: str, region: str) -> None:
        ecs_backends[account_id][region].delete_cluster(self.name)
    return delete


def apply() -> None:
    """Install the behaviour."""
    replace(EC2ContainerServiceBackend, "delete_cluster", _delete_cluster)
    replace(Cluster, "delete", _delete)
