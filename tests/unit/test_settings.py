from __future__ import annotations

import pytest

from shared.settings import ENV_VARS, Settings, SettingsError, load_settings, redact


def test_defaults_without_environment() -> None:
    settings = load_settings({})
    assert settings == Settings()
    assert settings.api_port == 8000
    assert settings.road_factor == 1.3


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
    assert settings.database_url == "postgresql://u@db:5432/x"
    assert settings.redis_url == "redis://cache:6379/2"
    assert (settings.api_port, settings.worker_concurrency) == (9001, 8)
    assert settings.log_level == "DEBUG"
    assert settings.road_factor == 1.25


def test_empty_variable_means_default() -> None:
    assert load_settings({"SAMLAST_API_PORT": ""}).api_port == 8000


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
    assert set(ENV_VARS) == set(Settings.__struct_fields__)
    assert ENV_VARS["database_url"] == "DATABASE_URL"
    assert ENV_VARS["api_port"] == "SAMLAST_API_PORT"


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
