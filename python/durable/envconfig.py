"""Client settings from a TOML profile file and environment variables (mirrors
``temporalio.envconfig``).

    from durable.client import Client
    from durable.envconfig import ClientConfig

    client = await Client.connect(**ClientConfig.load_client_connect_config())

The file (``TEMPORAL_CONFIG_FILE``, else ``~/.config/temporalio/temporal.toml``) holds
``[profile.<name>]`` tables; the profile is the ``profile`` argument, else
``TEMPORAL_PROFILE``, else ``default``. Environment variables (``TEMPORAL_ADDRESS``,
``TEMPORAL_NAMESPACE``, ``TEMPORAL_API_KEY``, ``TEMPORAL_TLS*``, ``TEMPORAL_GRPC_META_*``)
override the file; each may also be spelled ``DURABLE_...``, which wins over ``TEMPORAL_...``.
Names, file format and precedence are temporalio's; docs/envconfig.md lists them all and
the few deliberate differences (defaults for ``target_host`` / ``namespace``, bad booleans
refused).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, TypedDict, Union, cast

from durable import _envconfig_sources as _sources
from durable.service import TLSConfig

__all__ = [
    "ClientConfig",
    "ClientConfigProfile",
    "ClientConfigProfileDict",
    "ClientConfigTLS",
    "ClientConfigTLSDict",
    "ClientConnectConfig",
    "DataSource",
]

DataSource = Union[Path, str, bytes]
"""A file (``Path``) or its contents (``str`` or ``bytes``)."""

DEFAULT_TARGET_HOST = "localhost:7233"
DEFAULT_NAMESPACE = "default"


class ClientConfigTLSDict(TypedDict, total=False):
    """A TLS configuration as a dict (temporalio's shape: sources as ``{"path"|"data": ...}``)."""

    disabled: bool | None
    server_name: str
    server_ca_cert: Mapping[str, str]
    client_cert: Mapping[str, str]
    client_key: Mapping[str, str]


class ClientConfigProfileDict(TypedDict, total=False):
    """A profile as a dict."""

    address: str
    namespace: str
    api_key: str
    tls: ClientConfigTLSDict
    grpc_meta: Mapping[str, str]


class ClientConnectConfig(TypedDict, total=False):
    """Keyword arguments of ``durable.client.Client.connect``."""

    target_host: str
    namespace: str
    api_key: str
    tls: bool | TLSConfig
    rpc_metadata: Mapping[str, str]


def _source_from_dict(d: Mapping[str, Any] | None) -> DataSource | None:
    if not d:
        return None
    if "data" in d:
        return cast(DataSource, d["data"])
    if "path" in d:
        return Path(d["path"])
    return None


def _source_to_dict(source: DataSource | None) -> dict[str, str] | None:
    if isinstance(source, Path):
        return {"path": str(source)}
    if isinstance(source, str):
        return {"data": source}
    if isinstance(source, bytes):
        return {"data": source.decode("utf-8")}
    return None


def _read_source(source: DataSource | None, what: str) -> bytes | None:
    """The bytes of a certificate source; a Path is read now.

    Raises:
        OSError: The file cannot be read (the message names ``what`` and the path).
        TypeError: Not a Path, str or bytes.
    """
    if source is None:
        return None
    if isinstance(source, Path):
        try:
            return source.read_bytes()
        except OSError as e:
            raise type(e)(e.errno, f"cannot read the TLS {what} file: {e.strerror}",
                          str(source)) from None
    if isinstance(source, str):
        return source.encode("utf-8")
    if isinstance(source, bytes):
        return source
    raise TypeError(f"the TLS {what} must be a pathlib.Path, str or bytes, "
                    f"got {type(source).__name__}")


@dataclass(frozen=True)
class ClientConfigTLS:
    """TLS settings of a profile.

    Attributes:
        disabled: True: no TLS; False: TLS; None: not said (TLS, since the profile has a
            TLS section or an API key).
        server_name: Name to verify the server's certificate against (SNI override).
        server_root_ca_cert: The server's CA certificate (file or PEM).
        client_cert: This client's certificate (mutual TLS).
        client_private_key: Its key.
    """

    disabled: bool | None = None
    server_name: str | None = None
    server_root_ca_cert: DataSource | None = None
    client_cert: DataSource | None = None
    client_private_key: DataSource | None = None

    def to_dict(self) -> ClientConfigTLSDict:
        """As a dict (the shape :meth:`from_dict` takes)."""
        d: dict[str, Any] = {}
        if self.disabled is not None:
            d["disabled"] = self.disabled
        if self.server_name is not None:
            d["server_name"] = self.server_name
        key: Literal["server_ca_cert", "client_cert", "client_key"]
        for key, source in (("server_ca_cert", self.server_root_ca_cert),
                            ("client_cert", self.client_cert),
                            ("client_key", self.client_private_key)):
            value = _source_to_dict(source)
            if value:
                d[key] = value
        return cast(ClientConfigTLSDict, d)

    def to_connect_tls_config(self) -> bool | TLSConfig:
        """The ``tls=`` argument of ``Client.connect``: False when disabled, else a
        :class:`durable.service.TLSConfig` with the certificates read.

        Raises:
            ValueError: A client certificate without its key, or the reverse.
            OSError: A certificate file cannot be read.
        """
        if self.disabled is True:
            return False
        if (self.client_cert is None) != (self.client_private_key is None):
            raise ValueError("TLS: a client certificate needs its private key and a key its "
                             "certificate (client_cert_* and client_key_* go together)")
        return TLSConfig(
            domain=self.server_name,
            server_root_ca_cert=_read_source(self.server_root_ca_cert, "server CA certificate"),
            client_cert=_read_source(self.client_cert, "client certificate"),
            client_private_key=_read_source(self.client_private_key, "client private key"),
        )

    @staticmethod
    def from_dict(d: ClientConfigTLSDict | None) -> ClientConfigTLS | None:
        """From :meth:`to_dict`'s shape; None for None (``{}`` is TLS with defaults)."""
        if d is None:
            return None
        return ClientConfigTLS(
            disabled=d.get("disabled"),
            server_name=d.get("server_name"),
            server_root_ca_cert=_source_from_dict(d.get("server_ca_cert")),
            client_cert=_source_from_dict(d.get("client_cert")),
            client_private_key=_source_from_dict(d.get("client_key")),
        )


@dataclass(frozen=True)
class ClientConfigProfile:
    """One profile: where and how to connect.

    Attributes:
        address: ``host:port`` (or, for durable, a data directory).
        namespace: Namespace.
        api_key: API key (sent as ``authorization: Bearer <key>``; turns TLS on unless the
            profile disables it).
        tls: TLS settings, or None for no TLS.
        grpc_meta: gRPC metadata sent with every call (keys lower case, hyphenated).
    """

    address: str | None = None
    namespace: str | None = None
    api_key: str | None = None
    tls: ClientConfigTLS | None = None
    grpc_meta: Mapping[str, str] = field(default_factory=dict)

    @staticmethod
    def from_dict(d: ClientConfigProfileDict) -> ClientConfigProfile:
        """From :meth:`to_dict`'s shape."""
        return ClientConfigProfile(
            address=d.get("address"),
            namespace=d.get("namespace"),
            api_key=d.get("api_key"),
            tls=ClientConfigTLS.from_dict(d.get("tls")),
            grpc_meta=dict(d.get("grpc_meta") or {}),
        )

    def to_dict(self) -> ClientConfigProfileDict:
        """As a dict (unset values left out)."""
        d: dict[str, Any] = {}
        for key in ("address", "namespace", "api_key"):
            if getattr(self, key) is not None:
                d[key] = getattr(self, key)
        if self.tls is not None:
            d["tls"] = self.tls.to_dict()
        if self.grpc_meta:
            d["grpc_meta"] = dict(self.grpc_meta)
        return cast(ClientConfigProfileDict, d)

    def to_client_connect_config(self) -> ClientConnectConfig:
        """Keyword arguments of ``Client.connect``.

        ``target_host`` (default ``localhost:7233``) and ``namespace`` (default
        ``default``) are always present; ``api_key``, ``tls`` and ``rpc_metadata`` only
        when the profile sets them.

        Raises:
            ValueError, OSError: As :meth:`ClientConfigTLS.to_connect_tls_config`.
        """
        config: dict[str, Any] = {
            "target_host": self.address or DEFAULT_TARGET_HOST,
            "namespace": self.namespace or DEFAULT_NAMESPACE,
        }
        if self.api_key is not None:
            config["api_key"] = self.api_key
        if self.tls is not None:
            config["tls"] = self.tls.to_connect_tls_config()
        if self.grpc_meta:
            config["rpc_metadata"] = dict(self.grpc_meta)
        return cast(ClientConnectConfig, config)

    @staticmethod
    def load(
        profile: str | None = None,
        *,
        config_source: DataSource | None = None,
        disable_file: bool = False,
        disable_env: bool = False,
        config_file_strict: bool = False,
        override_env_vars: Mapping[str, str] | None = None,
    ) -> ClientConfigProfile:
        """Load one profile: from the file, then the environment on top.

        Args:
            profile: Profile name; else ``TEMPORAL_PROFILE``; else ``default``.
            config_source: The file (``Path``) or its contents (``str``/``bytes``) instead
                of ``TEMPORAL_CONFIG_FILE`` or the default location.
            disable_file: Read no file.
            disable_env: Apply no environment variables (``TEMPORAL_CONFIG_FILE`` still
                locates the file, as in temporalio).
            config_file_strict: Refuse unknown keys in the file.
            override_env_vars: The environment to use instead of ``os.environ``.

        Returns:
            The profile. A missing file, or a missing ``default`` profile when no name was
            asked for, gives an empty profile.

        Raises:
            ValueError: Both sources disabled; the named profile does not exist; the file
                is not valid; an environment variable has a bad value.
        """
        if disable_file and disable_env:
            raise ValueError("cannot disable both the config file and the environment")
        env_map = os.environ if override_env_vars is None else override_env_vars
        env = _sources.Env(env_map)
        body: dict[str, Any] = {}
        if not disable_file:
            profiles, origin = _load_profiles(config_source, env_map, config_file_strict)
            name = profile or (None if disable_env else env.get("TEMPORAL_PROFILE")) or None
            if name is not None and name not in profiles:
                known = f"profiles: {sorted(profiles)}" if profiles else "no profiles"
                raise ValueError(f"profile {name!r} not found in {origin} ({known})")
            body = dict(profiles.get(name or _sources.DEFAULT_PROFILE, {}))
        if not disable_env:
            body = _sources.apply_env(body, env)
        if body.get("api_key") and body.get("tls") is None:
            body["tls"] = {}  # an API key implies TLS unless the profile says otherwise
        body.get("tls", {}).pop("disable_host_verification", None)  # not in temporalio's Python
        return ClientConfigProfile.from_dict(cast(ClientConfigProfileDict, body))


def _load_profiles(source: DataSource | None, env: Mapping[str, str],
                   strict: bool) -> tuple[dict[str, dict[str, Any]], str]:
    """The file's profiles (from_dict shape) and how to name the file in errors."""
    if isinstance(source, (str, bytes)):
        data = source.encode("utf-8") if isinstance(source, str) else source
        return _sources.parse_toml(data, origin="config data", strict=strict), "config data"
    if source is not None and not isinstance(source, Path):
        raise TypeError("config_source must be a pathlib.Path, str, bytes or None, got "
                        f"{type(source).__name__}")
    if source is None:
        named = _sources.Env(env).lookup("TEMPORAL_CONFIG_FILE")
        path = Path(named[1]) if named and named[1] else _sources.default_config_file(env)
    else:
        path = source
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return {}, f"{path} (the file does not exist)"
    except OSError as e:
        raise ValueError(f"cannot read the config file {path}: {e.strerror}") from None
    return _sources.parse_toml(data, origin=str(path), strict=strict), str(path)


@dataclass
class ClientConfig:
    """Every profile of a config file.

    Attributes:
        profiles: Profile name -> profile.
    """

    profiles: Mapping[str, ClientConfigProfile]

    def to_dict(self) -> Mapping[str, ClientConfigProfileDict]:
        """Profile name -> :meth:`ClientConfigProfile.to_dict`."""
        return {k: v.to_dict() for k, v in self.profiles.items()}

    @staticmethod
    def from_dict(d: Mapping[str, Mapping[str, Any]]) -> ClientConfig:
        """From :meth:`to_dict`'s shape."""
        return ClientConfig(profiles={
            k: ClientConfigProfile.from_dict(cast(ClientConfigProfileDict, v))
            for k, v in d.items()})

    @staticmethod
    def load(
        *,
        config_source: DataSource | None = None,
        disable_file: bool = False,
        config_file_strict: bool = False,
        override_env_vars: Mapping[str, str] | None = None,
    ) -> ClientConfig:
        """Load every profile of the file, without environment overrides (the environment
        only locates the file: ``TEMPORAL_CONFIG_FILE``).

        Raises:
            ValueError: The file is not valid.
        """
        if disable_file:
            return ClientConfig(profiles={})
        env_map = os.environ if override_env_vars is None else override_env_vars
        profiles, _ = _load_profiles(config_source, env_map, config_file_strict)
        return ClientConfig.from_dict(profiles)

    @staticmethod
    def load_client_connect_config(
        profile: str | None = None,
        *,
        config_file: str | None = None,
        disable_file: bool = False,
        disable_env: bool = False,
        config_file_strict: bool = False,
        override_env_vars: Mapping[str, str] | None = None,
    ) -> ClientConnectConfig:
        """Load a profile and return ``Client.connect``'s keyword arguments.

        ``Client.connect(**ClientConfig.load_client_connect_config())`` connects as the
        environment and the profile file say. Arguments as :meth:`ClientConfigProfile.load`
        (``config_file`` is a path).

        Raises:
            ValueError: As :meth:`ClientConfigProfile.load`, or unusable TLS settings.
            OSError: A certificate file cannot be read.
        """
        source = Path(config_file) if config_file and not disable_file else None
        return ClientConfigProfile.load(
            profile=profile, config_source=source, disable_file=disable_file,
            disable_env=disable_env, config_file_strict=config_file_strict,
            override_env_vars=override_env_vars,
        ).to_client_connect_config()
