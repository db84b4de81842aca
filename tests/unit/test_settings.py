from __future__ import annotations

import re
from pathlib import Path

import msgspec
import pytest

from shared.settings import ENV_VARS, Settings, SettingsError, load_settings, redact


def test_defaults_without_environment() -> None:
    settings = load_settings({})
    assert settings == Settings()
    assert settings.api.port == 8000
    assert settings.matching.road_factor == 1.3


def test_reads_each_field_from_its_variable() -> None:
    settings = load_settings(
        {
            "DATABASE_URL": "postgresql://u@db:5432/x",
            "REDIS_URL": "redis://cache:6379/2",
            "SAMLAST_API_PORT": "9001",
            "SAMLAST_WORKER_CONCURRENCY": "8",
            "SAMLAST_LOG_LEVEL": "DEBUG",
            "SAMLAST_ROAD_FACTOR": "1.25",
        }
    )
    assert settings.db.url == "postgresql://u@db:5432/x"
    assert settings.redis.url == "redis://cache:6379/2"
    assert (settings.api.port, settings.matching.worker_concurrency) == (9001, 8)
    assert settings.log_level == "DEBUG"
    assert settings.matching.road_factor == 1.25


def test_empty_variable_means_default() -> None:
    assert load_settings({"SAMLAST_API_PORT": ""}).api.port == 8000


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("SAMLAST_API_PORT", "eighty"),
        ("SAMLAST_API_PORT", "70000"),
        ("SAMLAST_LOG_LEVEL", "LOUD"),
        ("SAMLAST_WORKER_CONCURRENCY", "0"),
    ],
)
def test_bad_value_names_the_variable(variable: str, value: str) -> None:
    with pytest.raises(SettingsError, match=variable):
        load_settings({variable: value})


def test_every_field_has_a_variable() -> None:
    leaves = set()
    for field in msgspec.structs.fields(Settings):
        if isinstance(field.type, type) and issubclass(field.type, msgspec.Struct):
            leaves |= {f"{field.name}.{name}" for name in field.type.__struct_fields__}
        else:
            leaves.add(field.name)
    assert set(ENV_VARS) == leaves
    assert ENV_VARS["db.url"] == "DATABASE_URL"
    assert ENV_VARS["api.port"] == "SAMLAST_API_PORT"


def test_the_readme_lists_every_variable_by_its_name() -> None:
    """Deployments set these by the README's table: grouping the settings renamed none."""
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    listed = {
        name
        for line in readme.splitlines()
        if line.startswith("| `")
        for name in re.findall(r"`([A-Z][A-Z0-9_]+)`", line.split("|")[1])
    }
    assert set(ENV_VARS.values()) == listed


def test_replace_changes_one_setting_by_its_path() -> None:
    changed = Settings().replace(**{"webhooks.timeout_s": 1.5, "log_level": "DEBUG"})
    assert (changed.webhooks.timeout_s, changed.log_level) == (1.5, "DEBUG")
    assert changed.webhooks.concurrency == Settings().webhooks.concurrency


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("postgresql://app:s3cret@db:5432/x", "postgresql://app:***@db:5432/x"),
        ("redis://:pw@cache:6379/0", "redis://:***@cache:6379/0"),
        ("postgresql://app@db/x", "postgresql://app@db/x"),
    ],
)
def test_redact_hides_passwords(url: str, shown: str) -> None:
    assert redact(url) == shown


def test_the_smtp_password_is_never_shown() -> None:
    settings = load_settings({"SAMLAST_SMTP_URL": "smtps://bob:hunter2@mail.example.org:465"})
    assert settings.mail.smtp_url == "smtps://bob:hunter2@mail.example.org:465"
    for shown in (repr(settings), str(settings), repr(settings.mail)):
        assert "hunter2" not in shown
        assert "bob:***@mail.example.org" in shown


def test_an_smtp_url_of_another_scheme_names_the_variable() -> None:
    with pytest.raises(SettingsError, match="SAMLAST_SMTP_URL"):
        load_settings({"SAMLAST_SMTP_URL": "http://mail.example.org"})
