"""The OSM LCM activities: the package store (GridFS files and the NSD/VNFD package
documents that reference them, in a MongoDB-compatible server) and the steps that drive the
simulated VIM, Kubernetes, charms and hosts (simulators.py).

Activities find their MongoDB and simulator directory in a process-wide configuration set
once by the worker (``configure``). pymongo is blocking: its calls run in a thread
(``asyncio.to_thread``) so an activity never blocks the worker's event loop.
"""

from __future__ import annotations

import asyncio
import threading
from dataclasses import dataclass
from typing import Any

import gridfs
import pymongo
from bson import ObjectId
from durable import activity
from durable.exceptions import ApplicationError
from simulators import InjectedFailure, Simulators

PACKAGES = "packages"  # the package collection: NSD and VNFD documents


@dataclass(frozen=True)
class Config:
    mongo_url: str
    sim_dir: str
    database: str = "osm"
    poll_interval: float = 0.05  # seconds between readiness polls / patch steps


_config: Config | None = None
_mongo: pymongo.MongoClient[Any] | None = None
_lock = threading.Lock()


def configure(mongo_url: str, sim_dir: str, *, database: str = "osm",
              poll_interval: float = 0.05) -> None:
    """Point the activities of this process at a MongoDB server and a simulator directory."""
    global _config, _mongo
    with _lock:
        if _mongo is not None:
            _mongo.close()
        _config = Config(mongo_url, sim_dir, database, poll_interval)
        _mongo = None


def close() -> None:
    """Close this process's MongoDB connection (configure() opens a new one lazily)."""
    global _mongo
    with _lock:
        if _mongo is not None:
            _mongo.close()
        _mongo = None


def _cfg() -> Config:
    if _config is None:
        raise RuntimeError("osm_lcm activities are not configured: call configure() first")
    return _config


def _db() -> Any:
    global _mongo
    cfg = _cfg()
    with _lock:
        if _mongo is None:
            _mongo = pymongo.MongoClient(cfg.mongo_url, serverSelectionTimeoutMS=5000)
        return _mongo[cfg.database]


def _sim() -> Simulators:
    return Simulators(_cfg().sim_dir)


def _referenced_ids(db: Any) -> set[ObjectId]:
    """Every file id some NSD/VNFD package document lists in ``files``."""
    return set(db[PACKAGES].distinct("files"))


# --- the package store (GridFS) -------------------------------------------------------------


def _upload(filename: str, content: str, key: str) -> str:
    db = _db()
    fs = gridfs.GridFS(db)
    # Idempotent per activity: a retried attempt finds the file its predecessor stored.
    existing = db["fs.files"].find_one({"metadata.upload_key": key}, {"_id": 1})
    if existing is not None:
        return str(existing["_id"])
    return str(fs.put(content.encode(), filename=filename, metadata={"upload_key": key}))


@activity.defn
async def fs_upload(upload: dict[str, str]) -> dict[str, str]:
    """Store ``upload["content"]`` as GridFS file ``upload["filename"]`` (no package document
    references it yet). Returns ``{"file_added": <file id>}``."""
    info = activity.info()
    key = f"{info.workflow_run_id}/{info.activity_id}"
    file_id = await asyncio.to_thread(_upload, upload["filename"], upload["content"], key)
    return {"file_added": file_id}


def _unreferenced() -> list[str]:
    db = _db()
    referenced = _referenced_ids(db)
    return sorted(str(f["_id"]) for f in db["fs.files"].find({}, {"_id": 1})
                  if f["_id"] not in referenced)


@activity.defn
async def fs_find_unreferenced() -> list[str]:
    """The ids of the GridFS files no NSD/VNFD package document references."""
    return await asyncio.to_thread(_unreferenced)


def _delete(ids: list[str]) -> int:
    db = _db()
    fs = gridfs.GridFS(db)
    referenced = _referenced_ids(db)  # re-read: a package may have claimed a file since
    deleted = 0
    for file_id in map(ObjectId, ids):
        if file_id not in referenced and fs.exists(file_id):
            fs.delete(file_id)
            deleted += 1
    return deleted


@activity.defn
async def fs_delete_files(ids: list[str]) -> int:
    """Delete those of ``ids`` that are still unreferenced; returns how many went."""
    return await asyncio.to_thread(_delete, ids)


@activity.defn
async def fs_delete_unreferenced() -> int:
    """Find and delete in one step (FsCleanWorkflow before its patch; kept registered for
    the runs that started on that code)."""
    return await asyncio.to_thread(lambda: _delete(_unreferenced()))


def seed_catalog(mongo_url: str, nsd_id: str = "nsd-5g-core",
                 vnfs: dict[str, str] | None = None, database: str = "osm") -> list[str]:
    """Onboard an NS package: one GridFS file per descriptor, a VNFD document per VNF and an
    NSD document listing them (``vnfs``: member -> image). Returns the referenced file ids.
    Not an activity: the demo and the tests call it to set the scene."""
    vnfs = vnfs or {"amf": "amf:1.4", "smf": "smf:2.1", "upf": "upf:3.0"}
    with pymongo.MongoClient(mongo_url, serverSelectionTimeoutMS=5000) as client:
        db = client[database]
        fs = gridfs.GridFS(db)
        ids: list[str] = []
        members = []
        for member, image in vnfs.items():
            vnfd_id = f"vnfd-{member}"
            fid = fs.put(f"vnfd {member} image {image}".encode(), filename=f"{vnfd_id}.tar.gz")
            db[PACKAGES].replace_one({"_id": vnfd_id}, {"_id": vnfd_id, "kind": "vnfd",
                                                        "image": image, "files": [fid]},
                                     upsert=True)
            ids.append(str(fid))
            members.append({"member": member, "vnfd": vnfd_id})
        fid = fs.put(f"nsd {nsd_id}".encode(), filename=f"{nsd_id}.tar.gz")
        db[PACKAGES].replace_one({"_id": nsd_id}, {"_id": nsd_id, "kind": "nsd",
                                                   "vnfs": members, "files": [fid]},
                                 upsert=True)
        ids.append(str(fid))
        return ids


def _validate(nsd_id: str) -> dict[str, Any]:
    db = _db()
    fs = gridfs.GridFS(db)

    def bad(why: str) -> ApplicationError:
        return ApplicationError(f"NS package {nsd_id!r} is invalid: {why}",
                                type="InvalidPackage", non_retryable=True)

    nsd = db[PACKAGES].find_one({"_id": nsd_id})
    if nsd is None or nsd.get("kind") != "nsd":
        raise bad("no NSD document with that id")
    if not nsd.get("vnfs"):
        raise bad("the NSD lists no VNFs")
    plan = []
    for vnf in nsd["vnfs"]:
        vnfd = db[PACKAGES].find_one({"_id": vnf["vnfd"]})
        if vnfd is None or vnfd.get("kind") != "vnfd":
            raise bad(f"member {vnf['member']!r} references missing VNFD {vnf['vnfd']!r}")
        for fid in [*nsd.get("files", []), *vnfd.get("files", [])]:
            if not fs.exists(fid):
                raise bad(f"package file {fid} of {vnfd['_id']!r} is not in GridFS")
        plan.append({"member": vnf["member"], "vnfd": vnfd["_id"], "image": vnfd["image"]})
    return {"nsd": nsd_id, "vnfs": plan}


@activity.defn
async def validate_ns_package(nsd_id: str) -> dict[str, Any]:
    """Check the NSD, its VNFDs and their package files; returns the deployment plan
    ``{"nsd": id, "vnfs": [{"member", "vnfd", "image"}, ...]}``."""
    return await asyncio.to_thread(_validate, nsd_id)


# --- the simulated systems ------------------------------------------------------------------


def _call(fn: Any, *args: Any) -> Any:
    """A simulator call; an injected failure becomes an ApplicationError (non-retryable when
    it is permanent), so the retry policy sees what a real system's error would say."""
    try:
        return fn(*args)
    except InjectedFailure as e:
        raise ApplicationError(str(e), type="InjectedFailure", non_retryable=e.permanent) from None


@activity.defn
async def k8s_create_namespace(ns: str) -> str:
    return _call(_sim().k8s_create_namespace, ns)


@activity.defn
async def k8s_delete_namespace(ns: str) -> None:
    _call(_sim().k8s_delete_namespace, ns)


@activity.defn
async def vim_create_network(ns: str) -> str:
    return _call(_sim().vim_create_network, ns)


@activity.defn
async def vim_delete_network(ns: str) -> None:
    _call(_sim().vim_delete_network, ns)


@activity.defn
async def vim_deploy_vnf(ns: str, member: str, image: str) -> str:
    return _call(_sim().vim_deploy_vnf, ns, member, image)


@activity.defn
async def vim_undeploy_vnf(ns: str, member: str) -> None:
    _call(_sim().vim_undeploy_vnf, ns, member)


@activity.defn
async def charm_configure_day1(ns: str, member: str) -> None:
    _call(_sim().charm_configure_day1, ns, member)


@activity.defn
async def charm_unconfigure_day1(ns: str, member: str) -> None:
    _call(_sim().charm_unconfigure_day1, ns, member)


@activity.defn
async def k8s_wait_ready(ns: str, member: str) -> int:
    """Poll the VNF's readiness until it is ready, heartbeating the poll count; a retried
    attempt (after a crash or a heartbeat timeout) resumes from the last heartbeat.
    Returns the number of polls it took."""
    details = activity.info().heartbeat_details
    poll = int(details[0]) if details else 0
    sim = _sim()
    while True:
        poll += 1
        if _call(sim.k8s_poll_ready, ns, member, poll):
            return poll
        activity.heartbeat(poll)
        await asyncio.sleep(_cfg().poll_interval)


@activity.defn
async def host_drain(host: str) -> None:
    _call(_sim().host_drain, host)


@activity.defn
async def host_apply_update(host: str, steps: int) -> int:
    """Install the update's ``steps`` packages one by one, heartbeating the last one done; a
    retried attempt resumes after it. A worker shutting down ends the attempt (it is retried
    on the next worker). Returns the number of steps."""
    details = activity.info().heartbeat_details
    done = int(details[0]) if details else 0
    sim = _sim()
    for step in range(done + 1, steps + 1):
        if activity.is_worker_shutdown():
            raise ApplicationError(f"worker shutting down; {host} updated to step {done}",
                                   type="WorkerShutdown")
        _call(sim.host_update_step, host, step)
        done = step
        activity.heartbeat(done)
        await asyncio.sleep(_cfg().poll_interval)
    return steps


@activity.defn
async def host_reboot(host: str) -> None:
    _call(_sim().host_reboot, host)


ACTIVITIES = [
    fs_upload, fs_find_unreferenced, fs_delete_files, fs_delete_unreferenced,
    validate_ns_package, k8s_create_namespace, k8s_delete_namespace, vim_create_network,
    vim_delete_network, vim_deploy_vnf, vim_undeploy_vnf, charm_configure_day1,
    charm_unconfigure_day1, k8s_wait_ready, host_drain, host_apply_update, host_reboot,
]
