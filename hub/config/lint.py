"""Hints about a config: a likely meant key for a typo, and routes that deliver nothing.

A config can validate and still tell nobody; these checks say so before the first alert.
"""

from __future__ import annotations

import difflib
import types
from collections.abc import Sequence
from typing import Any, Union, get_args, get_origin

from pydantic import BaseModel

from hub.config.models import HubConfig
from hub.config.route import iter_route_receivers

_NOTHING_DELIVERED = "nothing will be delivered"


def _model_in(annotation: Any) -> type[BaseModel] | None:
    """The config model inside ``X``, ``X | None``, ``list[X]`` or ``dict[str, X]``."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    if get_origin(annotation) in (Union, types.UnionType, list, dict, tuple):
        for arg in get_args(annotation):
            found = _model_in(arg)
            if found is not None:
                return found
    return None


def _keys(model: type[BaseModel]) -> dict[str, type[BaseModel] | None]:
    """Every key a model accepts (its YAML name), with the model below it, if any."""
    return {
        (field.alias or name): _model_in(field.annotation)
        for name, field in model.model_fields.items()
    }


def known_keys(loc: Sequence[int | str], root: type[BaseModel] = HubConfig) -> list[str]:
    """The keys accepted at the mapping ``loc`` points to (empty when it is not a model)."""
    model: type[BaseModel] | None = root
    for part in loc:
        if model is None:
            return []
        if isinstance(part, int):
            continue
        model = _keys(model).get(part)
    return list(_keys(model)) if model is not None else []


def suggest_key(unknown: str, known: Sequence[str]) -> str | None:
    """The accepted key ``unknown`` most likely meant (``recievers`` → ``receivers``)."""
    matches = difflib.get_close_matches(unknown, list(known), n=1, cutoff=0.7)
    return matches[0] if matches else None


def unknown_key_message(loc: Sequence[int | str]) -> str:
    """``unknown key; did you mean receivers?`` for the unknown key at the end of ``loc``."""
    guess = suggest_key(str(loc[-1]), known_keys(loc[:-1])) if loc else None
    return f"unknown key; did you mean {guess}?" if guess else "unknown key"


def delivery_warnings(config: HubConfig) -> list[str]:
    """Say when the route tree reaches no channel at all, or a routed receiver has none."""
    if config.route is None:
        return [f"route: no route, so no receiver is reached; {_NOTHING_DELIVERED}"]
    routed = set(iter_route_receivers(config.route))
    warnings = []
    with_channels = set()
    for i, receiver in enumerate(config.receivers):
        has = receiver.telegram_configs or receiver.email_configs or receiver.slack_configs
        if has:
            with_channels.add(receiver.name)
        elif receiver.name in routed:
            warnings.append(
                f"receivers[{i}]: {receiver.name!r} has no telegram_configs, email_configs"
                " or slack_configs; alerts routed to it reach nobody"
            )
    if not routed & with_channels:
        warnings.append(f"route: no route reaches a receiver with a channel; {_NOTHING_DELIVERED}")
    return warnings
