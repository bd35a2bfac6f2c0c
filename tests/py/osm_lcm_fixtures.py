"""Fixtures of the OSM LCM example's tests (examples/osm_lcm): a real FerretDB per test
module, and per test a fresh database and simulator directory the activities point at.

Import with ``from osm_lcm_fixtures import *`` (fixtures and the example's modules).
"""

from __future__ import annotations

import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from example_modules import EXAMPLES, load_example

EXAMPLE_DIR = EXAMPLES / "osm_lcm"
# The example's modules import each other as top-level modules (they are scripts).
if str(EXAMPLE_DIR) not in sys.path:
    sys.path.insert(0, str(EXAMPLE_DIR))

import activities  # noqa: E402
import mongo_server  # noqa: E402
from simulators import Simulators  # noqa: E402

# Loaded under its example name, so recorded histories name examples.osm_lcm.workflows.
wf = load_example("osm_lcm", "workflows")


@pytest.fixture(scope="module")
def mongo_url() -> Iterator[str]:
    """A FerretDB of this test module, on a free loopback port in a temp directory. Fails
    (not skips) when FerretDB is not built: the example needs it."""
    try:
        server = mongo_server.MongoServer()
        url = server.start()
    except FileNotFoundError as e:
        pytest.fail(f"{e}", pytrace=False)
    try:
        yield url
    finally:
        server.stop()


@dataclass
class Lcm:
    mongo_url: str
    database: str
    sim: Simulators


@pytest.fixture
def lcm(mongo_url: str, tmp_path: Path) -> Iterator[Lcm]:
    """The activities of this process pointed at a fresh database and simulator dir."""
    database = f"osm_{uuid.uuid4().hex[:8]}"
    sim = Simulators(tmp_path / "sim")
    activities.configure(mongo_url, str(sim.dir), database=database, poll_interval=0.02)
    yield Lcm(mongo_url, database, sim)
    activities.close()
    import pymongo

    with pymongo.MongoClient(mongo_url) as c:
        c.drop_database(database)
