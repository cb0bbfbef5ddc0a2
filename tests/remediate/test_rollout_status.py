"""``kubectl rollout status``'s judgement, case by case, on API JSON."""

from __future__ import annotations

from typing import Any

import pytest

from hub.remediate.model import TargetKind
from hub.remediate.rollout import RolloutState, rollout_status


def dep(gen: int = 2, observed: int = 2, wanted: int = 3, **status: Any) -> dict[str, Any]:
    return {
        "metadata": {"name": "model-api", "generation": gen},
        "spec": {"replicas": wanted},
        "status": {"observedGeneration": observed, **status},
    }


FULL = {"replicas": 3, "updatedReplicas": 3, "availableReplicas": 3}
DEADLINE = [{"type": "Progressing", "status": "False", "reason": "ProgressDeadlineExceeded"}]
D = TargetKind.DEPLOYMENT
CASES: list[tuple[str, TargetKind | str, dict[str, Any], RolloutState]] = [
    ("deploy-not-observed", D, dep(gen=3, observed=2, **FULL),
     RolloutState(False, "Waiting for deployment spec update to be observed...")),
    ("deploy-updating", D, dep(updatedReplicas=1, replicas=4, availableReplicas=3),
     RolloutState(False, 'Waiting for deployment "model-api" rollout to finish: 1 out of 3 new'
                  " replicas have been updated...")),
    ("deploy-old-pending", D, dep(updatedReplicas=3, replicas=4, availableReplicas=3),
     RolloutState(False, 'Waiting for deployment "model-api" rollout to finish: 1 old replicas'
                  " are pending termination...")),
    ("deploy-unavailable", D, dep(updatedReplicas=3, replicas=3, availableReplicas=2),
     RolloutState(False, 'Waiting for deployment "model-api" rollout to finish: 2 of 3 updated'
                  " replicas are available...")),
    ("deploy-done", D, dep(**FULL),
     RolloutState(True, 'deployment "model-api" successfully rolled out')),
    ("deploy-deadline", D, dep(conditions=DEADLINE, updatedReplicas=1),
     RolloutState(False, 'deployment "model-api" exceeded its progress deadline',
                  error='deployment "model-api" exceeded its progress deadline')),
    ("deploy-scaled-to-zero", D, dep(wanted=0),
     RolloutState(True, 'deployment "model-api" successfully rolled out')),
    ("ds-updating", TargetKind.DAEMON_SET,
     {"metadata": {"name": "agent", "generation": 2},
      "status": {"observedGeneration": 2, "desiredNumberScheduled": 3,
                 "updatedNumberScheduled": 1}},
     RolloutState(False, 'Waiting for daemon set "agent" rollout to finish: 1 out of 3 new pods'
                  " have been updated...")),
    ("ds-unavailable", TargetKind.DAEMON_SET,
     {"metadata": {"name": "agent", "generation": 2},
      "status": {"observedGeneration": 2, "desiredNumberScheduled": 3,
                 "updatedNumberScheduled": 3, "numberAvailable": 2}},
     RolloutState(False, 'Waiting for daemon set "agent" rollout to finish: 2 of 3 updated pods'
                  " are available...")),
    ("ds-done", TargetKind.DAEMON_SET,
     {"metadata": {"name": "agent", "generation": 2},
      "status": {"observedGeneration": 2, "desiredNumberScheduled": 3,
                 "updatedNumberScheduled": 3, "numberAvailable": 3}},
     RolloutState(True, 'daemon set "agent" successfully rolled out')),
    ("ds-on-delete", TargetKind.DAEMON_SET,
     {"metadata": {"name": "agent"}, "spec": {"updateStrategy": {"type": "OnDelete"}}},
     RolloutState(True, "rollout status is only available for RollingUpdate strategy type",
                  error="rollout status is only available for RollingUpdate strategy type")),
    ("sts-not-observed", TargetKind.STATEFUL_SET,
     {"metadata": {"name": "db", "generation": 1}, "spec": {"replicas": 2}, "status": {}},
     RolloutState(False, "Waiting for statefulset spec update to be observed...")),
    ("sts-not-ready", TargetKind.STATEFUL_SET,
     {"metadata": {"name": "db", "generation": 2}, "spec": {"replicas": 2},
      "status": {"observedGeneration": 2, "readyReplicas": 1}},
     RolloutState(False, "Waiting for 1 pods to be ready...")),
    ("sts-revision-rolling", TargetKind.STATEFUL_SET,
     {"metadata": {"name": "db", "generation": 2}, "spec": {"replicas": 2},
      "status": {"observedGeneration": 2, "readyReplicas": 2, "updatedReplicas": 1,
                 "currentRevision": "db-1", "updateRevision": "db-2"}},
     RolloutState(False, "waiting for statefulset rolling update to complete 1 pods at revision"
                  " db-2...")),
    ("sts-done", TargetKind.STATEFUL_SET,
     {"metadata": {"name": "db", "generation": 2}, "spec": {"replicas": 2},
      "status": {"observedGeneration": 2, "readyReplicas": 2, "currentReplicas": 2,
                 "currentRevision": "db-2", "updateRevision": "db-2"}},
     RolloutState(True, "statefulset rolling update complete 2 pods at revision db-2...")),
    ("sts-partitioned", TargetKind.STATEFUL_SET,
     {"metadata": {"name": "db", "generation": 2},
      "spec": {"replicas": 4, "updateStrategy": {"type": "RollingUpdate",
                                                 "rollingUpdate": {"partition": 2}}},
      "status": {"observedGeneration": 2, "readyReplicas": 4, "updatedReplicas": 1}},
     RolloutState(False, "Waiting for partitioned roll out to finish: 1 out of 2 new pods have"
                  " been updated...")),
    ("job-running", "Job", {"metadata": {"name": "r"}, "spec": {}, "status": {"active": 1}},
     RolloutState(False, 'Waiting for job "r": 0 of 1 completions...')),
    ("job-complete", "Job",
     {"metadata": {"name": "r"}, "status": {"conditions": [{"type": "Complete",
                                                           "status": "True"}]}},
     RolloutState(True, 'job "r" completed')),
    ("job-failed", "Job",
     {"metadata": {"name": "r"}, "status": {"conditions": [
         {"type": "Failed", "status": "True", "reason": "BackoffLimitExceeded"}]}},
     RolloutState(False, 'job "r" failed: BackoffLimitExceeded',
                  error='job "r" failed: BackoffLimitExceeded')),
]  # fmt: skip


@pytest.mark.parametrize(
    ("kind", "obj", "state"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_rollout_status(kind: TargetKind | str, obj: dict[str, Any], state: RolloutState) -> None:
    assert rollout_status(kind, obj) == state


def test_pods_have_no_rollout() -> None:
    with pytest.raises(ValueError, match="no rollout"):
        rollout_status(TargetKind.POD, {})
