"""A load balancer's ``Fn::GetAtt`` values that moto leaves unresolved.

AWS: ``AWS::ElasticLoadBalancingV2::LoadBalancer`` returns ``CanonicalHostedZoneID`` (the Route 53
zone of its DNS name, for alias records), ``LoadBalancerFullName`` (``app/<name>/<id>``, the
CloudWatch dimension) and ``SecurityGroups``. moto 5.2.5 raises ``NotImplementedError`` for those
three, and its CloudFormation then leaves the application stack's ``LoadBalancerHostedZoneId`` output
as the unresolved ``Fn::GetAtt`` text: a version that asks for its own alias record with
``${output app-<app>::LoadBalancerHostedZoneId}`` is refused by the pre-build check, where on AWS it
works.
"""

from __future__ import annotations

from typing import Any

from moto.elbv2.models import FakeLoadBalancer

from emulator.aws_like._patch import replace


def _get_cfn_attribute(original: Any) -> Any:
    def get_cfn_attribute(self: FakeLoadBalancer, attribute_name: str) -> Any:
        if attribute_name == "CanonicalHostedZoneID":
            return self.canonical_hosted_zone_id
        if attribute_name == "LoadBalancerFullName":
            return self.arn.split(":loadbalancer/", 1)[1]
        if attribute_name == "SecurityGroups":
            return list(self.security_groups)
        return original(self, attribute_name)
    return get_cfn_attribute


def apply() -> None:
    """Install the attributes (idempotent)."""
    replace(FakeLoadBalancer, "get_cfn_attribute", _get_cfn_attribute)
