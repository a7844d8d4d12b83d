"""A DNS-validated certificate whose validation records are in place is ``ISSUED``.

AWS: ACM issues a DNS-validated certificate once the validation CNAME records it names resolve
(the ACM User Guide, "DNS validation"); a platform team's existing certificate is ``ISSUED``, and
CloudFormation's ``AWS::CertificateManager::Certificate`` with ``DomainValidationOptions`` naming a
hosted zone writes those records itself and completes only once the certificate is issued. moto
5.2.5 leaves every requested certificate ``PENDING_VALIDATION`` for ``MOTO_ACM_VALIDATION_WAIT``
seconds (60), so a pre-build check that refuses an unissued certificate refused every seeded one.
The emulator stands for the records being in place: a requested (Amazon-issued) certificate is
issued at once. CloudFormation's certificate resource, which moto skips, is one here: an application
stack that issues its own certificate gets one, issued.
"""

from __future__ import annotations

from typing import Any

from moto.acm.models import AWSCertificateManagerBackend, acm_backends
from moto.cloudformation import parsing
from moto.core.common_models import CloudFormationModel

from emulator.aws_like._patch import replace


def _request_certificate(original: Any) -> Any:
    def request_certificate(self: AWSCertificateManagerBackend, *args: Any, **kwargs: Any) -> str:
        arn = original(self, *args, **kwargs)
        certificate = self._certificates[arn]
        if certificate.type == "AMAZON_ISSUED" and certificate.status == "PENDING_VALIDATION":
            certificate.status = "ISSUED"
        return str(arn)
    return request_certificate


class CloudFormationCertificate(CloudFormationModel):
    """``AWS::CertificateManager::Certificate`` through CloudFormation (moto 5.2.5 skips the type, so a listener
    naming it fails ``CertificateNotFound``). Requested as ``RequestCertificate`` does, so it is issued at once
    (the validation records ``DomainValidationOptions`` names are taken to be written, as CloudFormation does)."""

    def __init__(self, arn: str) -> None:
        self.arn = arn

    @staticmethod
    def cloudformation_name_type() -> str:
        """Return the property naming it (none)."""
        return ""

    @staticmethod
    def cloudformation_type() -> str:
        """Return the CloudFormation type."""
        return "AWS::CertificateManager::Certificate"

    @property
    def physical_resource_id(self) -> str:
        """Return what ``Ref`` gives: the ARN."""
        return self.arn

    @classmethod
    def create_from_cloudformation_json(cls, resource_name: str, cloudformation_json: dict[str, Any],
                                        account_id: str, region_name: str, **kwargs: Any) -> CloudFormationCertificate:
        """Request the certificate (issued at once, see :func:`_request_certificate`)."""
        properties = cloudformation_json["Properties"]
        backend = acm_backends[account_id][region_name]
        arn = backend.request_certificate(
            properties["DomainName"], None, properties.get("SubjectAlternativeNames") or [],
            [{"Key": t["Key"], "Value": t["Value"]} for t in properties.get("Tags", [])])
        return cls(str(arn))

    @classmethod
    def delete_from_cloudformation_json(cls, resource_name: str, cloudformation_json: dict[str, Any],
                                        account_id: str, region_name: str) -> None:
        """Delete the certificate with its stack."""
        backend = acm_backends[account_id][region_name]
        if resource_name in backend._certificates:
            backend.delete_certificate(resource_name)


def apply() -> None:
    """Install the behaviour (and make CloudFormation's parser see :class:`CloudFormationCertificate`)."""
    replace(AWSCertificateManagerBackend, "request_certificate", _request_certificate)
    for cached in (parsing.get_model_list, parsing.get_model_map, parsing.get_name_type_map):
        cached.cache_clear()
