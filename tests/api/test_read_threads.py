"""Read requests run in at most ``read_threads`` worker threads at once (one on SQLite)."""

from __future__ import annotations

import threading
import time
from types import SimpleNamespace
from typing import Any

import anyio
import pytest

from medtrace.api import common
from medtrace.api.settings import ApiSettings, SettingsError


def test_automatic_is_one_on_sqlite_and_forty_on_postgresql() -> None:
    assert ApiSettings(db="sqlite:////tmp/x.sqlite").effective_read_threads() == 1
    assert ApiSettings(db="postgresql://u@h/db").effective_read_threads() == 4
    assert ApiSettings(db="sqlite:////tmp/x.sqlite", read_threads=3).effective_read_threads() == 3


def test_from_the_environment() -> None:
    assert ApiSettings.from_env({"MEDTRACE_READ_THREADS": "4"}).read_threads == 4
    assert ApiSettings.from_env({"MEDTRACE_READ_THREADS": "0"}).read_threads == 0
    for bad in ("-1", "many"):
        with pytest.raises(SettingsError, match=f"MEDTRACE_READ_THREADS.*{bad!r}"):
            ApiSettings.from_env({"MEDTRACE_READ_THREADS": bad})
    with pytest.raises(SettingsError, match="read_threads"):
        ApiSettings(read_threads=-2)


class _State(dict[str, Any]):
    """A dict with attribute access, like Litestar's ``State``."""

    def __getattr__(self, name: str) -> Any:
        return self[name]


@pytest.mark.parametrize(("read_threads", "expected"), [(0, 1), (1, 1), (3, 3)])
def test_reads_never_run_more_at_once_than_allowed(read_threads: int, expected: int) -> None:
    settings = ApiSettings(db="sqlite:////tmp/never-opened.sqlite", read_threads=read_threads)
    request = SimpleNamespace(app=SimpleNamespace(state=_State(settings=settings)))
    lock = threading.Lock()
    running = [0]
    most = [0]

    def read(_request: object, index: int) -> int:
        with lock:
            running[0] += 1
            most[0] = max(most[0], running[0])
        time.sleep(0.02)
        with lock:
            running[0] -= 1
        return index

    async def main() -> list[int]:
        results: list[int] = []

        async def one(index: int) -> None:
            results.append(await common.in_read_thread(read, request, index))  # type: ignore[arg-type]

        async with anyio.create_task_group() as group:
            for index in range(6):
                group.start_soon(one, index)
        return results

    assert sorted(anyio.run(main)) == list(range(6))
    assert most[0] == expected
