"""examples/osm_lcm: FsUploadWorkflow and FsCleanWorkflow against a real FerretDB (GridFS),
and the GridFS activities alone."""

from __future__ import annotations

from typing import Any

import gridfs
import pymongo
from bson import ObjectId
from durable.client import Client
from durable.testing import ActivityEnvironment
from osm_lcm_fixtures import Lcm, activities, lcm, mongo_url, wf  # noqa: F401

FsUploadWorkflow = wf.FsUploadWorkflow
FsCleanWorkflow = wf.FsCleanWorkflow


def _files(lcm: Lcm) -> set[str]:
    with pymongo.MongoClient(lcm.mongo_url) as c:
        return {str(f._id) for f in gridfs.GridFS(c[lcm.database]).find()}


async def test_upload_stores_an_unreferenced_file_and_clean_deletes_only_those(
        lcm: Lcm, durable_client: Client, durable_worker: Any) -> None:
    referenced = set(activities.seed_catalog(lcm.mongo_url, database=lcm.database))
    async with durable_worker(workflows=[FsUploadWorkflow, FsCleanWorkflow],
                              activities=activities.ACTIVITIES) as w:
        added = []
        for i in range(3):
            result = await durable_client.execute_workflow(
                FsUploadWorkflow.run, {"filename": f"pkg-{i}.tar.gz", "content": f"#{i}"},
                id=f"upload-{i}", task_queue=w.task_queue)
            assert set(result) == {"file_added"}
            added.append(result["file_added"])
        assert _files(lcm) == referenced | set(added)
        with pymongo.MongoClient(lcm.mongo_url) as c:
            assert gridfs.GridFS(c[lcm.database]).get(ObjectId(added[1])).read() == b"#1"

        cleaned = await durable_client.execute_workflow(
            FsCleanWorkflow.run, id="clean-1", task_queue=w.task_queue)
        assert cleaned == {"deleted_files_count": 3}
        assert _files(lcm) == referenced
        again = await durable_client.execute_workflow(
            FsCleanWorkflow.run, id="clean-2", task_queue=w.task_queue)
        assert again == {"deleted_files_count": 0}
        assert _files(lcm) == referenced


async def test_gridfs_activities_alone(lcm: Lcm) -> None:
    env = ActivityEnvironment()
    referenced = set(activities.seed_catalog(lcm.mongo_url, database=lcm.database))
    first = await env.run(activities.fs_upload, {"filename": "a", "content": "A"})
    # The same attempt retried (same run and activity id) finds its file: no duplicate.
    assert await env.run(activities.fs_upload, {"filename": "a", "content": "A"}) == first
    assert await env.run(activities.fs_find_unreferenced) == [first["file_added"]]
    # A package claiming the file between listing and deleting keeps it.
    with pymongo.MongoClient(lcm.mongo_url) as c:
        c[lcm.database]["packages"].insert_one(
            {"_id": "vnfd-late", "kind": "vnfd", "image": "x",
             "files": [ObjectId(first["file_added"])]})
    assert await env.run(activities.fs_delete_files, [first["file_added"]]) == 0
    assert _files(lcm) == referenced | {first["file_added"]}
    with pymongo.MongoClient(lcm.mongo_url) as c:
        c[lcm.database]["packages"].delete_one({"_id": "vnfd-late"})
    assert await env.run(activities.fs_delete_unreferenced) == 1
    assert _files(lcm) == referenced


def test_a_missing_ferretdb_says_how_to_build_it(tmp_path: Any, monkeypatch: Any) -> None:
    import mongo_server
    import pytest

    monkeypatch.delenv("FERRETDB_BIN", raising=False)
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.setattr(mongo_server, "REPO", tmp_path)
    with pytest.raises(FileNotFoundError, match="run scripts/ferretdb.sh"):
        mongo_server.MongoServer().start()


async def test_activities_without_configuration_say_so(monkeypatch: Any) -> None:
    import pytest

    monkeypatch.setattr(activities, "_config", None)
    with pytest.raises(RuntimeError, match="not configured: call configure"):
        await ActivityEnvironment().run(activities.k8s_create_namespace, "ns")
