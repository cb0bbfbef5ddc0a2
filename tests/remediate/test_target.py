"""Target templates: labels only, in a sandbox; names Kubernetes would refuse are refused."""

from __future__ import annotations

import pytest

from hub.remediate.model import Target, TargetKind
from hub.remediate.target import (
    TargetTemplate,
    compile_template,
    dns1123_label_problem,
    dns1123_subdomain_problem,
    render_target,
)


def template(namespace: str, name: str) -> TargetTemplate:
    return TargetTemplate(
        TargetKind.DEPLOYMENT, compile_template(namespace), compile_template(name)
    )


LABELS = {"namespace": "prod", "deployment": "model-api", "pod": "model-api-7c9f8d-x1"}
RENDER_CASES = [
    ("labels", "{{ labels.namespace }}", "{{ labels.deployment }}", "prod", "model-api", None),
    ("item-syntax", "{{ labels['namespace'] }}", "{{ labels.pod }}", "prod",
     "model-api-7c9f8d-x1", None),
    ("literal", "staging", "model-api", "staging", "model-api", None),
    ("filters", "{{ labels.namespace }}", "{{ labels.deployment | replace('-api', '') }}", "prod",
     "model", None),
    ("undefined-label", "{{ labels.namespace }}", "{{ labels.missing }}", "", "",
     "template: 'dict object' has no attribute 'missing'"),
    ("no-globals", "{{ labels.namespace }}", "{{ range(3) | join }}", "", "",
     "template: 'range' is undefined"),
    ("no-python-internals", "{{ labels.namespace }}", "{{ labels.__class__.__mro__ }}", "", "",
     "template: access to attribute '__class__' of 'dict' object is unsafe."),
    ("no-mutation", "{{ labels.namespace }}", "{{ labels.pop('pod') }}", "", "",
     "template: access to attribute 'pop' of 'dict' object is unsafe."),
    ("bad-name", "{{ labels.namespace }}", "Model_API", "prod", "Model_API",
     "name 'Model_API' must be lower-case letters, digits, '-' and '.', starting and ending"
     " alphanumeric"),
    ("bad-namespace", "a.b", "model-api", "a.b", "model-api",
     "namespace 'a.b' must be lower-case letters, digits and '-', starting and ending"
     " alphanumeric"),
    ("empty-name", "prod", "{{ labels.nothing | default('') }}", "prod", "", "name '' is empty"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("namespace", "name", "out_ns", "out_name", "problem"),
    [c[1:] for c in RENDER_CASES],
    ids=[c[0] for c in RENDER_CASES],
)
def test_render(namespace: str, name: str, out_ns: str, out_name: str, problem: str | None) -> None:
    rendered = render_target(template(namespace, name), LABELS)
    assert rendered.problem == problem
    assert (rendered.namespace, rendered.name) == (out_ns, out_name)
    expected = Target(TargetKind.DEPLOYMENT, out_ns, out_name) if problem is None else None
    assert rendered.target == expected


NAME_CASES = [
    ("simple", "model-api", None, None),
    ("digits", "0abc9", None, None),
    ("dots-ok-in-names", "a.b", None, "must be lower-case letters, digits and '-', starting and"
     " ending alphanumeric"),
    ("upper", "Model", "must be lower-case letters, digits, '-' and '.', starting and ending"
     " alphanumeric", "must be lower-case letters, digits and '-', starting and ending"
     " alphanumeric"),
    ("leading-dash", "-a", "must be lower-case letters, digits, '-' and '.', starting and ending"
     " alphanumeric", "must be lower-case letters, digits and '-', starting and ending"
     " alphanumeric"),
    ("label-too-long", "a" * 64, None, "is longer than 63 characters"),
    ("subdomain-too-long", "a" * 254, "is longer than 253 characters",
     "is longer than 63 characters"),
    ("empty", "", "is empty", "is empty"),
    ("newline", "a\n", "must be lower-case letters, digits, '-' and '.', starting and ending"
     " alphanumeric", "must be lower-case letters, digits and '-', starting and ending"
     " alphanumeric"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("value", "subdomain", "label"), [c[1:] for c in NAME_CASES], ids=[c[0] for c in NAME_CASES]
)
def test_rfc1123(value: str, subdomain: str | None, label: str | None) -> None:
    assert dns1123_subdomain_problem(value) == subdomain
    assert dns1123_label_problem(value) == label


def test_syntax_errors_are_value_errors() -> None:
    with pytest.raises(ValueError, match="template syntax error"):
        compile_template("{{ labels.pod ")
