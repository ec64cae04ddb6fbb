"""Conscious exceptions to the security scan, written next to the resource they are about.

checkov reads ``Metadata.checkov.skip`` of a CloudFormation resource; each skip carries its reason
as the comment, so the synthesized template itself says why a check does not apply.
"""

from __future__ import annotations

from aws_cdk import CfnResource
from constructs import IConstruct


def skip_checks(construct: IConstruct, reasons: dict[str, str]) -> None:
    """Record checkov skips (check id -> reason) on ``construct`` or its default CloudFormation child."""
    resource = construct if isinstance(construct, CfnResource) else construct.node.default_child
    if not isinstance(resource, CfnResource):
        raise TypeError(f"{construct.node.path} has no CloudFormation resource to annotate")
    for check_id, reason in reasons.items():
        if not reason.strip():
            raise ValueError(f"suppressing {check_id} needs a reason")
    existing = resource.get_metadata("checkov") or {}
    skips = list(existing.get("skip", []))
    skips += [{"id": check_id, "comment": reason} for check_id, reason in reasons.items()]
    resource.add_metadata("checkov", {"skip": skips})
