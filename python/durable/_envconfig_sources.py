"""Where ``durable.envconfig`` reads from: the TOML profile file and environment variables.

Both produce plain dicts in the shape of ``ClientConfigProfile.from_dict`` (temporalio's:
TLS sources as ``{"path": ...}`` or ``{"data": ...}``), so the public module only builds
dataclasses. The rules are temporalio's (sdk-core ``envconfig.rs``): the file holds
``[profile.<name>]`` tables; environment variables override the file's values; every
``TEMPORAL_X`` may also be spelled ``DURABLE_X``, which wins when both are set.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

DEFAULT_PROFILE = "default"
DEFAULT_CONFIG_FILE = "temporal.toml"

_PROFILE_KEYS = {"address", "namespace", "api_key", "tls", "codec", "grpc_meta"}
_TLS_KEYS = {"disabled", "client_cert_path", "client_cert_data", "client_key_path",
             "client_key_data", "server_ca_cert_path", "server_ca_cert_data", "server_name",
             "disable_host_verification"}
_CODEC_KEYS = {"endpoint", "auth"}
# (TOML key stem, from_dict key): the three certificate sources of a TLS table.
_TLS_SOURCES = (("client_cert", "client_cert"), ("client_key", "client_key"),
                ("server_ca_cert", "server_ca_cert"))


# --- The TOML file ---------------------------------------------------------------------------


def default_config_file(env: Mapping[str, str]) -> Path:
    """``<user config dir>/temporalio/temporal.toml``, as temporalio looks for it."""
    if sys.platform == "win32":
        base = env.get("APPDATA") or os.path.expanduser("~\\AppData\\Roaming")
    elif sys.platform == "darwin":
        base = os.path.join(env.get("HOME") or os.path.expanduser("~"),
                            "Library", "Application Support")
    else:
        xdg = env.get("XDG_CONFIG_HOME", "")
        base = xdg if os.path.isabs(xdg) else os.path.join(
            env.get("HOME") or os.path.expanduser("~"), ".config")
    return Path(base) / "temporalio" / DEFAULT_CONFIG_FILE


def parse_toml(data: bytes, *, origin: str, strict: bool) -> dict[str, dict[str, Any]]:
    """The profiles of a config file, by name, each in ``from_dict`` shape.

    Args:
        data: The file's bytes (UTF-8 TOML).
        origin: What to name in errors (the path, or "config data").
        strict: Refuse keys temporalio does not know (else they are ignored).

    Raises:
        ValueError: Not UTF-8, not TOML, a value of the wrong type, a path and data given
            for one certificate, or (strict) an unknown key; the message names the key.
    """
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        raise ValueError(f"{origin}: not UTF-8 text ({e})") from None
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise ValueError(f"{origin}: invalid TOML: {e}") from None
    if strict:
        _refuse_unknown(doc, {"profile"}, origin, "")
    profiles = doc.get("profile", {})
    _expect(profiles, dict, origin, "profile", "a table of [profile.<name>] tables")
    return {name: _profile(body, origin, f"profile.{name}", strict)
            for name, body in profiles.items()}


def _profile(body: Any, origin: str, where: str, strict: bool) -> dict[str, Any]:
    _expect(body, dict, origin, where, "a table")
    if strict:
        _refuse_unknown(body, _PROFILE_KEYS, origin, where)
    out: dict[str, Any] = {}
    for key in ("address", "namespace", "api_key"):
        if key in body:
            out[key] = _expect(body[key], str, origin, f"{where}.{key}", "a string")
    if "tls" in body:
        out["tls"] = _tls(body["tls"], origin, f"{where}.tls", strict)
    if "codec" in body:  # read (and checked) as temporalio does; durable has no remote codec
        codec = _expect(body["codec"], dict, origin, f"{where}.codec", "a table")
        if strict:
            _refuse_unknown(codec, _CODEC_KEYS, origin, f"{where}.codec")
    if "grpc_meta" in body:
        meta = _expect(body["grpc_meta"], dict, origin, f"{where}.grpc_meta", "a table")
        out["grpc_meta"] = {
            normalize_meta_key(k): _expect(v, str, origin, f"{where}.grpc_meta.{k}", "a string")
            for k, v in meta.items()}
    return out


def _tls(body: Any, origin: str, where: str, strict: bool) -> dict[str, Any]:
    _expect(body, dict, origin, where, "a table")
    if strict:
        _refuse_unknown(body, _TLS_KEYS, origin, where)
    out: dict[str, Any] = {}
    for key in ("disabled", "disable_host_verification"):
        if key in body:
            out[key] = _expect(body[key], bool, origin, f"{where}.{key}", "true or false")
    if "server_name" in body:
        out["server_name"] = _expect(body["server_name"], str, origin,
                                     f"{where}.server_name", "a string")
    for stem, key in _TLS_SOURCES:
        path, data = body.get(f"{stem}_path"), body.get(f"{stem}_data")
        if path is not None and data is not None:
            raise ValueError(f"{origin}: {where} sets both {stem}_path and {stem}_data; "
                             "give one")
        if path is not None:
            out[key] = {"path": _expect(path, str, origin, f"{where}.{stem}_path", "a string")}
        elif data:
            out[key] = {"data": _expect(data, str, origin, f"{where}.{stem}_data",
                                        "a string (PEM)")}
    return out


def _expect(value: Any, kind: type, origin: str, where: str, what: str) -> Any:
    if not isinstance(value, kind) or (kind is not bool and isinstance(value, bool)):
        raise ValueError(f"{origin}: {where} must be {what}, got {value!r}")
    return value


def _refuse_unknown(table: Mapping[str, Any], known: set[str], origin: str, where: str) -> None:
    unknown = sorted(set(table) - known)
    if unknown:
        prefix = f"{where}." if where else ""
        raise ValueError(f"{origin}: unknown key {prefix}{unknown[0]} (known: {sorted(known)})")


def normalize_meta_key(key: str) -> str:
    """gRPC metadata keys are lower case with hyphens (``SOME_KEY`` -> ``some-key``)."""
    return key.lower().replace("_", "-")


# --- Environment variables -------------------------------------------------------------------


class Env:
    """Environment variables by temporalio's name; ``DURABLE_<X>`` overrides ``TEMPORAL_<X>``."""

    def __init__(self, env: Mapping[str, str]) -> None:
        self._env = env

    def lookup(self, name: str) -> tuple[str, str] | None:
        """(the variable actually set, its value) for ``TEMPORAL_<X>``, or None."""
        assert name.startswith("TEMPORAL_")
        for candidate in ("DURABLE_" + name[len("TEMPORAL_"):], name):
            value = self._env.get(candidate)
            if value is not None:
                return candidate, value
        return None

    def get(self, name: str) -> str | None:
        found = self.lookup(name)
        return None if found is None else found[1]

    def bool(self, name: str) -> bool | None:
        """A boolean variable (true/false/1/0, any case); None when unset or empty.

        Raises:
            ValueError: Any other value (temporalio ignores it silently).
        """
        found = self.lookup(name)
        if found is None or found[1] == "":
            return None
        value = found[1].lower()
        if value in ("true", "1"):
            return True
        if value in ("false", "0"):
            return False
        raise ValueError(f"{found[0]} must be true, false, 1 or 0, got {found[1]!r}")

    def grpc_meta(self) -> dict[str, str]:
        """``TEMPORAL_GRPC_META_<NAME>`` variables by normalized header name; an empty value
        (returned as "") removes the header. ``DURABLE_GRPC_META_`` ones win."""
        out: dict[str, str] = {}
        for prefix in ("TEMPORAL_GRPC_META_", "DURABLE_GRPC_META_"):
            for key, value in self._env.items():
                if key.startswith(prefix) and len(key) > len(prefix):
                    out[normalize_meta_key(key[len(prefix):])] = value
        return out


def apply_env(profile: dict[str, Any], env: Env) -> dict[str, Any]:
    """``profile`` (``from_dict`` shape) with the environment's overrides applied.

    Raises:
        ValueError: A certificate given both as path and data, or a bad boolean.
    """
    out = dict(profile)
    for key, var in (("address", "TEMPORAL_ADDRESS"), ("namespace", "TEMPORAL_NAMESPACE"),
                     ("api_key", "TEMPORAL_API_KEY")):
        value = env.get(var)
        if value is not None:
            out[key] = value or None  # an empty variable clears the file's value
    tls_vars = ("TEMPORAL_TLS", "TEMPORAL_TLS_SERVER_NAME",
                "TEMPORAL_TLS_DISABLE_HOST_VERIFICATION") + tuple(
        f"TEMPORAL_TLS_{stem.upper()}_{kind}" for stem, _ in _TLS_SOURCES
        for kind in ("PATH", "DATA"))
    if out.get("tls") is not None or any(env.lookup(v) for v in tls_vars):
        tls = dict(out.get("tls") or {})
        enabled = env.bool("TEMPORAL_TLS")
        if enabled is not None:
            tls["disabled"] = not enabled
        for stem, key in _TLS_SOURCES:
            _apply_source(tls, key, env, f"TEMPORAL_TLS_{stem.upper()}")
        server_name = env.get("TEMPORAL_TLS_SERVER_NAME")
        if server_name is not None:
            tls["server_name"] = server_name
        skip_verify = env.bool("TEMPORAL_TLS_DISABLE_HOST_VERIFICATION")
        if skip_verify is not None:
            tls["disable_host_verification"] = skip_verify
        out["tls"] = tls
    meta_env = env.grpc_meta()
    if meta_env:
        meta = dict(out.get("grpc_meta") or {})
        for k, v in meta_env.items():
            if v:
                meta[k] = v
            else:
                meta.pop(k, None)
        out["grpc_meta"] = meta
    return out


def _apply_source(tls: dict[str, Any], key: str, env: Env, stem: str) -> None:
    path, data = env.lookup(stem + "_PATH"), env.lookup(stem + "_DATA")
    if path is not None and data is not None:
        raise ValueError(f"both {path[0]} and {data[0]} are set; set one")
    current = tls.get(key) or {}
    if path is not None:
        if "data" in current:
            raise ValueError(f"{path[0]} is set but the profile gives that certificate's data "
                             "inline; remove one")
        tls[key] = {"path": path[1]}
    elif data is not None:
        if "path" in current:
            raise ValueError(f"{data[0]} is set but the profile gives that certificate's path; "
                             "remove one")
        tls[key] = {"data": data[1]}
