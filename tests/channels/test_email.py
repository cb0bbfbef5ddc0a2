"""EmailChannel against a real aiosmtpd server on loopback (plain, STARTTLS, auth, codes)."""

from __future__ import annotations

import ssl
from collections.abc import Iterator
from email.message import Message
from pathlib import Path
from typing import Any

import pytest
import trustme
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from hub.channels.email import EmailChannel
from hub.channels.errors import DeliveryError, FailureReason
from hub.config.receivers import EmailConfig
from hub.model.notify import NotifyKind
from tests.channels.conftest import EXTERNAL_URL, make_note
from tests.support.smtp import RecordingHandler, run_smtp, smtp_free_port

PASSWORD = "s3cret-smtp-password"


def _authenticator(server: Any, session: Any, envelope: Any, mechanism: str, data: Any) -> Any:
    ok = isinstance(data, LoginPassword) and data.password == PASSWORD.encode()
    return AuthResult(success=ok, handled=False)  # handled=False: aiosmtpd answers 535


@pytest.fixture(scope="module")
def ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture(scope="module")
def ca_file(ca: trustme.CA, tmp_path_factory: pytest.TempPathFactory) -> str:
    path = tmp_path_factory.mktemp("ca") / "ca.pem"
    ca.cert_pem.write_to_path(str(path))
    return str(path)


@pytest.fixture
def handler() -> RecordingHandler:
    return RecordingHandler()


@pytest.fixture
def plain_server(handler: RecordingHandler) -> Iterator[Controller]:
    yield from run_smtp(handler)


@pytest.fixture
def tls_server(handler: RecordingHandler, ca: trustme.CA) -> Iterator[Controller]:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1", "localhost").configure_cert(context)
    yield from run_smtp(
        handler,
        tls_context=context,
        require_starttls=True,
        authenticator=_authenticator,
        auth_require_tls=True,
    )


def _config(server: Controller, **extra: Any) -> EmailConfig:
    return EmailConfig.model_validate(
        {
            "to": "oncall@example.org, lead@example.org",
            "from": "alerthub@example.org",
            "smarthost": f"127.0.0.1:{server.port}",
            "require_tls": False,
            "timeout": "2s",
            **extra,
        }
    )


def _parts(message: Message) -> dict[str, str]:
    return {
        part.get_content_type(): part.get_payload(decode=True).decode()  # type: ignore[union-attr]
        for part in message.walk()
        if not part.is_multipart()
    }


async def test_plain_send_is_multipart_with_message_id(
    plain_server: Controller, handler: RecordingHandler
) -> None:
    sent = await EmailChannel(_config(plain_server), external_url=EXTERNAL_URL).send(make_note())
    [message] = handler.messages
    assert message["Subject"] == "🔴 [FIRING:3] HighErrorRate prod/model-api (critical)"
    assert message["Message-ID"] == sent.message_id == sent.thread_id
    assert sent.message_id.endswith("@example.org>")
    parts = _parts(message)
    assert set(parts) == {"text/plain", "text/html"}
    assert "<table" in parts["text/html"]
    assert parts["text/plain"].startswith("🔴 FIRING · critical · HighErrorRate")


async def test_resolve_is_threaded_reply(
    plain_server: Controller, handler: RecordingHandler
) -> None:
    channel = EmailChannel(_config(plain_server, headers={"X-Team": "ml"}), external_url="x")
    first = await channel.send(make_note())
    second = await channel.update(make_note(NotifyKind.RESOLVED), first)
    reply = handler.messages[1]
    assert reply["Subject"] == "Re: [RESOLVED] HighErrorRate prod/model-api"
    assert reply["In-Reply-To"] == first.message_id
    assert reply["References"] == first.message_id
    assert reply["X-Team"] == "ml"
    assert second.thread_id == first.message_id
    assert second.message_id != first.message_id


async def test_starttls_with_auth(
    tls_server: Controller, handler: RecordingHandler, ca_file: str
) -> None:
    config = _config(
        tls_server,
        require_tls=True,
        ca_file=ca_file,
        auth_username="alerthub",
        auth_password=PASSWORD,
    )
    await EmailChannel(config, external_url=EXTERNAL_URL).send(make_note())
    assert len(handler.messages) == 1


async def test_wrong_password_is_auth_error_without_secret(
    tls_server: Controller, ca_file: str, tmp_path: Path
) -> None:
    secret_file = tmp_path / "pw"
    secret_file.write_text("wrong-password-value\n", encoding="utf-8")
    config = _config(
        tls_server,
        require_tls=True,
        ca_file=ca_file,
        auth_username="alerthub",
        auth_password_file=str(secret_file),
    )
    with pytest.raises(DeliveryError) as err:
        await EmailChannel(config, external_url=EXTERNAL_URL).send(make_note())
    assert err.value.reason == FailureReason.AUTH
    assert not err.value.retryable
    assert "wrong-password-value" not in str(err.value)


async def test_untrusted_certificate_is_refused(tls_server: Controller) -> None:
    config = _config(tls_server, require_tls=True)  # no ca_file: system CAs only
    with pytest.raises(DeliveryError) as err:
        await EmailChannel(config, external_url=EXTERNAL_URL).send(make_note())
    assert err.value.reason == FailureReason.CONNECTION


@pytest.mark.parametrize(
    ("reply_kind", "reply", "retryable"),
    [
        ("rcpt", "450 4.2.1 Mailbox busy", True),
        ("rcpt", "550 5.1.1 No such user", False),
        ("data", "451 4.3.0 Try again later", True),
        ("data", "554 5.7.1 Rejected as spam", False),
    ],
    ids=["rcpt-4xx", "rcpt-5xx", "data-4xx", "data-5xx"],
)
async def test_reply_codes(
    plain_server: Controller,
    handler: RecordingHandler,
    reply_kind: str,
    reply: str,
    retryable: bool,
) -> None:
    setattr(handler, f"{reply_kind}_reply", reply)
    with pytest.raises(DeliveryError) as err:
        await EmailChannel(_config(plain_server), external_url=EXTERNAL_URL).send(make_note())
    assert err.value.retryable is retryable
    assert handler.messages == []


async def test_connection_refused_is_retryable() -> None:
    smarthost = f"127.0.0.1:{smtp_free_port()}"
    config = EmailConfig.model_validate(
        {"to": "a@example.org", "from": "b@example.org", "smarthost": smarthost}
    )
    with pytest.raises(DeliveryError) as err:
        await EmailChannel(config, external_url=EXTERNAL_URL).send(make_note())
    assert err.value.retryable
    assert err.value.reason == FailureReason.CONNECTION
