"""Email adapter: multipart text+HTML over SMTP; updates and reminders are thread replies."""

from __future__ import annotations

import ssl
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

import aiosmtplib

from hub.channels.errors import DeliveryError, FailureReason, scrub
from hub.channels.model import Notification
from hub.channels.render import TemplateFormat, load_template, render_email
from hub.config.receivers import EmailConfig
from hub.model.notify import SentMessage


def _is_transient(code: int) -> bool:
    return 400 <= code < 500


def map_smtp_error(exc: Exception, secret: str | None) -> DeliveryError:
    """SMTP 4xx replies are transient, 5xx permanent; transport failures are retryable."""
    text = scrub(f"smtp: {type(exc).__name__}: {exc}", [secret])
    if isinstance(exc, aiosmtplib.SMTPRecipientsRefused):
        codes = [r.code for r in exc.recipients]
        transient = bool(codes) and all(_is_transient(c) for c in codes)
        reason = FailureReason.SERVER_ERROR if transient else FailureReason.CLIENT_ERROR
        return DeliveryError(text, reason=reason, retryable=transient)
    if isinstance(exc, aiosmtplib.SMTPAuthenticationError):
        return DeliveryError(text, reason=FailureReason.AUTH, retryable=_is_transient(exc.code))
    if isinstance(exc, aiosmtplib.SMTPResponseException):
        if _is_transient(exc.code):
            return DeliveryError(text, reason=FailureReason.SERVER_ERROR, retryable=True)
        return DeliveryError(text, reason=FailureReason.CLIENT_ERROR, retryable=False)
    if isinstance(exc, TimeoutError):
        return DeliveryError(text, reason=FailureReason.TIMEOUT, retryable=True)
    if isinstance(exc, ssl.SSLError):  # a certificate problem stays until the config changes
        return DeliveryError(text, reason=FailureReason.CONNECTION, retryable=False)
    if isinstance(exc, ConnectionError | OSError):
        return DeliveryError(text, reason=FailureReason.CONNECTION, retryable=True)
    return DeliveryError(text, reason=FailureReason.CLIENT_ERROR, retryable=False)


def build_tls_context(config: EmailConfig) -> ssl.SSLContext:
    """The TLS context for STARTTLS or implicit TLS (reads ``ca_file``: call at startup)."""
    context = ssl.create_default_context(cafile=config.ca_file)
    if config.tls_insecure_skip_verify:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    return context


class EmailChannel:
    """Sends through one SMTP smarthost."""

    kind = "email"

    def __init__(self, config: EmailConfig, *, external_url: str) -> None:
        self._config = config
        self._password = config.auth_password.get_secret_value() if config.auth_password else None
        self._tls_context = build_tls_context(config)
        self._html = load_template("email.html.j2", TemplateFormat.HTML, config.html_template)
        self._text = load_template("email.txt.j2", TemplateFormat.PLAIN, config.text_template)
        domain = config.from_.rpartition("@")[2].strip(" >")
        self._domain = domain or "alerthub.local"
        self._external_url = external_url

    async def send(self, note: Notification) -> SentMessage:
        """Send a new thread; the Message-ID is both the message id and the thread root."""
        message_id = await self._deliver(note, in_reply_to=None)
        return SentMessage(message_id=message_id, thread_id=message_id)

    async def update(self, note: Notification, first: SentMessage) -> SentMessage:
        """Email cannot edit: reply in the first message's thread (``Re: [RESOLVED] …``)."""
        return await self.reply(note, first)

    async def reply(self, note: Notification, first: SentMessage) -> SentMessage:
        """Send a reply with In-Reply-To/References pointing at the first message."""
        root = first.thread_id or first.message_id
        message_id = await self._deliver(note, in_reply_to=first.message_id, root=root)
        return SentMessage(message_id=message_id, thread_id=root)

    async def close(self) -> None:
        """Nothing to release: each send opens and closes its own SMTP connection."""

    def build_message(
        self, note: Notification, *, in_reply_to: str | None, root: str | None = None
    ) -> EmailMessage:
        """The multipart/alternative message, with a fresh Message-ID."""
        content = render_email(note, html_template=self._html, text_template=self._text)
        message = EmailMessage()
        message["Subject"] = content.subject
        message["From"] = self._config.from_
        message["To"] = ", ".join(self._config.to)
        message["Date"] = format_datetime(note.now)
        message["Message-ID"] = make_msgid(domain=self._domain)
        if in_reply_to:
            message["In-Reply-To"] = in_reply_to
            refs = [root, in_reply_to] if root and root != in_reply_to else [in_reply_to]
            message["References"] = " ".join(refs)
        for name, value in self._config.headers.items():
            del message[name]
            message[name] = value
        message.set_content(content.text)
        message.add_alternative(content.html, subtype="html")
        return message

    async def _deliver(
        self, note: Notification, *, in_reply_to: str | None, root: str | None = None
    ) -> str:
        message = self.build_message(note, in_reply_to=in_reply_to, root=root)
        cfg = self._config
        try:
            await aiosmtplib.send(
                message,
                sender=cfg.from_,
                recipients=cfg.to,
                hostname=cfg.host,
                port=cfg.port,
                username=cfg.auth_username,
                password=self._password,
                use_tls=cfg.tls,
                start_tls=False if cfg.tls else (True if cfg.require_tls else None),
                tls_context=self._tls_context,
                timeout=cfg.timeout.total_seconds(),
            )
        except (aiosmtplib.SMTPException, OSError) as exc:
            raise map_smtp_error(exc, self._password) from None
        return str(message["Message-ID"])
