"""Tests of durable.common: RetryPolicy, id policies, time helpers."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

from durable.common import (
    RetryPolicy,
    WorkflowIDConflictPolicy,
    WorkflowIdConflictPolicy,
    WorkflowIDReusePolicy,
    WorkflowIdReusePolicy,
    datetime_to_us,
    timedelta_to_us,
    us_to_datetime,
    us_to_optional_timedelta,
    us_to_timedelta,
)
from durable.v1 import common_pb2

# --- Time helpers ---------------------------------------------------------------------------


def test_timedelta_to_us() -> None:
    assert timedelta_to_us(None) == 0
    assert timedelta_to_us(timedelta(0)) == 0
    assert timedelta_to_us(timedelta(seconds=1, microseconds=5)) == 1_000_005
    assert timedelta_to_us(timedelta(days=3)) == 3 * 86_400_000_000
    with pytest.raises(ValueError, match="must not be negative"):
        timedelta_to_us(timedelta(microseconds=-1))
    with pytest.raises(TypeError, match="expected a timedelta or None, got int"):
        timedelta_to_us(5)  # type: ignore[arg-type]


def test_us_to_timedelta() -> None:
    assert us_to_timedelta(0) == timedelta(0)
    assert us_to_timedelta(2_500_000) == timedelta(seconds=2.5)
    assert us_to_optional_timedelta(0) is None
    assert us_to_optional_timedelta(7) == timedelta(microseconds=7)
    for td in [timedelta(days=400, microseconds=1), timedelta(microseconds=999_999)]:
        assert us_to_timedelta(timedelta_to_us(td)) == td
    with pytest.raises(ValueError, match="must not be negative"):
        us_to_timedelta(-3)
    with pytest.raises(ValueError, match="out of range"):
        us_to_timedelta(10**30)
    with pytest.raises(TypeError, match="int number of microseconds, got float"):
        us_to_timedelta(1.5)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        us_to_timedelta(True)


def test_us_to_datetime_is_utc_aware() -> None:
    assert us_to_datetime(0) == datetime(1970, 1, 1, tzinfo=timezone.utc)
    dt = us_to_datetime(1_700_000_000_123_456)
    assert dt.tzinfo is timezone.utc
    assert dt == datetime(2023, 11, 14, 22, 13, 20, 123456, tzinfo=timezone.utc)
    assert us_to_datetime(-1) == datetime(1969, 12, 31, 23, 59, 59, 999999, tzinfo=timezone.utc)
    assert datetime_to_us(dt) == 1_700_000_000_123_456
    plus2 = timezone(timedelta(hours=2))
    assert datetime_to_us(datetime(1970, 1, 1, 2, tzinfo=plus2)) == 0
    with pytest.raises(ValueError, match="out of range"):
        us_to_datetime(10**20)
    with pytest.raises(ValueError, match="naive"):
        datetime_to_us(datetime(2024, 1, 1))
    with pytest.raises(TypeError, match="expected a datetime"):
        datetime_to_us("2024-01-01")  # type: ignore[arg-type]


# --- RetryPolicy ----------------------------------------------------------------------------


def test_retry_policy_defaults_to_proto() -> None:
    p = RetryPolicy().to_proto()
    assert p.initial_interval_us == 1_000_000
    assert p.backoff_coefficient == 2.0
    assert p.maximum_interval_us == 0
    assert p.maximum_attempts == 0
    assert list(p.non_retryable_error_types) == []


def test_retry_policy_roundtrip() -> None:
    policy = RetryPolicy(
        initial_interval=timedelta(milliseconds=250),
        backoff_coefficient=1.5,
        maximum_interval=timedelta(seconds=30),
        maximum_attempts=7,
        non_retryable_error_types=("CardError", "ValueError"),
    )
    assert policy.non_retryable_error_types == ["CardError", "ValueError"]
    proto = policy.to_proto()
    assert proto.initial_interval_us == 250_000 and proto.maximum_interval_us == 30_000_000
    back = RetryPolicy.from_proto(common_pb2.RetryPolicy.FromString(proto.SerializeToString()))
    assert back == policy


def test_retry_policy_from_empty_proto_takes_defaults() -> None:
    assert RetryPolicy.from_proto(common_pb2.RetryPolicy()) == RetryPolicy()


def test_retry_policy_from_bad_proto_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="must not be negative"):
        RetryPolicy.from_proto(common_pb2.RetryPolicy(initial_interval_us=-5))
    with pytest.raises(ValueError, match="backoff_coefficient"):
        RetryPolicy.from_proto(common_pb2.RetryPolicy(backoff_coefficient=0.5))


@pytest.mark.parametrize(
    ("kwargs", "error", "pattern"),
    [
        ({"initial_interval": timedelta(seconds=-1)}, ValueError, "initial_interval must be at"),
        ({"initial_interval": timedelta(0)}, ValueError, "initial_interval must be at least"),
        ({"initial_interval": 1}, TypeError, "initial_interval must be a timedelta"),
        ({"backoff_coefficient": 0.99}, ValueError, "backoff_coefficient must be a finite"),
        ({"backoff_coefficient": float("nan")}, ValueError, "backoff_coefficient"),
        ({"backoff_coefficient": "2"}, TypeError, "backoff_coefficient must be a number"),
        ({"maximum_interval": timedelta(seconds=-1)}, ValueError, "maximum_interval must not"),
        (
            {"initial_interval": timedelta(seconds=10), "maximum_interval": timedelta(seconds=5)},
            ValueError,
            r"maximum_interval \(0:00:05\) must not be less than initial_interval \(0:00:10\)",
        ),
        ({"maximum_interval": 30}, TypeError, "maximum_interval must be a timedelta"),
        ({"maximum_attempts": -1}, ValueError, "maximum_attempts must not be negative"),
        ({"maximum_attempts": 2**31}, ValueError, "maximum_attempts must be at most"),
        ({"maximum_attempts": 2.0}, TypeError, "maximum_attempts must be an int"),
        ({"maximum_attempts": True}, TypeError, "maximum_attempts must be an int"),
        ({"non_retryable_error_types": "ValueError"}, TypeError, r"did you mean \['ValueError'\]"),
        ({"non_retryable_error_types": ["A", 3]}, TypeError, "non-empty strings, got 3"),
        ({"non_retryable_error_types": [""]}, TypeError, "non-empty strings"),
    ],
)
def test_retry_policy_validation(kwargs: dict[str, Any], error: type, pattern: str) -> None:
    with pytest.raises(error, match=pattern):
        RetryPolicy(**kwargs)


def test_retry_policy_accepts_edge_values() -> None:
    p = RetryPolicy(initial_interval=timedelta(microseconds=1), backoff_coefficient=1,
                    maximum_interval=timedelta(microseconds=1), maximum_attempts=1)
    assert p.to_proto().maximum_interval_us == 1


# --- Id policies ----------------------------------------------------------------------------


def test_reuse_policy_values_match_proto() -> None:
    for member in WorkflowIdReusePolicy:
        assert (
            common_pb2.WorkflowIdReusePolicy.Value(f"WORKFLOW_ID_REUSE_POLICY_{member.name}")
            == member.value
        )
    assert len(WorkflowIdReusePolicy) == 4
    assert WorkflowIDReusePolicy is WorkflowIdReusePolicy


def test_conflict_policy_values_match_proto() -> None:
    for member in WorkflowIdConflictPolicy:
        assert (
            common_pb2.WorkflowIdConflictPolicy.Value(f"WORKFLOW_ID_CONFLICT_POLICY_{member.name}")
            == member.value
        )
    assert WorkflowIdConflictPolicy.FAIL == 1
    assert WorkflowIDConflictPolicy is WorkflowIdConflictPolicy
