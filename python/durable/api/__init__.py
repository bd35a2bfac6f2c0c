"""Wire-level types under temporalio's module paths (``temporalio.api.*.v1``).

They are durable's own protobuf messages (``durable.v1.*_pb2``) where their shape agrees
with Temporal's, so code written against ``temporalio.api.common.v1.Payload`` & co (payload
converters, codecs, interceptors) works after changing the import root. Only the messages
listed in each module exist; docs/wire-types.md lists
what differs.
"""
