"""``ApiSettings`` from the environment: subscription delivery tuning, validation, startup."""

from __future__ import annotations

import gc
from pathlib import Path

import pytest
from tests.api.test_serve import cli
from typer.testing import CliRunner

from medtrace.api import app as app_module
from medtrace.api.app import app_factory
from medtrace.api.settings import ENV_VARS, ApiSettings, SettingsError
from medtrace.api.subscription_worker import DeliverySettings

VALID: list[tuple[dict[str, str], dict[str, object]]] = [
    # nothing set: the documented defaults
    (
        {},
        {
            "subscription_worker": True,
            "subscription_poll_seconds": 0.5,
            "subscription_batch": 100,
            "subscription_timeout_seconds": 10.0,
            "subscription_retry_seconds": 1.0,
            "subscription_retry_max_seconds": 300.0,
        },
    ),
    # every delivery variable
    (
        {
            "MEDTRACE_SUBSCRIPTION_WORKER": "0",
            "MEDTRACE_SUBSCRIPTION_POLL": "0.05",
            "MEDTRACE_SUBSCRIPTION_BATCH": "7",
            "MEDTRACE_SUBSCRIPTION_TIMEOUT": "2.5",
            "MEDTRACE_SUBSCRIPTION_RETRY": "0.2",
            "MEDTRACE_SUBSCRIPTION_RETRY_MAX": "30",
        },
        {
            "subscription_worker": False,
            "subscription_poll_seconds": 0.05,
            "subscription_batch": 7,
            "subscription_timeout_seconds": 2.5,
            "subscription_retry_seconds": 0.2,
            "subscription_retry_max_seconds": 30.0,
        },
    ),
    # blank values keep the defaults
    (
        {"MEDTRACE_SUBSCRIPTION_POLL": " ", "MEDTRACE_SUBSCRIPTION_WORKER": ""},
        {"subscription_poll_seconds": 0.5, "subscription_worker": True},
    ),
    # the worker switch takes the usual words, in any case
    ({"MEDTRACE_SUBSCRIPTION_WORKER": "Off"}, {"subscription_worker": False}),
    ({"MEDTRACE_SUBSCRIPTION_WORKER": "TRUE"}, {"subscription_worker": True}),
    # retry equal to its maximum
    (
        {"MEDTRACE_SUBSCRIPTION_RETRY": "5", "MEDTRACE_SUBSCRIPTION_RETRY_MAX": "5"},
        {"subscription_retry_seconds": 5.0, "subscription_retry_max_seconds": 5.0},
    ),
]


@pytest.mark.parametrize(("env", "expected"), VALID)
def test_delivery_settings_from_the_environment(
    env: dict[str, str], expected: dict[str, object]
) -> None:
    settings = ApiSettings.from_env(env)
    assert {name: getattr(settings, name) for name in expected} == expected
    delivery = DeliverySettings.of(settings)
    assert (delivery.enabled, delivery.poll_seconds, delivery.batch_size) == (
        settings.subscription_worker,
        settings.subscription_poll_seconds,
        settings.subscription_batch,
    )
    assert (delivery.timeout_seconds, delivery.retry_base_seconds, delivery.retry_max_seconds) == (
        settings.subscription_timeout_seconds,
        settings.subscription_retry_seconds,
        settings.subscription_retry_max_seconds,
    )


INVALID: list[tuple[dict[str, str], tuple[str, ...]]] = [
    # not a number
    ({"MEDTRACE_SUBSCRIPTION_POLL": "soon"}, ("MEDTRACE_SUBSCRIPTION_POLL", "'soon'")),
    # zero and negative seconds
    ({"MEDTRACE_SUBSCRIPTION_POLL": "0"}, ("MEDTRACE_SUBSCRIPTION_POLL", "'0'")),
    ({"MEDTRACE_SUBSCRIPTION_TIMEOUT": "-1"}, ("MEDTRACE_SUBSCRIPTION_TIMEOUT", "'-1'")),
    # not finite
    ({"MEDTRACE_SUBSCRIPTION_RETRY": "nan"}, ("MEDTRACE_SUBSCRIPTION_RETRY", "'nan'")),
    ({"MEDTRACE_SUBSCRIPTION_RETRY_MAX": "inf"}, ("MEDTRACE_SUBSCRIPTION_RETRY_MAX", "'inf'")),
    # a batch is a whole number of events
    ({"MEDTRACE_SUBSCRIPTION_BATCH": "2.5"}, ("MEDTRACE_SUBSCRIPTION_BATCH", "'2.5'")),
    ({"MEDTRACE_SUBSCRIPTION_BATCH": "0"}, ("MEDTRACE_SUBSCRIPTION_BATCH", "'0'")),
    # a switch that is neither on nor off
    ({"MEDTRACE_SUBSCRIPTION_WORKER": "maybe"}, ("MEDTRACE_SUBSCRIPTION_WORKER", "'maybe'")),
    # the longest retry delay below the first one
    (
        {"MEDTRACE_SUBSCRIPTION_RETRY": "10", "MEDTRACE_SUBSCRIPTION_RETRY_MAX": "2"},
        ("MEDTRACE_SUBSCRIPTION_RETRY_MAX", "MEDTRACE_SUBSCRIPTION_RETRY", "2.0", "10.0"),
    ),
]


@pytest.mark.parametrize(("env", "named"), INVALID)
def test_bad_values_name_the_variable_and_the_value(
    env: dict[str, str], named: tuple[str, ...]
) -> None:
    with pytest.raises(SettingsError) as raised:
        ApiSettings.from_env(env)
    for text in named:
        assert text in str(raised.value)


def test_every_variable_is_in_the_docs() -> None:
    docs = (Path(__file__).resolve().parents[2] / "docs" / "api.md").read_text()
    table = docs[docs.index("## Settings") :]
    for field, variable in ENV_VARS.items():
        assert f"`{variable}`" in table, variable
        assert hasattr(ApiSettings(), field), field


def test_the_service_reads_them_from_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MEDTRACE_DB", str(tmp_path / "env.sqlite"))
    monkeypatch.setenv("MEDTRACE_SUBSCRIPTION_POLL", "0.25")
    monkeypatch.setenv("MEDTRACE_SUBSCRIPTION_WORKER", "no")
    frozen: list[bool] = []
    monkeypatch.setattr(app_module, "freeze_heap", lambda: frozen.append(True))
    app = app_factory()
    try:
        settings: ApiSettings = app.state.settings
        assert (settings.subscription_poll_seconds, settings.subscription_worker) == (0.25, False)
        assert frozen == [True]  # a serving worker freezes its heap once the app is built
    finally:
        app.state.repository.close()


def test_freeze_heap_exempts_the_live_heap_from_the_cyclic_collector() -> None:
    gc.unfreeze()
    assert gc.get_freeze_count() == 0
    try:
        app_module.freeze_heap()
        assert gc.get_freeze_count() > 1000  # modules, classes, functions of the service
    finally:
        gc.unfreeze()  # the test process goes on collecting as before


def test_serve_refuses_to_start_with_a_bad_value(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MEDTRACE_SUBSCRIPTION_TIMEOUT", "10s")
    db = tmp_path / "never.sqlite"
    result = CliRunner().invoke(cli(), ["serve", "--db", str(db)])
    assert result.exit_code == 1
    assert "MEDTRACE_SUBSCRIPTION_TIMEOUT" in result.output and "'10s'" in result.output
    assert not db.exists()  # refused before the database was opened
