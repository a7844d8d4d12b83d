"""Application stack updates that switch the load balancer's security groups, and rules that go with their resource.

AWS: ``SecurityGroups`` of ``AWS::ElasticLoadBalancingV2::LoadBalancer`` updates without interruption
(``SetSecurityGroups``, which replaces the load balancer's groups), and deleting an
``AWS::EC2::SecurityGroupIngress`` (from a stack, or from a template on update) revokes its rule.
moto 5.2.5 has no CloudFormation update for a load balancer (the update keeps the old groups and
leaves the stack's resource unset) and no delete for ``SecurityGroupIngress`` (the rule stays on the
group for ever): an application stack made with one rule per app on the cluster's container group
would keep that rule after the update that removes it, and the load balancer its old group.
Not emulated: AWS deletes removed resources in the update's cleanup phase, after it created and
updated the others; moto deletes them first.
"""

from __future__ import annotations

import contextlib
from typing import Any

from moto.ec2.exceptions import InvalidPermissionNotFoundError
from moto.ec2.models import ec2_backends
from moto.ec2.models.security_groups import SecurityGroupIngress
from moto.elbv2.models import FakeLoadBalancer, elbv2_backends

from emulator.aws_like._patch import replace


def _update_load_balancer(_original: Any) -> Any:
    def update_from_cloudformation_json(cls: type[FakeLoadBalancer], original_resource: FakeLoadBalancer,
                                        new_resource_name: str, cloudformation_json: dict[str, Any],
                                        account_id: str, region_name: str) -> FakeLoadBalancer:
        properties = cloudformation_json.get("Properties", {})
        backend = elbv2_backends[account_id][region_name]
        groups = properties.get("SecurityGroups")
        if groups is not None and list(groups) != list(original_resource.security_groups):
            backend.set_security_groups(original_resource.arn, list(groups))
        attributes = {a["Key"]: a["Value"] for a in properties.get("LoadBalancerAttributes", [])}
        if attributes:
            backend.modify_load_balancer_attributes(original_resource.arn, attributes)
        return original_resource
    return update_from_cloudformation_json


def _delete_ingress(self: SecurityGroupIngress, account_id: str, region: str) -> None:
    properties = self.properties
    backend = ec2_backends[account_id][region]
    group = backend.get_security_group_from_id(self.security_group.id)
    if group is None:
        return

    def made_here(rule: Any) -> bool:
        source = (rule.source_group or {}).get("GroupId")
        return (str(rule.ip_protocol) == str(properties["IpProtocol"])
                and str(rule.from_port) == str(properties.get("FromPort"))
                and str(rule.to_port) == str(properties.get("ToPort"))
                and source == properties.get("SourceSecurityGroupId")
                and (rule.ip_range or {}).get("CidrIp") == properties.get("CidrIp"))

    ids = [rule.id for rule in group.ingress_rules if made_here(rule)]
    if ids:
        with contextlib.suppress(InvalidPermissionNotFoundError):
            backend.revoke_security_group_ingress(group_name_or_id=group.id, ip_protocol=properties["IpProtocol"],
                                                  from_port=None, to_port=None, ip_ranges=[], security_rule_ids=ids)


def apply() -> None:
    """Install the behaviour."""
    replace(FakeLoadBalancer, "update_from_cloudformation_json", _update_load_balancer, kind="classmethod")
    replace(SecurityGroupIngress, "delete", lambda _original: _delete_ingress)
