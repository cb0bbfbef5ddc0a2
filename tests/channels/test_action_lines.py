"""Remediation lines in every format: under the since line while firing or acknowledged,
in the status line once resolved, escaped like every other value."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest

from hub.channels.model import Notification
from hub.channels.render import (
    TemplateFormat,
    build_view,
    load_template,
    render_email,
    render_telegram,
    render_view,
)
from hub.channels.slack import build_blocks
from hub.model.notify import NotifyKind
from tests.channels.conftest import make_note

LINE = "Restart <model-api>: waiting for approval"
DONE = "rollout restart model-api at 03:16 (approved by ayse) — cleared in 4 min"


def _note(kind: NotifyKind, *lines: str) -> Notification:
    return replace(make_note(), kind=kind, action_lines=lines)


def _formats(note: Notification) -> dict[str, str]:
    """Each channel's rendering of the note, as the text a reader sees (markup included)."""
    slack_text = render_view(
        load_template("slack.mrkdwn.j2", TemplateFormat.MRKDWN), build_view(note)
    )
    email = render_email(note)
    return {
        "telegram": render_telegram(note),
        "slack-text": slack_text,
        "slack-blocks": json.dumps(build_blocks(note), ensure_ascii=False),
        "email-html": email.html,
        "email-text": email.text,
    }


ESCAPED = {
    "telegram": "Restart &lt;model-api&gt;: waiting for approval",
    "slack-text": "Restart &lt;model-api&gt;: waiting for approval",
    "slack-blocks": "Restart &lt;model-api&gt;: waiting for approval",
    "email-html": "Restart &lt;model-api&gt;: waiting for approval",
    "email-text": LINE,
}


@pytest.mark.parametrize(
    "kind", [NotifyKind.FIRING, NotifyKind.ACKNOWLEDGED], ids=["firing", "acknowledged"]
)
def test_open_message_shows_each_line_escaped(kind: NotifyKind) -> None:
    rendered = _formats(_note(kind, LINE))
    for fmt, text in rendered.items():
        assert ESCAPED[fmt] in text, fmt
        assert "<model-api>" not in text or fmt == "email-text", fmt


def test_resolved_message_puts_lines_in_the_status_line() -> None:
    note = _note(NotifyKind.RESOLVED, DONE)
    assert DONE in build_view(note).status_line
    for fmt, text in _formats(note).items():
        assert DONE in text, fmt


def test_no_lines_no_trace() -> None:
    before = _formats(_note(NotifyKind.FIRING))
    after = _formats(_note(NotifyKind.FIRING, LINE))
    for fmt in before:
        assert before[fmt] != after[fmt], fmt
        assert "approval" not in before[fmt], fmt
