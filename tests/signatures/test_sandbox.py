"""Template sandbox: no escape to Python internals, bounded work, clear errors.

Resource abuse is bounded, not timed out: `range` yields at most 1000 items, `*` and `**`
results stay small, loops cannot nest, macros and recursion are rejected, and output
stops at 256 KiB. Each case below must raise SignatureTemplateError quickly.
"""

from __future__ import annotations

import time

import pytest

from maltastic.signatures.context import CompanyContext, EmployeeContext
from maltastic.signatures.errors import SignatureTemplateError
from maltastic.signatures.sandbox import compile_template


def render(source: str, *, html: bool = True) -> str:
    context = {
        "employee": EmployeeContext("Anna", "Schmidt", custom={"linkedin": "anna-s"}),
        "company": CompanyContext("Beispiel GmbH", "https://www.beispiel.de/"),
        "banner": "",
    }
    return compile_template("Test", source, html=html).render(context)


@pytest.mark.parametrize(
    "source",
    [
        "{{ ''.__class__.__mro__ }}",
        "{{ ''.__class__ }}",
        "{{ employee.__init__.__globals__ }}",
        "{{ employee.__class__.__subclasses__() }}",
        "{{ employee['__class__'] }}",
        "{{ employee.from_employee }}",
        "{{ ''.format }}",
        "{{ '{0.__class__}'.format(employee) }}",
        "{{ employee.custom.__class__ }}",
        "{{ employee|attr('__class__') }}",
        "{{ lipsum.__globals__ }}",
        "{{ cycler.__init__.__globals__.os }}",
        "{{ range.__self__.__import__('os') }}",
        "{% set ns = namespace(x=1) %}",
    ],
)
def test_escape_attempt_is_rejected(source: str) -> None:
    with pytest.raises(SignatureTemplateError):
        render(source)


@pytest.mark.parametrize(
    "source",
    [
        "{% for x in range(10**9) %}{% endfor %}",
        "{% for x in range(100000) %}x{% endfor %}",
        "{{ 'a' * 10**8 }}",
        "{{ [1] * 10**8 }}",
        "{{ 10 ** 100000 }}",
        "{{ ((10 ** 100) ** 100) ** 100 }}",
        "{% for a in range(9) %}{% for b in range(9) %}{% endfor %}{% endfor %}",
        "{% macro f(n) %}{{ f(n) }}{{ f(n) }}{% endmacro %}{{ f(1) }}",
        "{% for x in [1] recursive %}{{ loop([x]) }}{% endfor %}",
        "{% include 'other' %}",
        "{{ ('x' * 10000)|replace('x', 'y' * 10000) }}",
        "{% for x in range(1000) %}{{ 'x' * 10000 }}{% endfor %}",
        "{{ 'x'|center(10**9) }}",
    ],
)
def test_resource_abuse_is_bounded(source: str) -> None:
    started = time.monotonic()
    with pytest.raises(SignatureTemplateError):
        render(source)
    assert time.monotonic() - started < 2


def test_allowed_features_work() -> None:
    source = (
        "{{ employee.full_name|upper }} {{ employee.custom.linkedin }}"
        "{{ employee.custom.missing }}{{ employee.first_name.lower() }}"
        "{% for key, value in employee.custom|dictsort %} {{ key }}={{ value }}{% endfor %}"
    )
    assert render(source) == "ANNA SCHMIDT anna-sanna linkedin=anna-s"


def test_html_values_are_escaped() -> None:
    html = compile_template("Test", "{{ name }}", html=True).render({"name": "<b>&</b>"})
    assert html == "&lt;b&gt;&amp;&lt;/b&gt;"


def test_text_templates_do_not_escape() -> None:
    text = compile_template("Test", "{{ name }}", html=False).render({"name": "A & B"})
    assert text == "A & B"


def test_syntax_error_names_template_and_line() -> None:
    with pytest.raises(SignatureTemplateError) as caught:
        render("<p>\n{{ employee.full_name }}\n{% if %}\n</p>")
    assert caught.value.template_name == "Test"
    assert caught.value.line == 3
    assert "'Test', line 3" in str(caught.value)
    assert "Zeile 3" in caught.value.message_de


def test_runtime_error_names_line() -> None:
    with pytest.raises(SignatureTemplateError) as caught:
        render("line one\nline two {{ 1 / 0 }}")
    assert caught.value.line == 2
    assert "division by zero" in str(caught.value)


def test_compiled_templates_are_cached() -> None:
    first = compile_template("Cached", "{{ employee.first_name }}", html=True)
    second = compile_template("Cached", "{{ employee.first_name }}", html=True)
    changed = compile_template("Cached", "{{ employee.last_name }}", html=True)
    assert first is second
    assert changed is not first
