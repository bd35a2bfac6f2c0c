"""durable.envconfig: profiles from a TOML file, environment overrides, precedence, errors.

Every test passes ``override_env_vars`` (the process environment is never read) and real
files under ``tmp_path``.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from durable.client import Client
from durable.envconfig import ClientConfig, ClientConfigProfile, ClientConfigTLS
from durable.service import TLSConfig

CA = "-----BEGIN CERTIFICATE-----\nca\n-----END CERTIFICATE-----\n"
CERT = "-----BEGIN CERTIFICATE-----\ncert\n-----END CERTIFICATE-----\n"
KEY = "-----BEGIN PRIVATE KEY-----\nkey\n-----END PRIVATE KEY-----\n"

FILE = """
[profile.default]
address = "file-host:7233"
namespace = "file-ns"

[profile.prod]
address = "prod:7233"
namespace = "prod-ns"
api_key = "prod-key"

[profile.prod.tls]
server_name = "prod.internal"
server_ca_cert_data = '''%s'''

[profile.prod.grpc_meta]
Some_Header = "v1"
""" % CA


def write(tmp_path: Path, text: str, name: str = "temporal.toml") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def load(path: Path | None = None, env: dict[str, str] | None = None, **kw: object) -> dict:
    return dict(ClientConfig.load_client_connect_config(
        config_file=str(path) if path else None, override_env_vars=env or {}, **kw))


# --- Defaults and the file -------------------------------------------------------------------


def test_nothing_configured_gives_the_defaults(tmp_path: Path) -> None:
    env = {"XDG_CONFIG_HOME": str(tmp_path / "none")}
    assert load(env=env) == {"target_host": "localhost:7233", "namespace": "default"}


def test_default_profile_of_the_file(tmp_path: Path) -> None:
    assert load(write(tmp_path, FILE)) == {"target_host": "file-host:7233",
                                           "namespace": "file-ns"}


def test_named_profile_with_tls_api_key_and_metadata(tmp_path: Path) -> None:
    config = load(write(tmp_path, FILE), profile="prod")
    assert config["target_host"] == "prod:7233"
    assert config["namespace"] == "prod-ns"
    assert config["api_key"] == "prod-key"
    assert config["rpc_metadata"] == {"some-header": "v1"}
    assert config["tls"] == TLSConfig(server_root_ca_cert=CA.encode(), domain="prod.internal")


def test_default_file_location_is_temporalios(tmp_path: Path) -> None:
    (tmp_path / "temporalio").mkdir()
    write(tmp_path / "temporalio", FILE)
    assert load(env={"XDG_CONFIG_HOME": str(tmp_path)})["target_host"] == "file-host:7233"


def test_config_file_variable_locates_the_file(tmp_path: Path) -> None:
    path = write(tmp_path, FILE, "elsewhere.toml")
    assert load(env={"TEMPORAL_CONFIG_FILE": str(path)})["namespace"] == "file-ns"


def test_profile_variable_selects_the_profile_and_the_argument_wins(tmp_path: Path) -> None:
    path = write(tmp_path, FILE)
    assert load(path, {"TEMPORAL_PROFILE": "prod"})["namespace"] == "prod-ns"
    assert load(path, {"TEMPORAL_PROFILE": "prod"}, profile="default")["namespace"] == "file-ns"


def test_certificate_files_are_read(tmp_path: Path) -> None:
    for name, text in (("ca.pem", CA), ("cert.pem", CERT), ("key.pem", KEY)):
        (tmp_path / name).write_text(text)
    path = write(tmp_path, f"""
[profile.default.tls]
server_ca_cert_path = "{tmp_path / 'ca.pem'}"
client_cert_path = "{tmp_path / 'cert.pem'}"
client_key_path = "{tmp_path / 'key.pem'}"
""")
    assert load(path)["tls"] == TLSConfig(server_root_ca_cert=CA.encode(),
                                          client_cert=CERT.encode(),
                                          client_private_key=KEY.encode())


def test_missing_file_is_an_empty_config_as_in_temporalio(tmp_path: Path) -> None:
    assert load(tmp_path / "absent.toml") == {"target_host": "localhost:7233",
                                              "namespace": "default"}


def test_config_source_as_contents_and_all_profiles(tmp_path: Path) -> None:
    profile = ClientConfigProfile.load("prod", config_source=FILE, override_env_vars={})
    assert profile.address == "prod:7233"
    assert profile.tls == ClientConfigTLS(server_name="prod.internal", server_root_ca_cert=CA)
    everything = ClientConfig.load(config_source=write(tmp_path, FILE), override_env_vars={})
    assert sorted(everything.profiles) == ["default", "prod"]
    assert ClientConfig.from_dict(everything.to_dict()) == everything


# --- Environment variables and precedence ----------------------------------------------------


def test_environment_overrides_the_file(tmp_path: Path) -> None:
    config = load(write(tmp_path, FILE), {"TEMPORAL_ADDRESS": "env:1", "TEMPORAL_NAMESPACE": "env-ns"})
    assert config == {"target_host": "env:1", "namespace": "env-ns"}


def test_durable_prefix_wins_over_temporal_prefix() -> None:
    env = {"TEMPORAL_ADDRESS": "t:1", "DURABLE_ADDRESS": "d:1", "TEMPORAL_NAMESPACE": "t-ns"}
    config = load(env=env, disable_file=True)
    assert config == {"target_host": "d:1", "namespace": "t-ns"}


def test_api_key_turns_tls_on_unless_disabled() -> None:
    config = load(env={"TEMPORAL_API_KEY": "k"}, disable_file=True)
    assert config["api_key"] == "k" and config["tls"] == TLSConfig()
    config = load(env={"TEMPORAL_API_KEY": "k", "TEMPORAL_TLS": "false"}, disable_file=True)
    assert config["tls"] is False


def test_tls_variables() -> None:
    env = {"TEMPORAL_TLS_SERVER_CA_CERT_DATA": CA, "TEMPORAL_TLS_CLIENT_CERT_DATA": CERT,
           "TEMPORAL_TLS_CLIENT_KEY_DATA": KEY, "TEMPORAL_TLS_SERVER_NAME": "sni"}
    assert load(env=env, disable_file=True)["tls"] == TLSConfig(
        server_root_ca_cert=CA.encode(), client_cert=CERT.encode(),
        client_private_key=KEY.encode(), domain="sni")
    assert load(env={"TEMPORAL_TLS": "TRUE"}, disable_file=True)["tls"] == TLSConfig()
    assert load(env={"TEMPORAL_TLS": "0"}, disable_file=True)["tls"] is False


def test_tls_variable_disables_the_files_tls(tmp_path: Path) -> None:
    assert load(write(tmp_path, FILE), {"TEMPORAL_TLS": "false"}, profile="prod")["tls"] is False


def test_grpc_meta_variables_add_replace_and_remove(tmp_path: Path) -> None:
    path = write(tmp_path, FILE)
    env = {"TEMPORAL_GRPC_META_OTHER_ONE": "x", "TEMPORAL_GRPC_META_SOME_HEADER": "v2"}
    assert load(path, env, profile="prod")["rpc_metadata"] == {"some-header": "v2",
                                                                 "other-one": "x"}
    removed = load(path, {"TEMPORAL_GRPC_META_SOME_HEADER": ""}, profile="prod")
    assert "rpc_metadata" not in removed


def test_empty_address_variable_falls_back_to_the_default(tmp_path: Path) -> None:
    assert load(write(tmp_path, FILE), {"TEMPORAL_ADDRESS": ""})["target_host"] == "localhost:7233"


def test_disable_env_ignores_the_environment(tmp_path: Path) -> None:
    config = load(write(tmp_path, FILE), {"TEMPORAL_ADDRESS": "env:1"}, disable_env=True)
    assert config["target_host"] == "file-host:7233"


def test_disable_file_ignores_the_file(tmp_path: Path) -> None:
    assert load(write(tmp_path, FILE), {}, disable_file=True)["target_host"] == "localhost:7233"


# --- Bad input -------------------------------------------------------------------------------


def test_unknown_named_profile_is_an_error_naming_the_known_ones(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"profile 'staging' not found in .*\['default', 'prod'\]"):
        load(write(tmp_path, FILE), profile="staging")
    with pytest.raises(ValueError, match=r"profile 'x' not found .*does not exist"):
        load(tmp_path / "absent.toml", {"TEMPORAL_PROFILE": "x"})


def test_invalid_toml_names_the_file(tmp_path: Path) -> None:
    path = write(tmp_path, "[profile.default\naddress = 1")
    with pytest.raises(ValueError, match=f"{path}: invalid TOML"):
        load(path)


def test_wrong_types_name_the_key(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"profile\.default\.address must be a string, got 7233"):
        load(write(tmp_path, "[profile.default]\naddress = 7233\n"))
    with pytest.raises(ValueError, match=r"profile\.default\.tls\.disabled must be true or false"):
        load(write(tmp_path, "[profile.default.tls]\ndisabled = 'no'\n"))


def test_strict_mode_refuses_unknown_keys_and_lax_mode_ignores_them(tmp_path: Path) -> None:
    path = write(tmp_path, "[profile.default]\naddress = 'a:1'\nadress = 'typo:1'\n")
    assert load(path)["target_host"] == "a:1"
    with pytest.raises(ValueError, match=r"unknown key profile\.default\.adress"):
        load(path, config_file_strict=True)


def test_path_and_data_for_one_certificate_are_refused(tmp_path: Path) -> None:
    path = write(tmp_path, "[profile.default.tls]\nclient_cert_path='/a'\nclient_cert_data='b'\n")
    with pytest.raises(ValueError, match="both client_cert_path and client_cert_data"):
        load(path)
    env = {"TEMPORAL_TLS_CLIENT_KEY_PATH": "/k", "DURABLE_TLS_CLIENT_KEY_DATA": KEY}
    with pytest.raises(ValueError, match="both TEMPORAL_TLS_CLIENT_KEY_PATH and DURABLE_TLS_CLIENT_KEY_DATA"):
        load(env=env, disable_file=True)


def test_bad_boolean_variable_is_an_error() -> None:
    with pytest.raises(ValueError, match="TEMPORAL_TLS must be true, false, 1 or 0, got 'yes'"):
        load(env={"TEMPORAL_TLS": "yes"}, disable_file=True)


def test_client_certificate_without_key_is_an_error() -> None:
    with pytest.raises(ValueError, match="client certificate needs its private key"):
        load(env={"TEMPORAL_TLS_CLIENT_CERT_DATA": CERT}, disable_file=True)


def test_unreadable_certificate_file_names_it(tmp_path: Path) -> None:
    missing = tmp_path / "nope.pem"
    with pytest.raises(FileNotFoundError, match="server CA certificate file") as e:
        load(env={"TEMPORAL_TLS_SERVER_CA_CERT_PATH": str(missing)}, disable_file=True)
    assert e.value.filename == str(missing)


def test_disabling_both_sources_is_an_error() -> None:
    with pytest.raises(ValueError, match="cannot disable both"):
        load(disable_file=True, disable_env=True)


# --- The result is Client.connect's keywords -------------------------------------------------


async def test_loaded_config_connects(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    path = write(tmp_path, f"[profile.local]\naddress = '{data_dir}'\n")
    config = ClientConfig.load_client_connect_config(
        profile="local", config_file=str(path), override_env_vars={})
    client = await Client.connect(**config)
    try:
        assert (await client.describe_namespace()).name == "default"
    finally:
        await client.close()
    assert data_dir.is_dir()
