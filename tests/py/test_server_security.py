"""durable-server security: TLS, mutual TLS and per-namespace API keys, with certificates made
by openssl for the test (a CA, a server certificate for 127.0.0.1, a client certificate, and
a second CA that signs nothing the server trusts)."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from durable._server_process import ServerProcess
from durable.client import Client
from durable.exceptions import PermissionDeniedError, UnauthenticatedError, UnavailableError
from durable.service import TLSConfig


def _openssl(*args: str, cwd: Path) -> None:
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True, timeout=60)


def _ca(d: Path, name: str) -> None:
    _openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj",
             f"/CN={name}", "-keyout", f"{name}.key", "-out", f"{name}.pem", cwd=d)


def _signed(d: Path, ca: str, name: str, san: str) -> None:
    _openssl("req", "-newkey", "rsa:2048", "-nodes", "-subj", f"/CN={name}", "-keyout",
             f"{name}.key", "-out", f"{name}.csr", cwd=d)
    (d / f"{name}.ext").write_text(f"subjectAltName={san}\n")
    _openssl("x509", "-req", "-in", f"{name}.csr", "-CA", f"{ca}.pem", "-CAkey", f"{ca}.key",
             "-CAcreateserial", "-days", "2", "-extfile", f"{name}.ext", "-out", f"{name}.pem",
             cwd=d)


@pytest.fixture(scope="module")
def certs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp("certs")
    _ca(d, "ca")
    _ca(d, "otherca")
    _signed(d, "ca", "server", "IP:127.0.0.1,DNS:localhost")
    _signed(d, "ca", "client", "DNS:client")
    _signed(d, "otherca", "stranger", "DNS:stranger")
    return d


def _tls(certs: Path, client: str | None = "client", ca: str = "ca") -> TLSConfig:
    return TLSConfig(
        server_root_ca_cert=(certs / f"{ca}.pem").read_bytes(),
        client_cert=(certs / f"{client}.pem").read_bytes() if client else None,
        client_private_key=(certs / f"{client}.key").read_bytes() if client else None)


@pytest.fixture
def mtls_server(certs: Path, tmp_path: Path) -> Iterator[ServerProcess]:
    with ServerProcess(str(tmp_path / "db"), args=[
            "--tls-cert", str(certs / "server.pem"), "--tls-key", str(certs / "server.key"),
            "--client-ca", str(certs / "ca.pem")]) as proc:
        yield proc


async def _hello(target: str, **kw: object) -> None:
    client = await Client.connect(target, **kw)
    await client.describe_namespace()
    await client.close()


async def test_mutual_tls_admits_only_certificates_of_its_ca(
        mtls_server: ServerProcess, certs: Path) -> None:
    from durable import _transport

    await _hello(mtls_server.address, tls=_tls(certs))
    for bad in (_tls(certs, client=None),                 # no client certificate
                _tls(certs, client="stranger"),           # a certificate of another CA
                _tls(certs, ca="otherca")):                # does not trust the server
        with pytest.raises(UnavailableError):
            _transport.open_transport(mtls_server.address, tls=bad, connect_timeout=1.0)
    with pytest.raises(UnavailableError):                 # plaintext to a TLS server
        _transport.open_transport(mtls_server.address, connect_timeout=1.0)


async def test_tls_without_client_certificates(certs: Path, tmp_path: Path) -> None:
    with ServerProcess(str(tmp_path / "db"), args=[
            "--tls-cert", str(certs / "server.pem"),
            "--tls-key", str(certs / "server.key")]) as proc:
        await _hello(proc.address, tls=_tls(certs, client=None))


async def test_api_keys_are_per_namespace(tmp_path: Path) -> None:
    keys = tmp_path / "keys.txt"
    keys.write_text("# test keys\nk-admin *\nk-a team-a\n")
    with ServerProcess(str(tmp_path / "db"), args=["--api-keys", str(keys)]) as proc:
        admin = await Client.connect(proc.address, api_key="k-admin")
        await admin.register_namespace("team-a")
        await admin.register_namespace("team-b")
        await admin.close()

        with pytest.raises(UnauthenticatedError, match="requires an API key"):
            await Client.connect(proc.address)
        with pytest.raises(UnauthenticatedError, match="unknown API key"):
            await Client.connect(proc.address, api_key="k-wrong")

        a = await Client.connect(proc.address, namespace="team-a", api_key="k-a")
        await a.start_workflow("Anything", id="wf-a", task_queue="q")
        assert (await a.get_workflow_handle("wf-a").describe()).id == "wf-a"
        with pytest.raises(PermissionDeniedError, match="namespace 'team-b'"):
            await a.describe_namespace("team-b")
        await a.close()
        with pytest.raises(PermissionDeniedError, match="namespace 'team-b'"):
            await Client.connect(proc.address, namespace="team-b", api_key="k-a")
