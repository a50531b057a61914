"""The integrations' secrets (Slack bot token and signing secret, the Teams Azure Bot's client secret or
the fallback Workflows webhook URL) encrypted with Fernet (`cryptography`: AES-128-CBC with HMAC-SHA256, authenticated), so that a dump of
the database does not show them. The key: LEERPAD_SECRETS_KEY, else a key made once in
LEERPAD_HOME/secrets.key (mode 600), as the audit's pseudonym secret is."""

from __future__ import annotations

import json
from typing import Any

from cryptography.fernet import Fernet, InvalidToken

from recommender.errors import CONFLICT, LeerpadError
from service.core.home_secret import home_secret
from service.core.settings import Settings

KEY_FILE = "secrets.key"


class SecretsKeyError(LeerpadError):
    code = CONFLICT


def _key(settings: Settings) -> bytes:
    if settings.secrets_key:
        return settings.secrets_key.encode("ascii")
    made = home_secret(settings.resolved_home / KEY_FILE, lambda: Fernet.generate_key().decode("ascii"))
    return made.encode("ascii")


def seal(settings: Settings, values: dict[str, Any]) -> str:
    return Fernet(_key(settings)).encrypt(json.dumps(values, sort_keys=True).encode()).decode("ascii")


def unseal(settings: Settings, token: str) -> dict[str, Any]:
    try:
        opened: dict[str, Any] = json.loads(Fernet(_key(settings)).decrypt(token.encode("ascii")))
    except (InvalidToken, ValueError) as exc:
        raise SecretsKeyError(
            "the integration's secrets cannot be read with this LEERPAD_SECRETS_KEY; connect it again"
        ) from exc
    return opened
