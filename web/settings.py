"""Configuration from the environment (prefix TRACE_), with defaults that run the embedded demo."""

import secrets
from functools import lru_cache
from pathlib import Path

from pydantic_settings import BaseSettings, SettingsConfigDict

ROOT = Path(__file__).resolve().parent.parent


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="TRACE_", env_file=".env", extra="ignore")

    database_url: str = f"sqlite:///{ROOT / 'var' / 'trace.db'}"
    # Base of every Digital Link we print: the host a consumer's phone will open.
    public_base_url: str = "http://127.0.0.1:8000"
    secret_key: str = ""
    storage_dir: Path = ROOT / "var" / "storage"
    # Cookies marked Secure are dropped by browsers on plain http, which the embedded demo uses.
    secure_cookies: bool = False
    max_upload_bytes: int = 5 * 1024 * 1024

    def resolved_secret_key(self) -> str:
        """A stable secret for the embedded install: generated once into var/, unless TRACE_SECRET_KEY is set."""
        if self.secret_key:
            return self.secret_key
        path = ROOT / "var" / "secret_key"
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(secrets.token_urlsafe(48))
            path.chmod(0o600)
        return path.read_text().strip()


@lru_cache
def get_settings() -> Settings:
    return Settings()
