"""Settings read from the environment refuse what the service could not work with, at start rather than on a scan."""

import pytest
from pydantic import ValidationError

from web.settings import Settings


@pytest.mark.parametrize(
    ("name", "value"), [("TRACE_COPIED_LABEL_DAYS", "0"), ("TRACE_COPIED_LABEL_SCANS", "-1"),
                        ("TRACE_COPIED_LABEL_NETWORKS", "-1"), ("TRACE_REPORTS_PER_HOUR", "0"),
                        ("TRACE_SCAN_THREADS", "-1"), ("TRACE_SCAN_WRITE_INTERVAL", "-0.5")],
)  # fmt: skip
def test_a_setting_the_service_cannot_work_with_is_refused(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str
) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(ValidationError, match=name.removeprefix("TRACE_").lower()):
        Settings(_env_file=None)


def test_the_copy_rule_is_read_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRACE_COPIED_LABEL_DAYS", "1")
    assert Settings(_env_file=None).copied_label_days == 1
