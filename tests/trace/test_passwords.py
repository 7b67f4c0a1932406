"""The service stores argon2id hashes at argon2-cffi's recommended cost (the suite itself hashes cheaply)."""

import pytest
from argon2.profiles import RFC_9106_LOW_MEMORY

from trace import users


def test_service_hashes_with_argon2id_at_the_recommended_cost(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.undo()  # back to the service's own hasher, replaced for speed by tests/conftest.py
    assert users._hasher.time_cost >= RFC_9106_LOW_MEMORY.time_cost
    assert users._hasher.memory_cost >= RFC_9106_LOW_MEMORY.memory_cost
    assert users.hash_password("mật khẩu đủ dài").startswith("$argon2id$")
