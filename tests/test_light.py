"""Reading stays light: the consumer side imports nothing of the curation side."""

import subprocess
import sys


def test_consumer_api_does_not_import_curation_modules():
    code = (
        "import sys, casd, casd.api\n"
        "heavy = [m for m in ('yaml', 'pydantic', 'frictionless', 'typer', 'casd.checks', 'casd.yamlio', 'casd.models', 'casd.records') if m in sys.modules]\n"
        "print(heavy)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert out == "[]"


def test_no_submodule_is_named_load():
    import casd

    from pathlib import Path

    assert not (Path(casd.__file__).parent / "load.py").exists()
    assert callable(casd.load)
