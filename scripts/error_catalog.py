"""The error catalogue: every error the registry can answer, and which ones the suite produced.

    python scripts/error_catalog.py --list                    # the catalogue
    python scripts/error_catalog.py --seen FILE [--min N]     # the gate of `make test`

The catalogue is read statically from src/registry:
- types: each RegistryError subclass as (status, code); PermissionDeniedError answers 401 or 403;
- messages: each construction of a RegistryError subclass with its message, a literal or an
  f-string / str.format / % pattern whose holes become wildcards; also the messages passed to
  small factories that forward them (``_reject("...")`` -> ZipRejectedError), and the literal
  ``{"error": ..., "message": ...}`` bodies the transports build (routing 404/405, the 500 that
  names no internals). A message computed at run time (``ValidationError(str(exc))``) is one
  "dynamic" entry per place;
- statuses: each 4xx/5xx an error type, a route or a page answers with.
Errors raised only at start-up (ConfigurationError) answer no request and are left out.

The suite's side is the JSON-lines file tests/fixtures/error_recorder.py writes (--errors-seen):
status, code and message of each error answer. A message entry counts when an answer with its
code has a message its pattern matches in full (on pages, when the visible text contains it); a
dynamic entry when an answer with its code matched no literal pattern; a type when its code and
status were answered (or one of its messages was); a status when it was answered.
"""

from __future__ import annotations

import argparse
import ast
import json
import re
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
SRC = ROOT / "src" / "registry"
# The gate (a ratchet: the share measured on main, raised as tests are added) and the target.
GATE_PERCENT = 58.0  # measured 58.2 % on main
TARGET_PERCENT = 80.0
START_UP_ONLY = {"ConfigurationError", "UnknownSearchBackendError"}
WILDCARD = "(?s:.*?)"
# A page shows a message inside its own text: only literals this long are searched for there.
MIN_PAGE_LITERAL = 12


@dataclass
class ErrorType:
    """A RegistryError subclass: the statuses and code it answers with."""

    name: str
    statuses: set[int]
    code: str
    builds_own: bool = False  # its constructor takes no message but makes its own


@dataclass
class Entry:
    """One catalogued error answer."""

    kind: str  # "type", "message" or "status"
    code: str | None
    statuses: set[int]
    display: str
    pattern: str | None = None  # a regex for messages; None for dynamic ones and non-messages
    literal: int = 0  # characters of literal text in the pattern
    where: list[str] = field(default_factory=list)
    seen: bool = False

    def key(self) -> tuple[Any, ...]:
        """Entries with the same key are one (the same message raised in several places)."""
        return (self.kind, self.code, self.pattern, self.display if self.pattern is None else "")


# --- the source side -------------------------------------------------------------------------


def _modules() -> Iterator[tuple[str, ast.Module]]:
    for path in sorted(SRC.rglob("*.py")):
        if "migrations" in path.parts:
            continue
        yield str(path.relative_to(ROOT)), ast.parse(path.read_text(), filename=str(path))


def _name(node: ast.expr) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return None


def _const_int(node: ast.expr | None) -> int | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, int):
        return node.value
    return None


def error_types(modules: list[tuple[str, ast.Module]]) -> dict[str, ErrorType]:
    """Every RegistryError subclass in src/registry, with inherited status and code."""
    classes: dict[str, tuple[list[str], dict[str, Any]]] = {}
    for _, tree in modules:
        for node in ast.walk(tree):
            if isinstance(node, ast.ClassDef):
                attrs: dict[str, Any] = {}
                for item in node.body:
                    if isinstance(item, ast.Assign) and len(item.targets) == 1:
                        target = _name(item.targets[0])
                        if target in ("status_code", "code") and isinstance(
                            item.value, ast.Constant
                        ):
                            attrs[target] = item.value.value
                    if isinstance(item, ast.FunctionDef) and item.name == "__init__":
                        first = [a.arg for a in item.args.args[1:2]]
                        attrs["builds_own"] = first != ["message"]
                        for arg in item.args.kwonlyargs:
                            if arg.arg == "status_code":
                                attrs["variable_status"] = True
                bases = [b for b in (_name(base) for base in node.bases) if b]
                classes[node.name] = (bases, attrs)
    found: dict[str, ErrorType] = {}

    def resolve(name: str) -> ErrorType | None:
        if name in found:
            return found[name]
        if name not in classes:
            return None
        bases, attrs = classes[name]
        parent = None
        if name != "RegistryError":
            parent = next((p for p in map(resolve, bases) if p), None)
            if parent is None:
                return None
        status = attrs.get("status_code", min(parent.statuses) if parent else 500)
        statuses = {status, 401} if attrs.get("variable_status") else {status}
        code = attrs.get("code", parent.code if parent else "internal_error")
        found[name] = ErrorType(name, statuses, code, bool(attrs.get("builds_own")))
        return found[name]

    for name in classes:
        resolve(name)
    return found


def message_pattern(node: ast.expr) -> tuple[str, str, int] | None:
    """(regex, display, literal characters) of a message expression; None when not a string."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return re.escape(node.value), node.value, len(node.value)
    if isinstance(node, ast.JoinedStr):
        regex, display, literal = "", "", 0
        for part in node.values:
            if isinstance(part, ast.Constant) and isinstance(part.value, str):
                regex += re.escape(part.value)
                display += part.value
                literal += len(part.value)
            else:
                hole = part.value if isinstance(part, ast.FormattedValue) else part
                regex += WILDCARD
                display += "{" + ast.unparse(hole) + "}"
        return regex, display, literal
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        left, right = message_pattern(node.left), message_pattern(node.right)
        parts = [
            p or (WILDCARD, "{" + ast.unparse(n) + "}", 0)
            for p, n in ((left, node.left), (right, node.right))
        ]
        if left is None and right is None:
            return None
        return parts[0][0] + parts[1][0], parts[0][1] + parts[1][1], parts[0][2] + parts[1][2]
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mod):
        if isinstance(node.left, ast.Constant) and isinstance(node.left.value, str):
            text = node.left.value
            chunks = re.split(r"%[-#0 +]*\d*(?:\.\d+)?[sdrifx]", text)
            return WILDCARD.join(map(re.escape, chunks)), text, sum(map(len, chunks))
    if (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == "format"
        and isinstance(node.func.value, ast.Constant)
        and isinstance(node.func.value.value, str)
    ):
        text = node.func.value.value
        chunks = re.split(r"\{[^{}]*\}", text)
        return WILDCARD.join(map(re.escape, chunks)), text, sum(map(len, chunks))
    return None


def _message_arg(call: ast.Call, position: int, keyword: str) -> ast.expr | None:
    if len(call.args) > position:
        return call.args[position]
    return next((k.value for k in call.keywords if k.arg == keyword), None)


def _factories(
    modules: list[tuple[str, ast.Module]], types: dict[str, ErrorType]
) -> dict[str, tuple[str, int, str]]:
    """Functions that build an error from a message parameter: name -> (type, position, name)."""
    found = {}
    for _, tree in modules:
        for node in ast.walk(tree):
            if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            params = [a.arg for a in node.args.posonlyargs + node.args.args]
            if params[:1] in (["self"], ["cls"]):
                params = params[1:]
            for call in ast.walk(node):
                if isinstance(call, ast.Call) and _name(call.func) in types:
                    arg = _message_arg(call, 0, "message")
                    if isinstance(arg, ast.Name) and arg.id in params:
                        found[node.name] = (_name(call.func) or "", params.index(arg.id), arg.id)
    return found


def catalogue() -> list[Entry]:
    """Every error answer the source can produce (types, messages, statuses)."""
    modules = list(_modules())
    types = error_types(modules)
    factories = _factories(modules, types)
    entries: list[Entry] = []
    for t in types.values():
        if t.name not in START_UP_ONLY:
            entries.append(Entry("type", t.code, set(t.statuses), t.name))
    # Types whose constructor builds the message itself: the message comes from their __init__.
    builds_own = {t.name for t in types.values() if t.builds_own}
    statuses: dict[int, set[str]] = {}
    for t in types.values():
        if t.name not in START_UP_ONLY:
            for status in t.statuses:
                statuses.setdefault(status, set()).add(t.code)
    for where, tree in modules:
        parents = {child: node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}
        for node in ast.walk(tree):
            if isinstance(node, ast.keyword) and node.arg in ("status_code", "status"):
                status = _const_int(node.value)
                if status is not None and status >= 400:
                    statuses.setdefault(status, set()).add(f"{where}:{node.value.lineno}")
            if isinstance(node, ast.Dict):
                entries.extend(_literal_bodies(node, parents, where))
            if not isinstance(node, ast.Call):
                continue
            called = _name(node.func)
            if called in types and called not in START_UP_ONLY:
                t = types[called]
                if called in builds_own:
                    continue
                arg = _message_arg(node, 0, "message")
                if isinstance(node.func, ast.Attribute) and node.func.attr == "__init__":
                    continue
                if arg is None:
                    continue
                enclosing = _enclosing_function(node, parents)
                if enclosing in factories and isinstance(arg, ast.Name):
                    continue  # a factory's forwarded parameter: catalogued at its call sites
                status_kw = next((k.value for k in node.keywords if k.arg == "status_code"), None)
                statuses_of = {_const_int(status_kw)} if _const_int(status_kw) else t.statuses
                entries.extend(_message_entry(t.code, statuses_of, arg, f"{where}:{node.lineno}"))
            elif called in factories:
                type_name, position, keyword = factories[called]
                t = types[type_name]
                arg = _message_arg(node, position, keyword)
                if arg is not None and not isinstance(arg, ast.Name):
                    entries.extend(
                        _message_entry(t.code, t.statuses, arg, f"{where}:{node.lineno}")
                    )
        # Messages built inside an error type's own constructor (super().__init__(f"...")).
        for cls in (n for n in tree.body if isinstance(n, ast.ClassDef) and n.name in builds_own):
            t = types[cls.name]
            for call in ast.walk(cls):
                if (
                    isinstance(call, ast.Call)
                    and isinstance(call.func, ast.Attribute)
                    and call.func.attr == "__init__"
                    and call.args
                ):
                    entries.extend(
                        _message_entry(t.code, t.statuses, call.args[0], f"{where}:{call.lineno}")
                    )
    # Starlette's routing errors, mapped by rest/errors.py http_error (the detail is the phrase).
    entries.append(_routing(404, "not_found", "Not Found"))
    entries.append(_routing(405, "method_not_allowed", "Method Not Allowed"))
    statuses.setdefault(404, set()).add("routing")
    statuses.setdefault(405, set()).add("routing")
    for status, origins in sorted(statuses.items()):
        entries.append(Entry("status", None, {status}, str(status), where=sorted(origins)))
    merged: dict[tuple[Any, ...], Entry] = {}
    for entry in entries:
        if entry.key() in merged:
            merged[entry.key()].where.extend(entry.where)
        else:
            merged[entry.key()] = entry
    return list(merged.values())


def _routing(status: int, code: str, message: str) -> Entry:
    return Entry("message", code, {status}, message, re.escape(message), len(message), ["routing"])


def _enclosing_function(node: ast.AST, parents: dict[ast.AST, ast.AST]) -> str | None:
    while node in parents:
        node = parents[node]
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            return node.name
    return None


def _message_entry(code: str, statuses: set[int], arg: ast.expr, where: str) -> list[Entry]:
    """The catalogue entries of one message expression (two for `a if c else b`)."""
    if isinstance(arg, ast.IfExp):
        return _message_entry(code, statuses, arg.body, where) + _message_entry(
            code, statuses, arg.orelse, where
        )
    pattern = message_pattern(arg)
    if pattern is None or pattern[2] == 0:
        display = f"<computed: {ast.unparse(arg)}>"
        return [Entry("message", code, set(statuses), display, None, 0, [where])]
    regex, display, literal = pattern
    return [Entry("message", code, set(statuses), display, regex, literal, [where])]


def _literal_bodies(node: ast.Dict, parents: dict[ast.AST, ast.AST], where: str) -> list[Entry]:
    """{"error": "<code>", "message": ...} bodies the transports build themselves."""
    keys = {
        k.value: v
        for k, v in zip(node.keys, node.values, strict=True)
        if isinstance(k, ast.Constant)
    }
    code, message = keys.get("error"), keys.get("message")
    if not (isinstance(code, ast.Constant) and isinstance(code.value, str) and message is not None):
        return []
    call = parents.get(node)
    status = None
    if isinstance(call, ast.Call):
        status = _const_int(next((k.value for k in call.keywords if k.arg == "status_code"), None))
    if status is None:
        return []  # a body whose status is chosen elsewhere (routing: catalogued by hand)
    return _message_entry(code.value, {status}, message, f"{where}:{node.lineno}")


# --- the suite's side ------------------------------------------------------------------------


def load_seen(path: Path) -> list[dict[str, Any]]:
    """The records tests/fixtures/error_recorder.py appended."""
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]


def mark_seen(entries: list[Entry], records: list[dict[str, Any]]) -> None:
    """Set `seen` on every entry some record produced."""
    messages = [e for e in entries if e.kind == "message" and e.pattern is not None]
    compiled = {id(e): re.compile(e.pattern or "") for e in messages}
    unmatched_codes: set[tuple[str, int]] = set()
    answered: set[tuple[str | None, int]] = set()
    for record in records:
        status, code = int(record.get("status") or 0), record.get("code")
        answered.add((code, status))
        message, text = record.get("message"), record.get("text")
        hit = False
        for entry in messages:
            if code is not None and isinstance(message, str):
                if entry.code == code and compiled[id(entry)].fullmatch(message):
                    entry.seen = hit = True
            elif text and entry.literal >= MIN_PAGE_LITERAL and status in entry.statuses:
                if compiled[id(entry)].search(text):
                    entry.seen = hit = True
        if code is not None and not hit:
            unmatched_codes.add((code, status))
    seen_codes = {code for code, _ in unmatched_codes}
    statuses = {status for _, status in answered}
    for entry in entries:
        if entry.kind == "message" and entry.pattern is None:
            entry.seen = entry.code in seen_codes
        elif entry.kind == "status":
            entry.seen = int(entry.display) in statuses
    for entry in entries:
        if entry.kind == "type":
            entry.seen = any((entry.code, s) in answered for s in entry.statuses) or any(
                m.seen and m.code == entry.code for m in entries if m.kind == "message"
            )


def _line(entry: Entry) -> str:
    statuses = "/".join(map(str, sorted(entry.statuses)))
    if entry.kind == "status":
        more = "..." if len(entry.where) > 3 else ""
        return f"status {statuses}  ({', '.join(entry.where[:3])}{more})"
    if entry.kind == "type":
        return f"type    {statuses} {entry.code}  ({entry.display})"
    where = ", ".join(entry.where[:2]) + (
        f" +{len(entry.where) - 2}" if len(entry.where) > 2 else ""
    )
    return f"message {statuses} {entry.code}: {entry.display!r}  ({where})"


def main(argv: list[str] | None = None) -> int:
    """List the catalogue, or report what the suite produced and gate on the share."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--list", action="store_true", help="print the whole catalogue")
    parser.add_argument("--seen", type=Path, help="the --errors-seen file of a test run")
    parser.add_argument("--min", type=float, default=GATE_PERCENT, help="gate, in percent")
    parser.add_argument("--json", type=Path, help="also write the catalogue with results here")
    args = parser.parse_args(argv)
    entries = catalogue()
    if args.list and not args.seen:
        for entry in entries:
            print(_line(entry))
        print(f"{len(entries)} entries")
        return 0
    if args.seen is None:
        parser.error("--seen FILE or --list")
    records = load_seen(args.seen)
    mark_seen(entries, records)
    seen = sum(e.seen for e in entries)
    share = 100.0 * seen / len(entries) if entries else 100.0
    print(f"error catalogue: {len(records)} error answers recorded")
    for kind, label in (("type", "types"), ("message", "messages"), ("status", "statuses")):
        some = [e for e in entries if e.kind == kind]
        hit = sum(e.seen for e in some)
        print(f"  {label:<9} {hit:4d} / {len(some):4d} produced ({100.0 * hit / len(some):5.1f} %)")
    dynamic = [e for e in entries if e.kind == "message" and e.pattern is None]
    print(f"  (of the messages, {len(dynamic)} are computed at run time and counted by code)")
    missing = [e for e in entries if not e.seen]
    if missing:
        print(f"  not produced by any test ({len(missing)}):")
        for entry in missing:
            print("    " + _line(entry))
    ok = share >= args.min
    print(
        f"  error answers produced: {share:.2f} %  (gate {args.min:.0f} %,"
        f" target {TARGET_PERCENT:.0f} %, aim: all)  {'ok' if ok else 'BELOW GATE'}"
    )
    if args.json:
        args.json.write_text(
            json.dumps(
                [
                    {
                        "kind": e.kind,
                        "code": e.code,
                        "statuses": sorted(e.statuses),
                        "message": e.display,
                        "where": e.where,
                        "seen": e.seen,
                    }
                    for e in entries
                ],
                indent=1,
            )
        )
    if not ok:
        print(f"error-message gate FAILED: {share:.2f} % < {args.min:.0f} %", file=sys.stderr)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
