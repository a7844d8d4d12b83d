"""A DNS-validated certificate whose validation records are in place is ``ISSUED``.

AWS: ACM issues a DNS-validated certificate once the validation CNAME records it names resolve
(the ACM User Guide, "DNS validation"); a platform team's existing certificate is ``ISSUED``, and
CloudFormation's ``AWS::CertificateManager::Certificate`` with ``DomainValidationOptions`` naming a
hosted zone writes those records itself and completes only once the certificate is issued. moto
5.2.5 leaves every requested certificate ``PENDING_VALIDATION`` for ``MOTO_ACM_VALIDATION_WAIT``
seconds (60), so a pre-build check that refuses an unissued certificate refused every seeded one.
The emulator stands for the records being in place: a requested (Amazon-issued) certificate is
issued at once.
"""

from __future__ import annotations

from typing import Any

from moto.acm.models import AWSCertificateManagerBackend

from emulator.aws_like._patch import replace


def _request_certificate(original: Any) -> Any:
    def request_certificate(self: AWSCertificateManagerBackend, *args: Any, **kwargs: Any) -> str:
        arn = original(self, *args, **kwargs)
        certificate = self._certificates[arn]
        if certificate.type == "AMAZON_ISSUED" and certificate.status == "PENDING_VALIDATION":
            certificate.status = "ISSUED"
        return str(arn)
    return request_certificate


def apply() -> None:
    """Install the behaviour."""
    replace(AWSCertificateManagerBackend, "request_certificate", _request_certificate)
