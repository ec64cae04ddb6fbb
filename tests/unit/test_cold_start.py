"""What a cold start pays for: importing the app loads no library that only some requests need."""

import subprocess
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]


def test_importing_the_app_does_not_load_the_spreadsheet_library():
    loaded = subprocess.run(
        [sys.executable, "-c", "import sys, app; print(' '.join(sorted(m for m in sys.modules if m.startswith('openpyxl'))))"],
        capture_output=True, text=True, timeout=120, check=True, cwd=REPO_ROOT,
    ).stdout.strip()
    assert loaded == ""
