import pytest

from .harness import Server


@pytest.fixture
def make_server(tmp_path):
    started = []

    def make(extra: str = "", args: tuple = (), name: str = "srv") -> Server:
        root = tmp_path / name
        root.mkdir()
        srv = Server(root, extra, args)
        started.append(srv)
        return srv

    yield make
    for srv in started:
        srv.stop()
