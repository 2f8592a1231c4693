import pytest

from tests.federation.sites import make_sites


@pytest.fixture
def start_sites(tmp_path):
    """start_sites({"a": ["9999"], "b": ["10000"]}, **settings overrides) -> {name: started Site}."""
    started = []

    def start(layout, **overrides):
        sites = make_sites(tmp_path / f"sites{len(started)}", layout, **overrides)
        for site in sites.values():
            started.append(site.start())
        return sites

    yield start
    for site in started:
        site.stop()
