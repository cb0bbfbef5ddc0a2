"""What the bot says back, in Telegram HTML; everything it echoes is escaped (pure)."""

from __future__ import annotations

from datetime import datetime
from html import escape as _escape
from typing import Any

from hub.bot.permissions import Command, RefusalReason, Refused, commands_for
from hub.bot.services import PAGE_SIZE, IncidentPage
from hub.channels.render import format_duration_human
from hub.config.bot import BotUserConfig
from hub.config.types import format_duration
from hub.remediate.lines import action_line
from hub.remediate.model import ActionStatus
from hub.remediate.store import ActionRow
from hub.reports.response import ResponseStats
from hub.service.silences import SilenceOutcome
from hub.store.acks import AckResult

USAGE: dict[Command, str] = {
    Command.HELP: "/help — what you may do here",
    Command.WHOAMI: "/whoami — who the hub thinks you are",
    Command.INCIDENTS: "/incidents [MATCHER …] [PAGE] — open incidents, newest first",
    Command.INCIDENT: "/incident ID — labels, timeline, links",
    Command.HISTORY: "/history [ALERTNAME] [SINCE] — past incidents and how long they lasted",
    Command.STATS: "/stats [SINCE] — MTTA, MTTR, noisiest alerts",
    Command.ACK: "/ack ID [comment] — acknowledge the incident's whole group",
    Command.SILENCE: "/silence ID DURATION [comment] or /silence MATCHER … DURATION [comment]",
    Command.UNSILENCE: "/unsilence SILENCE_ID — expire a silence",
    Command.ACTIONS: "/actions — pending and recent remediation actions",
    Command.RESTART: "/restart KIND/NAME [-n NAMESPACE] — ask a policy for a rollout restart",
    Command.APPROVE: "/approve ACTION_ID — let a pending action run",
    Command.REJECT: "/reject ACTION_ID — turn a pending action down",
    Command.PAUSE: "/pause — stop all remediation until /resume",
    Command.RESUME: "/resume — let remediation act again",
    Command.CIRCUIT_RESET: "/circuit_reset KIND/NAME [-n NAMESPACE] — close a target's circuit",
}
ANSWER_LIMIT = 200  # answerCallbackQuery text


def escape(value: str) -> str:
    """Text for Telegram HTML: ``&``, ``<`` and ``>`` escaped (quotes read as quotes)."""
    return _escape(value, quote=False)


def attr(value: str) -> str:
    """A value inside a double-quoted HTML attribute (a link's ``href``)."""
    return _escape(value, quote=True)


def _when(value: str | None) -> str:
    """An ISO timestamp from the store as ``2025-03-04 03:12 UTC``."""
    if not value:
        return "—"
    moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return moment.strftime("%Y-%m-%d %H:%M UTC")


def help_text(person: BotUserConfig) -> str:
    lines = [f"Hi {escape(person.name)} ({person.role.value}). You may use:"]
    lines += [escape(USAGE[c]) for c in commands_for(person.role)]
    lines.append("Matchers are Alertmanager's (severity=critical); DURATION like 30m or 4h.")
    return "\n".join(lines)


def whoami_text(person: BotUserConfig, user_id: int, username: str | None) -> str:
    handle = f" (@{escape(username)})" if username else ""
    allowed = ", ".join(f"/{c.value}" for c in commands_for(person.role))
    return (
        f"You are <b>{escape(person.name)}</b>{handle}, Telegram id {user_id},"
        f" role <b>{person.role.value}</b>.\nYou may use: {allowed}"
    )


def refusal_text(refused: Refused, command: Command, user_id: int, chat_id: int | None) -> str:
    """A polite no that says what would make it a yes; plain text (it is also a button answer)."""
    match refused.reason:
        case RefusalReason.UNKNOWN_USER:
            return (
                f"Sorry, you are not on this hub's list of people (your Telegram id is {user_id})."
                " Ask an admin to add you to telegram_bot.users."
            )
        case RefusalReason.CHAT_NOT_ALLOWED:
            return (
                f"Sorry, the hub does not take commands in this chat ({chat_id})."
                " Ask an admin to add it to telegram_bot.allowed_chats."
            )
        case _:
            needs = refused.needs.value if refused.needs else "a higher"
            return f"Sorry, /{command.value} needs the {needs} role."


def incidents_text(page: IncidentPage, query: str) -> str:
    if not page.items:
        return "No open incidents." if page.page == 1 else f"No incidents on page {page.page}."
    lines = [f"<b>Open incidents</b> (page {page.page}, newest first)"]
    lines += [_incident_line(i) for i in page.items[:PAGE_SIZE]]
    if page.has_more:
        lines.append(f"More: /incidents {escape(query)}{' ' if query else ''}{page.page + 1}")
    return "\n".join(lines)


def _incident_line(item: dict[str, Any]) -> str:
    labels = item["labels"]
    where = labels.get("namespace") or labels.get("instance") or ""
    severity = f" · {escape(item['severity'])}" if item.get("severity") else ""
    acked = f" · acked by {escape(item['acked_by'])}" if item.get("acked_by") else ""
    place = f" · {escape(where)}" if where else ""
    return (
        f"#{item['id']} {escape(item['alertname'])}{severity}{place}"
        f" · since {_when(item['started_at'])}{acked}"
    )


def incident_text(item: dict[str, Any]) -> str:
    """Labels, the last events of the timeline, and the links the alert carries."""
    lines = [
        f"<b>#{item['id']} {escape(item['alertname'])}</b> · {escape(item['status'])}",
        f"started {_when(item['started_at'])}"
        + (f", resolved {_when(item['resolved_at'])}" if item.get("resolved_at") else ""),
    ]
    if item.get("acked_by"):
        lines.append(f"acked by {escape(item['acked_by'])} at {_when(item['acked_at'])}")
    summary = item["annotations"].get("summary")
    if summary:
        lines.append(escape(summary))
    labels = ", ".join(f"{k}={v}" for k, v in sorted(item["labels"].items()))
    lines.append(f"<code>{escape(labels)}</code>")
    events = item.get("timeline", [])[-8:]
    lines += [f"• {_when(e['at'])} {escape(e['type'])}" for e in events]
    links = []
    if item.get("generator_url"):
        links.append(f'<a href="{attr(item["generator_url"])}">Prometheus</a>')
    runbook = item["annotations"].get("runbook_url")
    if runbook:
        links.append(f'<a href="{attr(runbook)}">Runbook</a>')
    if links:
        lines.append(" · ".join(links))
    return "\n".join(lines)


def history_text(items: list[dict[str, Any]], alertname: str | None) -> str:
    what = f" of {escape(alertname)}" if alertname else ""
    if not items:
        return f"No resolved incidents{what} in that time."
    lines = [f"<b>Past incidents{what}</b> (newest first)"]
    for i in items:
        started = datetime.fromisoformat(i["started_at"].replace("Z", "+00:00"))
        ended = datetime.fromisoformat(i["resolved_at"].replace("Z", "+00:00"))
        lines.append(
            f"#{i['id']} {escape(i['alertname'])} · {_when(i['started_at'])}"
            f" · lasted {format_duration_human(ended - started)}"
        )
    return "\n".join(lines)


def stats_text(s: ResponseStats, since: datetime) -> str:
    def shown(value: Any) -> str:
        return format_duration_human(value) if value is not None else "—"

    lines = [
        f"<b>Since {since.strftime('%Y-%m-%d %H:%M UTC')}</b>: {s.incidents} incidents,"
        f" {s.acked} acked, {s.resolved} resolved",
        f"MTTA (median) {shown(s.mtta)} · MTTR (median) {shown(s.mttr)}",
    ]
    if s.noisiest:
        lines.append("Noisiest: " + ", ".join(f"{escape(n)} x{c}" for n, c in s.noisiest))
    return "\n".join(lines)


def ack_text(result: AckResult) -> str:
    """Plain text: also the answer to an Ack press."""
    if result.already:
        return f"#{result.incident_id} {result.alertname}: its group was already acknowledged."
    count = len(result.acked_ids)
    noun = "incident" if count == 1 else "incidents"
    return f"Acknowledged {count} {noun} of {result.alertname} (#{result.incident_id}'s group)."


def silence_text(outcome: SilenceOutcome) -> str:
    """Plain text: also the answer to a Silence press."""
    s = outcome.silence
    matchers = ", ".join(str(m) for m in s.matchers)
    lasting = format_duration(s.ends_at - s.starts_at)
    text = f"Silence {s.id} for {lasting}: {matchers}. Undo: /unsilence {s.id}"
    return " ".join([text, *outcome.warnings])


def unsilence_text(outcome: SilenceOutcome) -> str:
    return " ".join([f"Silence {outcome.silence.id} expired.", *outcome.warnings])


def as_answer(text: str) -> str:
    """Fit a text into a button answer (200 characters)."""
    return text if len(text) <= ANSWER_LIMIT else text[: ANSWER_LIMIT - 1] + "…"


def action_text(a: ActionRow) -> str:
    """Plain text: ``Action 12: restart model-api: waiting for approval · /approve 12``."""
    line = f"Action {a.id}: {action_line(a, None)} (policy {a.policy}, incident #{a.incident_id})"
    if a.status is ActionStatus.PENDING_APPROVAL:
        line += f" · /approve {a.id} or /reject {a.id}"
    return line


def actions_text(rows: list[ActionRow]) -> str:
    if not rows:
        return "No remediation actions yet."
    lines = ["<b>Remediation actions</b> (newest first)"]
    lines += [escape(action_text(a)) for a in rows]
    return "\n".join(lines)
