"""The start-up banner: how to point Alertmanager at this hub, in the words of its config."""

from __future__ import annotations

from pydantic import SecretStr

from hub.config.lint import delivery_warnings
from hub.config.models import HubConfig

# Where config/alertmanager.yml tells Alertmanager to read the intake token from.
ALERTMANAGER_TOKEN_FILE = "/etc/alertmanager/alerthub-intake-token"  # noqa: S105 (a path)
# The tokens config/demo.yaml falls back to: published, so the banner may show them.
DEMO_INTAKE_TOKEN = "demo-intake-token"  # noqa: S105
DEMO_API_TOKEN = "demo-api-token"  # noqa: S105


def _is(token: SecretStr | None, public: str) -> bool:
    return token is not None and token.get_secret_value() == public


def banner(cfg: HubConfig, host: str, port: int) -> str:
    """What to paste into Alertmanager; a token is shown only if it is the public demo one."""
    lines = [
        f"alerthub listening on http://{host}:{port}",
        "Point Alertmanager at it (see config/alertmanager.yml):",
        "  receivers:",
        "    - name: alerthub",
        "      webhook_configs:",
        f"        - url: http://{host}:{port}/api/v1/alerts/alertmanager",
        "          send_resolved: true",
    ]
    if cfg.intake.token is not None:
        lines += [
            "          http_config:",
            "            authorization:",
            "              type: Bearer",
            f"              credentials_file: {ALERTMANAGER_TOKEN_FILE}  # the intake token",
        ]
    if _is(cfg.intake.token, DEMO_INTAKE_TOKEN):
        lines += [
            "Demo intake token (config/demo.yaml; ALERTHUB_INTAKE_TOKEN replaces it):",
            f"  echo {DEMO_INTAKE_TOKEN} > {ALERTMANAGER_TOKEN_FILE}",
        ]
    api = DEMO_API_TOKEN if _is(cfg.api.token, DEMO_API_TOKEN) else "<api token>"
    auth = "" if cfg.api.token is None else f"-H 'Authorization: Bearer {api}' "
    lines.append(f"Incidents: curl {auth}{cfg.external_url}/api/v1/incidents")
    if delivery_warnings(cfg):
        lines.append(
            "No route reaches a Telegram, email or Slack receiver: incidents are stored,"
            " nothing will be delivered (ready configs: config/examples/)"
        )
    return "\n".join(lines)
