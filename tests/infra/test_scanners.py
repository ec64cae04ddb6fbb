"""CI checks on the synthesized templates: cfn-lint has no errors, checkov no unexplained failures."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.infra.conftest import CHECKOV, Synthesized, offline_env, require_tool

# cfn-lint's exit code is a bit mask: 2 errors, 4 warnings, 8 informational (1 = it crashed).
CFN_LINT_ERROR_BITS = 0b11
# A small package starts cold faster. cryptography (about 5 MiB zipped), which staff sign-in (RS256 tokens)
# and the signed links to stored files need, comes in a layer for the function that does those. 6 MB, not MiB.
MAX_PACKAGE_BYTES = 6_000_000
# What the layers bring (tests/infra/test_layers.py): cryptography and cffi's backend its bindings load; the
# QR code library beside the PDF font; the spreadsheet library.
IN_LAYERS = (
    "cryptography/",
    "cffi/",
    "_cffi_backend",
    "pycparser/",
    "segno/",
    "fontTools/",
    "pypdfium2",
    "openpyxl",
    "et_xmlfile",
)


def test_given_the_synthesized_templates_when_cfn_lint_runs_then_it_reports_no_errors(synthesized: Synthesized):
    result = subprocess.run(
        [str(Path(sys.executable).with_name("cfn-lint")), *map(str, synthesized.template_paths())],
        capture_output=True,
        text=True,
        timeout=300,
    )

    assert result.returncode & CFN_LINT_ERROR_BITS == 0, result.stdout + result.stderr


def test_given_the_synthesized_templates_when_checkov_runs_then_every_failure_is_a_reasoned_suppression(
    synthesized: Synthesized,
):
    checkov = require_tool(CHECKOV)
    result = subprocess.run(
        [
            str(checkov),
            *[arg for path in synthesized.template_paths() for arg in ("--file", str(path))],
            "--framework", "cloudformation",
            "--skip-download",  # offline: no guideline download from the vendor's platform
            "--output", "json",
            "--compact",
        ],
        capture_output=True,
        text=True,
        timeout=300,
        env=offline_env(),
    )
    assert result.returncode in (0, 1), result.stderr
    reports = json.loads(result.stdout)
    reports = reports if isinstance(reports, list) else [reports]  # one per framework
    failed = [
        f"{check['check_id']} {check['resource']} ({check['file_path']}): {check['check_name']}"
        for report in reports
        for check in report["results"]["failed_checks"]
    ]
    skipped = [check for report in reports for check in report["results"]["skipped_checks"]]

    assert failed == [], "checkov failures (fix them, or suppress with a reason via stacks/suppressions.py):\n" + (
        "\n".join(failed)
    )
    assert result.returncode == 0
    unexplained = [
        f"{c['check_id']} {c['resource']}"
        for c in skipped
        if len(c["check_result"].get("suppress_comment") or "") < 20
    ]
    assert unexplained == [], "suppressed without a written reason: " + ", ".join(unexplained)


def test_the_lambda_deployment_package_stays_within_6_mb_and_carries_no_caches_nor_what_layers_bring(
    synthesized: Synthesized,
):
    import zipfile

    packages = list(synthesized.out_dir.glob("asset.*.zip"))

    assert len(packages) == 1, packages  # both stages deploy the same package
    assert packages[0].stat().st_size <= MAX_PACKAGE_BYTES, f"{packages[0].stat().st_size} bytes"
    names = zipfile.ZipFile(packages[0]).namelist()
    assert "app.py" in names and "chalicelib/wiring.py" in names
    assert "jwt/api_jwt.py" in names  # the HS256 links every function signs need no cryptography
    assert [n for n in names if n.startswith(IN_LAYERS)] == []
    assert [n for n in names if "__pycache__" in n or n.endswith(".pyc")] == []
