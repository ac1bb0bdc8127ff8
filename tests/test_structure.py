"""The shape of the code: no import cycles, the service never imports the kiosk, every module imports
on its own, modules and functions small enough to read in one sitting, and ruff clean."""

import ast
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("scan_station", "web")
MAX_MODULE_LINES = 400
MAX_FUNCTION_LINES = 60


def _modules() -> dict[str, Path]:
    found = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            parts = path.relative_to(ROOT).with_suffix("").parts
            name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
            found[name] = path
    return found


MODULES = _modules()


def _resolve(module: str, node: ast.ImportFrom, is_package: bool) -> str:
    if not node.level:
        return node.module or ""
    base = module.split(".")
    base = base if is_package else base[:-1]
    base = base[: len(base) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


def _module_level_imports(name: str, path: Path) -> set[str]:
    """What importing `name` imports at once: imports at module level, not inside functions."""
    tree = ast.parse(path.read_text(), str(path))
    imported = set()
    for node in tree.body:
        statements = [node]
        if isinstance(node, ast.If | ast.Try):  # `if TYPE_CHECKING:` is not run; try/except imports are
            if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
                continue
            statements = list(ast.walk(node))
        for stmt in statements:
            if isinstance(stmt, ast.Import):
                imported.update(alias.name for alias in stmt.names)
            elif isinstance(stmt, ast.ImportFrom):
                target = _resolve(name, stmt, path.name == "__init__.py")
                imported.add(target)
                imported.update(f"{target}.{alias.name}" for alias in stmt.names)
    return {m for m in imported if m in MODULES and m != name}


GRAPH = {name: _module_level_imports(name, path) for name, path in MODULES.items()}


def _cycle() -> list[str] | None:
    state: dict[str, int] = {}  # 1 = on the current path, 2 = done

    def visit(node: str, path: list[str]) -> list[str] | None:
        state[node] = 1
        for nxt in sorted(GRAPH[node]):
            if state.get(nxt) == 1:
                return path[path.index(nxt):] + [node, nxt] if nxt in path else path + [node, nxt]
            if nxt not in state and (found := visit(nxt, path + [node])):
                return found
        state[node] = 2
        return None

    for start in sorted(GRAPH):
        if start not in state and (found := visit(start, [])):
            return found
    return None


def test_no_module_imports_itself_round_a_cycle():
    assert _cycle() is None, " -> ".join(_cycle())


def test_the_service_never_imports_the_kiosk_or_flask():
    for name, path in MODULES.items():
        if not name.startswith("scan_station"):
            continue
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            names = ([a.name for a in node.names] if isinstance(node, ast.Import)
                     else [node.module or ""] if isinstance(node, ast.ImportFrom) and not node.level else [])
            for imported in names:
                assert imported.split(".")[0] not in ("web", "flask"), f"{name} imports {imported}"


def _all_imports(name: str, path: Path) -> set[str]:
    """Every module of ours `name` imports, at module level or inside a function."""
    imported = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            imported.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            target = _resolve(name, node, path.name == "__init__.py")
            imported |= {target} | {f"{target}.{alias.name}" for alias in node.names}
    return {m for m in imported if m in MODULES and m != name}


#: What a module of `_exec` may import of ours: it runs one tool and maps its errors (OCRmyPDF's
#: `_exec/`), so the pipeline is never imported from below.
EXEC_MAY_IMPORT = {"scan_station", "scan_station.core", "scan_station.core.errors"}


def test_exec_is_a_leaf():
    for name, path in MODULES.items():
        if name.startswith("scan_station._exec"):
            above = {m for m in _all_imports(name, path)
                     if not m.startswith("scan_station._exec") and m not in EXEC_MAY_IMPORT}
            assert not above, f"{name} imports the pipeline: {sorted(above)}"


#: The service's packages in layers, lowest first: a package imports only packages before it (and
#: the top-level `scan_station`). `_exec` runs tools and maps their errors, so it stands on `core`
#: alone; `cli` is the top.
LAYERS = ("core", "_exec", "db", "audit", "accounts", "search", "register", "pages", "papers", "ocr",
          "records", "filing", "archive", "capture", "system", "cli")


def _package(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if parts[0] == "scan_station" and len(parts) > 1 and parts[1] in LAYERS else None


def test_every_module_of_the_service_lives_in_a_package():
    loose = [name for name in MODULES if name.startswith("scan_station.") and _package(name) is None
             and name != "scan_station.__main__"]
    assert not loose, f"modules outside the packages of LAYERS: {loose}"


def test_no_package_imports_one_above_it():
    """Every import counts, at module level or inside a function."""
    rank = {name: i for i, name in enumerate(LAYERS)}
    upward = []
    for name, path in MODULES.items():
        low = _package(name)
        if low is None:
            continue
        for imported in _all_imports(name, path):
            high = _package(imported)
            if high is not None and rank[high] > rank[low]:
                upward.append(f"{name} imports {imported}")
    assert not upward, "\n".join(sorted(upward))


# Imports every third-party library our modules use, then forks once per module of ours: each child
# imports one module into an interpreter that has none of ours loaded yet.
_IMPORT_ALONE = """
import importlib, os, sys
ours = sys.argv[1:]
for name in ours:
    importlib.import_module(name)
third_party = [m for m in sys.modules if not m.startswith(("scan_station", "web"))]
for name in [m for m in sys.modules if m.startswith(("scan_station", "web"))]:
    del sys.modules[name]
failed = 0
for name in ours:
    pid = os.fork()
    if pid == 0:
        try:
            importlib.import_module(name)
        except BaseException as exc:
            print(f"{name}: {type(exc).__name__}: {exc}", flush=True)
            os._exit(1)
        os._exit(0)
    failed |= os.waitpid(pid, 0)[1]
sys.exit(1 if failed else 0)
"""


def test_every_module_imports_on_its_own():
    """An import that works only after another module of ours was loaded fails here."""
    names = [n for n in MODULES if ".migrations." not in n and not n.endswith("__main__")]  # alembic's, the CLI's
    done = subprocess.run([sys.executable, "-c", _IMPORT_ALONE, *names], cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr


def test_modules_and_functions_fit_in_one_sitting():
    too_long = []
    for name, path in MODULES.items():
        text = path.read_text()
        if text.count("\n") > MAX_MODULE_LINES:
            too_long.append(f"{name}: {text.count(chr(10))} lines (at most {MAX_MODULE_LINES})")
        if ".migrations.versions." in name:
            continue  # a schema revision is one long list of tables, read as a list
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                length = node.end_lineno - node.lineno + 1
                if length > MAX_FUNCTION_LINES:
                    too_long.append(f"{name}.{node.name}: {length} lines (at most {MAX_FUNCTION_LINES})")
    assert not too_long, "\n".join(too_long)


def test_ruff_finds_nothing():
    ruff = shutil.which("ruff") or str(Path(sys.executable).with_name("ruff"))
    done = subprocess.run([ruff, "check", "--no-cache", *PACKAGES, "tests", "bench"], cwd=ROOT,
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr


def test_commands_return_their_exit_code():
    """A command says how it ends by what it returns (`cli.common.command`), never by setting it
    on click's context for someone else to read."""
    setting = [name for name, path in MODULES.items() if 'meta["exit_code"]' in path.read_text()]
    assert not setting, setting


def test_mypy_finds_nothing_in_the_service():
    """Type checks over `scan_station`, every module (settings in pyproject.toml)."""
    mypy = shutil.which("mypy") or str(Path(sys.executable).with_name("mypy"))
    done = subprocess.run([mypy, "--cache-dir", "/dev/null"], cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr


def test_the_head_revision_is_the_newest_migration():
    """`db.HEAD_REVISION` lets a current database open without Alembic; it must name the newest migration."""
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    from scan_station.db.database import HEAD_REVISION

    cfg = Config()
    cfg.set_main_option("script_location", str(ROOT / "scan_station" / "db" / "migrations"))
    assert ScriptDirectory.from_config(cfg).get_current_head() == HEAD_REVISION
