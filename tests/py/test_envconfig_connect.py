"""durable.envconfig end to end: a TOML profile and environment variables reach a real
durable-server (address, namespace, API key) through Client.connect(**config)."""

from __future__ import annotations

from pathlib import Path

import pytest

from durable._server_process import ServerProcess
from durable.client import Client
from durable.envconfig import ClientConfig
from durable.exceptions import UnauthenticatedError


async def test_profile_and_env_connect_to_a_server(tmp_path: Path) -> None:
    keys = tmp_path / "keys.txt"
    keys.write_text("k-lcm osm\nk-admin *\n")
    with ServerProcess(str(tmp_path / "db"), args=["--api-keys", str(keys)]) as proc:
        admin = await Client.connect(proc.address, api_key="k-admin")
        await admin.register_namespace("osm")
        await admin.close()
        config = tmp_path / "durable.toml"
        config.write_text(f'[profile.lcm]\naddress = "{proc.address}"\nnamespace = "osm"\n'
                          'api_key = "k-lcm"\n'
                          # An API key turns TLS on unless disabled (temporalio's rule).
                          '[profile.lcm.tls]\ndisabled = true\n')

        kwargs = ClientConfig.load_client_connect_config(
            profile="lcm", config_file=str(config), override_env_vars={})
        client = await Client.connect(**kwargs)
        assert client.namespace == "osm"
        await client.start_workflow("Anything", id="from-profile", task_queue="q")
        assert (await client.get_workflow_handle("from-profile").describe()).id == "from-profile"
        await client.close()

        # The environment overrides the file: a wrong key is refused by the server.
        kwargs = ClientConfig.load_client_connect_config(
            profile="lcm", config_file=str(config),
            override_env_vars={"TEMPORAL_API_KEY": "k-wrong"})
        with pytest.raises(UnauthenticatedError):
            await Client.connect(**kwargs)
