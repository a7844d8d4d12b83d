"""Every template variant passes checkov's CloudFormation checks; each skip is justified and documented."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from checkov.cloudformation.runner import Runner
from checkov.runner_filter import RunnerFilter
from variants import ROOT, VARIANTS


def run_checkov(template_json: str, tmp_path: Path):
    path = tmp_path / "template.json"
    path.write_text(template_json)
    logging.getLogger("checkov").setLevel(logging.ERROR)
    return Runner().run(root_folder=None, files=[str(path)],
                        runner_filter=RunnerFilter(framework=["cloudformation"]))


@pytest.mark.parametrize("variant", list(VARIANTS))
def test_checkov_finds_no_failed_check_in_the_example_template(variant: str, tmp_path: Path):
    # when
    report = run_checkov(VARIANTS[variant]().to_json(), tmp_path)

    # then
    failed = [f"{c.check_id} {c.resource}: {c.check_name}" for c in report.failed_checks]
    assert not failed, f"{variant}: checkov failed checks:\n  " + "\n  ".join(failed)
    assert report.passed_checks, "checkov ran no check at all"


@pytest.mark.parametrize("variant", list(VARIANTS))
def test_every_skipped_check_has_a_reason_and_is_listed_in_docs_security(variant: str,
                                                                                     tmp_path: Path):
    security = (ROOT / "docs" / "security.md").read_text()
    template = VARIANTS[variant]().to_dict()
    for logical_id, resource in template["Resources"].items():
        for skip in resource.get("Metadata", {}).get("checkov", {}).get("skip", []):
            assert len(skip["comment"]) > 20, f"{logical_id}: skip {skip['id']} without a real reason"
            assert skip["id"] in security, f"{skip['id']} (on {logical_id}) is not listed in docs/security.md"
