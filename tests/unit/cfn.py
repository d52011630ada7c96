"""Reading infra/template.yaml in tests: its short-form tags, and the few intrinsic functions its
IAM resources use, evaluated for given parameter values."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

TEMPLATE = Path(__file__).resolve().parents[2] / "infra" / "template.yaml"


class _Loader(yaml.SafeLoader):  # type: ignore[misc]
    """PyYAML's safe loader plus CloudFormation's ``!Ref``, ``!Sub``, ``!GetAtt``, …"""


def _tag(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> dict[str, Any]:
    if isinstance(node, yaml.ScalarNode):
        value: Any = loader.construct_scalar(node)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)
    if suffix == "Ref":
        return {"Ref": value}
    if suffix == "GetAtt" and isinstance(value, str):
        value = value.split(".", 1)
    return {f"Fn::{suffix}": value}


_Loader.add_multi_constructor("!", _tag)


def load(path: Path = TEMPLATE) -> dict[str, Any]:
    document: dict[str, Any] = yaml.load(path.read_text(), Loader=_Loader)  # noqa: S506
    return document


def evaluate(value: Any, params: dict[str, Any], conditions: dict[str, bool]) -> Any:
    """``value`` with Ref/Sub/Join/Split/If resolved; other references stay as ``{"Ref": …}``."""
    if isinstance(value, list):
        return [evaluate(v, params, conditions) for v in value]
    if not isinstance(value, dict):
        return value
    if len(value) != 1 or not next(iter(value)).startswith(("Ref", "Fn::")):
        return {k: evaluate(v, params, conditions) for k, v in value.items()}
    ((name, arg),) = value.items()
    if name == "Ref":
        return params.get(arg, value)
    if name == "Fn::If":
        condition, yes, no = arg
        return evaluate(yes if conditions[condition] else no, params, conditions)
    if name == "Fn::Join":
        sep, items = evaluate(arg, params, conditions)
        return sep.join(items)
    if name == "Fn::Split":
        sep, text = evaluate(arg, params, conditions)
        return text.split(sep)
    if name == "Fn::Sub":
        text, names = (arg, {}) if isinstance(arg, str) else arg
        scope = params | {k: evaluate(v, params, conditions) for k, v in names.items()}
        return re.sub(r"\$\{([^}]+)\}", lambda m: str(scope[m.group(1)]), text)
    return {name: evaluate(arg, params, conditions)}
