"""A Route 53 ``CREATE`` of a record that already exists fails, through the API and CloudFormation.

AWS: ``ChangeResourceRecordSets`` with ``CREATE`` for an existing name and type answers
``InvalidChangeBatch`` ("Tried to create resource record set ... but it already exists"), and an
``AWS::Route53::RecordSet`` for it fails its stack. moto 5.2.5 adds a second record (it checks only
a CREATE repeated in one journal), so two apps could both "own" ``*.<domain>``.
"""

from __future__ import annotations

from typing import Any

from moto.route53.exceptions import ResourceRecordAlreadyExists
from moto.route53.models import FakeZone, RecordSet

from emulator.aws_like._patch import replace


def _key(name: str, kind: str, set_identifier: Any) -> tuple[str, str, Any]:
    return name.rstrip(".").lower(), kind, set_identifier


def _add_rrset(original: Any) -> Any:
    def add_rrset(self: FakeZone, record_set: dict[str, Any]) -> RecordSet:
        new = _key(record_set["Name"], record_set["Type"], record_set.get("SetIdentifier"))
        if any(_key(r.name, r.type, r.set_identifier) == new for r in self.rrsets):
            raise ResourceRecordAlreadyExists(name=new[0] + ".", _type=new[1])
        return original(self, record_set)
    return add_rrset


def apply() -> None:
    """Install the behaviour."""
    replace(FakeZone, "add_rrset", _add_rrset)
