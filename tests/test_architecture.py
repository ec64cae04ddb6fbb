"""The layering rules of STYLE.md, checked by reading imports: the domain is pure, AWS lives at the edges."""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def imports_of(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def matching(names: set[str], forbidden: tuple[str, ...]) -> set[str]:
    return {n for n in names if any(n == f or n.startswith(f + ".") for f in forbidden)}


def modules(folder: str):
    return sorted((ROOT / folder).rglob("*.py"))


def test_the_domain_imports_no_aws_no_http_and_no_outer_layer():
    forbidden = ("boto3", "botocore", "chalice", "requests", "urllib.request", "chalicelib.adapters",
                 "chalicelib.services", "chalicelib.web", "chalicelib.wiring", "aws_lambda_powertools")
    for path in modules("chalicelib/domain"):
        bad = matching(imports_of(path), forbidden)
        assert not bad, f"{path.relative_to(ROOT)} imports {bad}"


def test_services_use_ports_not_aws():
    forbidden = ("boto3", "botocore", "chalice", "chalicelib.adapters", "chalicelib.web")
    for path in modules("chalicelib/services"):
        bad = matching(imports_of(path), forbidden)
        assert not bad, f"{path.relative_to(ROOT)} imports {bad}"


def test_only_adapters_import_boto3():
    for path in [*modules("chalicelib"), ROOT / "app.py"]:
        if "adapters" in path.parts:
            continue
        bad = matching(imports_of(path), ("boto3", "botocore"))
        assert not bad, f"{path.relative_to(ROOT)} imports {bad}"


def test_no_boto3_client_is_made_at_import_time():
    for path in modules("chalicelib/adapters"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in tree.body:
            if isinstance(node, ast.Assign | ast.AnnAssign) and "client(" in ast.unparse(node):
                raise AssertionError(f"{path.relative_to(ROOT)}: module-level {ast.unparse(node)}")


def test_app_py_only_wires():
    source = (ROOT / "app.py").read_text(encoding="utf-8")
    tree = ast.parse(source)
    assert not [n for n in tree.body if isinstance(n, ast.FunctionDef | ast.ClassDef)], "app.py defines no views"


def test_boto3_is_not_deployed():
    lines = (ROOT / "requirements.txt").read_text(encoding="utf-8").lower().splitlines()
    packages = {line.split("=")[0].split("[")[0].strip() for line in lines if line.strip() and not line.startswith("#")}
    assert not packages & {"boto3", "botocore", "chalice", "moto", "pytest"}
