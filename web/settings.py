"""Configuration from the environment (prefix TRACE_), with defaults that run the embedded demo."""

import secrets
from functools import lru_cache
from pathlib import Path

from pydantic import Field
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
    scan_salt: str = ""  # key of the IP hashes kept with scans and reports; derived from secret_key when empty
    copied_label_scans: int = Field(10, ge=0)  # a unit code looks copied when scanned more than this many times ...
    copied_label_networks: int = Field(5, ge=0)  # ... from more than this many networks (IP hashes) ...
    copied_label_days: int = Field(30, ge=1)  # ... within this many days, today (Vietnam's) included
    reports_per_hour: int = Field(5, ge=1)  # problem reports accepted from one network per hour
    # Threads that read scans' pages from the database, each all the scans waiting at a time (web/batched.py); 0 reads
    # them on the event loop. Unset: 0 on SQLite (its reads are short and in the process: measured on 2 cores, 0.83
    # ms of CPU a scan against 0.97 with a thread), 1 on PostgreSQL (which a thread waits for on the network; one
    # thread reads larger batches than two, and takes the interpreter lock from the requests half as often: in
    # alternated rounds under wrk, 0.56 ms of the server's CPU a scan against 0.64 with two).
    scan_threads: int | None = Field(None, ge=0)
    # Seconds a scan may wait in memory to be written with others (trace.scans.ScanLog); 0 writes each at once.
    scan_write_interval: float = Field(0.2, ge=0)
    # Move what the service holds at start (modules, routes, templates) out of the garbage collector's sight (a full
    # collection of it stalls every request of the process for 100-180 ms, measured under wrk, tests/perf), and
    # collect less often (web/app.py).
    tune_gc_at_start: bool = True
    perf_bare_endpoint: bool = False  # GET /perf/bare answers a constant string: the benchmark's baseline

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
