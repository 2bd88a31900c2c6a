"""The sandboxed template language that admins write signature templates in.

Templates run in Jinja2's `ImmutableSandboxedEnvironment`, narrowed further:

- Attributes starting with `_` and Python internals raise `SecurityError` at once instead
  of printing nothing, and the only callable attributes are a few read-only string and
  dict methods (`lower`, `get`, `items`, ...). Context objects are plain frozen dataclasses,
  never ORM rows, so a template cannot reach the database.
- Globals are only a `range` limited to MAX_RANGE items. Filters are an allow-list.
- `*` on strings and lists and `**` are checked so a result stays small.
- Macros, call blocks, recursive loops, includes and loops inside loops are rejected when
  the template is compiled, so the work of a render grows at most linearly with the size
  of the template and of the data.
- Rendering streams the output and stops with an error past MAX_OUTPUT_CHARS or after
  RENDER_TIME_LIMIT seconds.

NOTE: the time limit is checked between output chunks, so a loop whose body outputs
nothing is bounded by the limits above (iterations, template size), not by the clock.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable, Iterator, Mapping
from types import TracebackType
from typing import Any

from jinja2 import TemplateError, TemplateSyntaxError, Undefined, nodes
from jinja2.exceptions import SecurityError
from jinja2.runtime import Context
from jinja2.sandbox import ImmutableSandboxedEnvironment

from maltastic.signatures.errors import SignatureTemplateError

MAX_SOURCE_CHARS = 64 * 1024
MAX_OUTPUT_CHARS = 256 * 1024
MAX_RANGE = 1000
MAX_REPEAT_LENGTH = 10_000  # items or characters that `*` may produce
MAX_POWER_BITS = 4096
RENDER_TIME_LIMIT = 2.0  # seconds

ALLOWED_FILTERS = frozenset(
    {
        "abs", "capitalize", "count", "d", "default", "dictsort", "e", "escape", "first",
        "float", "int", "items", "join", "last", "length", "list", "lower", "max", "min",
        "replace", "reverse", "round", "sort", "string", "striptags", "sum", "title",
        "trim", "truncate", "unique", "upper", "urlencode", "wordcount",
    }
)  # fmt: skip
ALLOWED_METHODS = frozenset(
    {
        "lower", "upper", "title", "capitalize", "strip", "lstrip", "rstrip",
        "startswith", "endswith", "get", "items", "keys", "values",
    }
)  # fmt: skip
_FORBIDDEN_NODES: tuple[type[nodes.Node], ...] = (
    nodes.Macro,
    nodes.CallBlock,
    nodes.Include,
    nodes.Import,
    nodes.FromImport,
    nodes.Extends,
)


class SignatureSandbox(ImmutableSandboxedEnvironment):
    intercepted_binops = frozenset({"*", "**"})

    def __init__(self, *, autoescape: bool) -> None:
        super().__init__(
            autoescape=autoescape,
            undefined=Undefined,
            trim_blocks=True,
            lstrip_blocks=True,
            finalize=_blank_none,
        )
        self.globals = {"range": _bounded_range}
        filters = {name: self.filters[name] for name in ALLOWED_FILTERS}
        filters["replace"] = _bounded_replace
        self.filters = filters

    def is_safe_attribute(self, obj: Any, attr: str, value: Any) -> bool:
        if not super().is_safe_attribute(obj, attr, value):
            return False
        return not callable(value) or attr in ALLOWED_METHODS

    def wrap_str_format(self, value: Any) -> None:
        # `str.format` would bypass the method allow-list (and allow huge padding widths).
        return None

    def unsafe_undefined(self, obj: Any, attribute: str) -> Undefined:
        raise SecurityError(
            f"access to attribute {attribute!r} of a {type(obj).__name__!r} object is not allowed"
        )

    def call_binop(self, context: Context, operator: str, left: Any, right: Any) -> Any:
        if operator == "*":
            _check_repeat(left, right)
            _check_repeat(right, left)
        elif operator == "**":
            _check_power(left, right)
        return super().call_binop(context, operator, left, right)


def _blank_none(value: Any) -> Any:
    return "" if value is None else value


def _bounded_range(*arguments: int) -> range:
    numbers = range(*arguments)
    if len(numbers) > MAX_RANGE:
        raise SecurityError(f"range of {len(numbers)} items exceeds the maximum of {MAX_RANGE}")
    return numbers


def _bounded_replace(value: Any, old: str, new: str, count: int | None = None) -> str:
    text, old, new = str(value), str(old), str(new)
    occurrences = text.count(old) if old else len(text) + 1
    if occurrences * len(new) > MAX_REPEAT_LENGTH:
        raise SecurityError(f"replace would add more than {MAX_REPEAT_LENGTH} characters")
    return text.replace(old, new, -1 if count is None else count)


def _check_repeat(sequence: Any, times: Any) -> None:
    repeatable = isinstance(sequence, str | list | tuple) and isinstance(times, int)
    if repeatable and len(sequence) * times > MAX_REPEAT_LENGTH:
        raise SecurityError(f"repeating produces more than {MAX_REPEAT_LENGTH} items")


def _check_power(base: Any, exponent: Any) -> None:
    integers = isinstance(base, int) and isinstance(exponent, int) and exponent > 0
    if integers and max(base.bit_length(), 1) * exponent > MAX_POWER_BITS:
        raise SecurityError(f"power result would exceed {MAX_POWER_BITS} bits")


_HTML_ENVIRONMENT = SignatureSandbox(autoescape=True)
_TEXT_ENVIRONMENT = SignatureSandbox(autoescape=False)


@functools.lru_cache(maxsize=512)
def compile_template(name: str, source: str, *, html: bool) -> CompiledTemplate:
    """Parse, check and compile a template. Calls with the same name and source share one result."""
    environment = _HTML_ENVIRONMENT if html else _TEXT_ENVIRONMENT
    filename = f"<signature template {name}>"
    if len(source) > MAX_SOURCE_CHARS:
        raise SignatureTemplateError(name, None, f"longer than {MAX_SOURCE_CHARS} characters")
    try:
        tree = environment.parse(source, name=name, filename=filename)
        _check_tree(name, tree)
        code = environment.compile(tree, name=name, filename=filename)
    except TemplateSyntaxError as error:
        raise SignatureTemplateError(name, error.lineno, error.message or str(error)) from error
    template = environment.template_class.from_code(
        environment, code, environment.make_globals(None)
    )
    return CompiledTemplate(name, filename, template.generate)


def _check_tree(name: str, tree: nodes.Template) -> None:
    for node in tree.find_all(_FORBIDDEN_NODES):
        kind = type(node).__name__.lower()
        raise SignatureTemplateError(name, node.lineno, f"{kind} is not allowed in signatures")
    for loop in tree.find_all(nodes.For):
        if loop.recursive:
            raise SignatureTemplateError(name, loop.lineno, "recursive loops are not allowed")
        for inner in loop.find_all(nodes.For):
            raise SignatureTemplateError(name, inner.lineno, "loops inside loops are not allowed")


class CompiledTemplate:
    """A compiled signature template that renders within the output and time limits."""

    def __init__(self, name: str, filename: str, generate: Callable[..., Iterator[str]]) -> None:
        self.name = name
        self._filename = filename
        self._generate = generate

    def render(self, context: Mapping[str, Any]) -> str:
        deadline = time.monotonic() + RENDER_TIME_LIMIT
        chunks: list[str] = []
        size = 0
        try:
            for chunk in self._generate(dict(context)):
                chunks.append(chunk)
                size += len(chunk)
                if size > MAX_OUTPUT_CHARS:
                    raise SecurityError(f"output exceeds {MAX_OUTPUT_CHARS} characters")
                if time.monotonic() > deadline:
                    raise SecurityError(f"rendering took longer than {RENDER_TIME_LIMIT} s")
        except (TemplateError, ArithmeticError, TypeError, ValueError, LookupError) as error:
            line = _template_line(error.__traceback__, self._filename)
            raise SignatureTemplateError(self.name, line, str(error)) from error
        except RecursionError as error:
            raise SignatureTemplateError(self.name, None, "nesting too deep") from error
        return "".join(chunks)


def _template_line(traceback: TracebackType | None, filename: str) -> int | None:
    line = None
    while traceback is not None:
        if traceback.tb_frame.f_code.co_filename == filename:
            line = traceback.tb_lineno
        traceback = traceback.tb_next
    return line
