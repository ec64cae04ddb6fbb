"""What a cold start pays for: importing the app loads no library that only some requests need (the
spreadsheet library, the AWS SDK, the table adapters, the token library and cryptography, which on AWS
come from a layer); they load with the first request that uses them."""

import subprocess
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]


LOADED_LATER = (
    "openpyxl",
    "segno",
    "boto3",
    "chalicelib.adapters.dynamodb_tickets",
    "chalicelib.adapters.s3_files",
    # Staff tokens (RS256) and stored files' links (RSA): loaded by the first one verified or signed.
    "jwt",
    "cryptography",
    "_cffi_backend",
    "botocore.signers",
    # The settings' model and pydantic-settings (which brings asyncio): loaded by the first setting read.
    "chalicelib.settings_model",
    "pydantic_settings",
    "asyncio",
    # Templates: Jinja2 loads with the first page rendered; the report's charts and mail with the first report.
    "jinja2",
    "chalicelib.reporting.mail",
    "chalicelib.reporting.charts",
    # Drawn files (the acceptance PDF, its preview, label sheets) load when one is drawn; the phone
    # and email checks with the first form checked.
    "chalicelib.services.acceptance_pdf",
    "chalicelib.services.pdf_font",
    "chalicelib.services.form_preview",
    "chalicelib.services.label_sheet",
    "fontTools",
    "pypdfium2",
    "phonenumbers",
    "email_validator",
    # The local stack's list of sent messages is read over HTTP, by its own page only.
    "urllib.request",
    # The features' words join the catalog on its first look-up.
    "chalicelib.i18n.technician",
    "chalicelib.i18n.billing",
    "chalicelib.i18n.archive",
)


def test_importing_the_app_loads_no_library_only_some_requests_need():
    script = f"import sys, app; print(' '.join(m for m in {LOADED_LATER!r} if m in sys.modules))"
    loaded = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120, check=True, cwd=REPO_ROOT,
    ).stdout.strip()
    assert loaded == ""
