"""The action codes the service and the kiosk write into the audit log, found in their source:
every `audit.record` / `audit.record_many` call's action, followed through conditional
expressions ("login" if ... else "login.failed"), f-strings (f"handover.{action}"), module
constants (ACCEPTED) and functions that pass the action on (`audit_exempt(s, d, "document.view")`).
An action this cannot tell is an error, so that a new way of writing one is not missed."""

from __future__ import annotations

import ast
import itertools
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("scan_station", "web")
WRITERS = {"record": 2, "record_many": 2}  # audit.<name>(session, actor, action, ...)


@dataclass
class Module:
    path: Path
    tree: ast.Module
    constants: dict[str, str]
    functions: dict[str, ast.FunctionDef]


def _constants(tree: ast.Module) -> dict[str, str]:
    found = {}
    for node in tree.body:
        if not isinstance(node, ast.Assign) or len(node.targets) != 1:
            continue
        target, value = node.targets[0], node.value
        pairs = zip(target.elts, value.elts, strict=False) if isinstance(target, ast.Tuple) and isinstance(
            value, ast.Tuple) else [(target, value)]
        for name, constant in pairs:
            if isinstance(name, ast.Name) and isinstance(constant, ast.Constant) and isinstance(constant.value, str):
                found[name.id] = constant.value
    return found


def _modules() -> list[Module]:
    found = []
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            if path.name == "log.py" and path.parent.name == "audit":
                continue  # the log itself: record() passes its caller's action on
            tree = ast.parse(path.read_text(), str(path))
            functions = {n.name: n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef)}
            found.append(Module(path, tree, _constants(tree), functions))
    return found


def _params(function: ast.FunctionDef) -> list[str]:
    return [a.arg for a in (*function.args.posonlyargs, *function.args.args, *function.args.kwonlyargs)]


def _argument(call: ast.Call, function: ast.FunctionDef, name: str) -> ast.expr | None:
    """The expression `call` passes for parameter `name` of `function` (or its default)."""
    for keyword in call.keywords:
        if keyword.arg == name:
            return keyword.value
    positional = [a.arg for a in (*function.args.posonlyargs, *function.args.args)]
    if name in positional and positional.index(name) < len(call.args):
        return call.args[positional.index(name)]
    defaults = dict(zip(positional[::-1], function.args.defaults[::-1], strict=False))
    defaults |= {a.arg: d for a, d in zip(function.args.kwonlyargs, function.args.kw_defaults, strict=True) if d}
    return defaults.get(name)


def _callee(call: ast.Call) -> str:
    return call.func.attr if isinstance(call.func, ast.Attribute) else getattr(call.func, "id", "")


class Codes:
    def __init__(self) -> None:
        self.modules = _modules()
        self.unknown: list[str] = []

    def written(self) -> set[str]:
        codes = set()
        for module in self.modules:
            for function in module.functions.values():
                for call in ast.walk(function):
                    if not isinstance(call, ast.Call) or _callee(call) not in WRITERS:
                        continue
                    if not (isinstance(call.func, ast.Attribute) and ast.unparse(call.func.value) == "audit"):
                        continue
                    action = _argument(call, _writer_signature(), "action")
                    codes |= self.values(module, function, action, depth=0)
        return {c for c in codes if c}

    def values(self, module: Module, function: ast.FunctionDef, node: ast.expr | None, *, depth: int) -> set[str]:
        """Every string `node` may be, in `function` of `module`."""
        where = f"{module.path.relative_to(ROOT)}:{getattr(node, 'lineno', '?')}"
        if node is None or depth > 5:
            self.unknown.append(where)
            return set()
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            return {node.value}
        if isinstance(node, ast.IfExp):
            return self.values(module, function, node.body, depth=depth) | self.values(
                module, function, node.orelse, depth=depth)
        if isinstance(node, ast.JoinedStr):
            parts = [self.values(module, function, p.value if isinstance(p, ast.FormattedValue) else p, depth=depth)
                     for p in node.values]
            return {"".join(combination) for combination in itertools.product(*parts)}
        if isinstance(node, ast.Name) and node.id in _params(function):
            return self._passed(module, function.name, node.id, depth=depth + 1)
        if isinstance(node, ast.Name) and node.id in module.constants:
            return {module.constants[node.id]}
        self.unknown.append(where)
        return set()

    def _passed(self, module: Module, name: str, param: str, *, depth: int) -> set[str]:
        """What the callers of `name` pass for `param`: in its own module, and elsewhere if public."""
        found = set()
        for caller in self.modules:
            if caller is not module and name.startswith("_"):
                continue
            for function in caller.functions.values():
                for call in ast.walk(function):
                    if isinstance(call, ast.Call) and _callee(call) == name:
                        found |= self.values(caller, function, _argument(call, module.functions[name], param),
                                             depth=depth)
        return found


def _writer_signature() -> ast.FunctionDef:
    return ast.parse("def record(session, actor, action, subject='', **details): pass").body[0]


def written_codes() -> tuple[set[str], list[str]]:
    """The action codes the source writes, and where an action could not be told."""
    codes = Codes()
    return codes.written(), codes.unknown
