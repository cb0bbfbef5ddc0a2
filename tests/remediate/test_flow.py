"""Remediation through the hub: policy → action → approval → call → rollout → verify, on
each store, with the fake Kubernetes API and a fake Telegram showing the message line."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from hub.remediate.kube import RESTARTED_AT
from tests.conftest import api_headers
from tests.fakes.kube_api import FakeKube
from tests.remediate.rig import LABELS, Rig, RigFactory, policy, rig_factory
from tests.support.waiting import eventually


@pytest.fixture
def make_rig(db_url: str, kube: FakeKube, kubeconfig: Path) -> RigFactory:
    return rig_factory(db_url, kube, kubeconfig)


@pytest.fixture
async def rig(make_rig: RigFactory) -> AsyncIterator[Rig]:
    async with make_rig() as made:
        yield made


async def test_approved_restart_clears_the_alert(rig: Rig) -> None:
    await rig.fire()
    pending = await rig.action("pending_approval")
    assert pending["policy"] == "restart-model-api"
    assert pending["target"] == {"kind": "Deployment", "namespace": "prod", "name": "model-api"}
    assert (pending["mode"], pending["reason"], pending["approved_by"]) == (
        "approval", "approval_required", None,
    )  # fmt: skip
    await rig.message_has("Restart model-api: waiting for approval")
    assert rig.patches() == 0

    status, approved = await rig.post(f"/api/v1/actions/{pending['id']}/approve", {"by": "ayse"})
    assert (status, approved["status"], approved["approved_by"]) == (200, "running", "ayse")
    verifying = await rig.action("verifying")
    (patch,) = rig.kube.calls("PATCH")
    assert patch.path == "/apis/apps/v1/namespaces/prod/deployments/model-api"
    restarted = patch.json()["spec"]["template"]["metadata"]["annotations"][RESTARTED_AT]
    text = await rig.message_has("(approved by ayse) — rollout complete")
    assert "rollout restart model-api at " in text
    assert [e["status"] for e in verifying["events"]] == [
        "pending_approval", "running", "running", "verifying",
    ]  # fmt: skip

    await rig.fire(resolved=True)
    done = await rig.action("succeeded")
    assert (done["reason"], done["finished_at"] is not None) == ("cleared", True)
    text = await rig.message_has("cleared in")
    assert text.startswith("<b>✅ RESOLVED")
    assert rig.patches() == 1
    obj = rig.kube.get("deployments", "prod", "model-api")
    assert obj is not None
    assert obj["spec"]["template"]["metadata"]["annotations"][RESTARTED_AT] == restarted
    metrics = await (await rig.hub.get("/metrics")).text()
    for step in ("pending_approval", "running", "verifying", "succeeded"):
        line = f'alerthub_actions_total{{action="rollout_restart",status="{step}"}} 1.0'
        assert line in metrics


async def test_stuck_rollout_fails(make_rig: RigFactory) -> None:
    async with make_rig(policy(mode="auto", rollout_timeout="1500ms")) as rig:
        rig.kube.stuck = True
        await rig.fire()
        failed = await rig.action("failed")
        assert failed["reason"] == "rollout_stuck"
        assert "1 out of 3 new replicas have been updated" in failed["events"][-1]["detail"]
        await rig.message_has("(auto) — failed (rollout_stuck)")
        assert rig.patches() == 1


async def test_alert_that_stays_is_no_effect(make_rig: RigFactory) -> None:
    async with make_rig(policy(mode="auto", verify_window="1s")) as rig:
        await rig.fire()
        done = await rig.action("no_effect")
        assert done["reason"] == "still_firing"
        await rig.message_has("rollout complete, still firing")


async def test_circuit_opens_after_max_failures_and_an_operator_closes_it(
    make_rig: RigFactory,
) -> None:
    async with make_rig(policy(mode="auto", verify_window="300ms")) as rig:
        for n in (1, 2):
            await rig.fire(pod=f"model-api-{n}")
            await eventually(
                lambda: rig.actions(status="no_effect"),
                check=lambda items, n=n: len(items) == n,  # type: ignore[misc]
            )
        await rig.message_has("auto-remediation stopped for model-api (circuit open)")
        await rig.fire(pod="model-api-3")
        refused = await rig.action("refused")
        assert refused["reason"] == "circuit_open"
        assert rig.patches() == 2
        status, body = await rig.post(
            "/api/v1/remediation/circuits/reset",
            {"namespace": "prod", "name": "model-api", "by": "ayse"},
        )
        assert (status, body["state"]) == (200, "closed")
        await rig.fire(pod="model-api-4")
        await rig.action("no_effect")
        assert rig.patches() == 3


REFUSALS = [
    ("namespace", {}, {"namespace": "kube-system"}, "namespace_not_allowed"),
    ("name", {}, {"deployment": "billing"}, "name_not_allowed"),
    ("template", {}, {"deployment": ""}, "invalid_target"),
    ("kill-switch", {"enabled": False}, {}, "disabled"),
    ("budget", {"max_actions_per_hour": 0}, {}, "hourly_budget"),
]


@pytest.mark.parametrize(
    ("remediation", "labels", "reason"), [c[1:] for c in REFUSALS], ids=[c[0] for c in REFUSALS]
)
async def test_refusals_make_no_call(
    make_rig: RigFactory, remediation: dict[str, object], labels: dict[str, str], reason: str
) -> None:
    async with make_rig(policy(mode="auto"), **remediation) as rig:
        await rig.fire_with(labels)
        refused = await rig.action("refused")
        assert refused["reason"] == reason
        assert refused["events"][0]["reason"] == reason
        await rig.message_has(f"refused ({reason})")
        assert rig.kube.calls() == []


async def test_pause_cooldown_and_resume(make_rig: RigFactory) -> None:
    async with make_rig(policy(mode="auto", cooldown="1h")) as rig:
        assert (await rig.post("/api/v1/remediation/pause", {"by": "ayse"}))[0] == 200
        await rig.fire(pod="a")
        assert (await rig.action("refused"))["reason"] == "paused"
        assert (await rig.post("/api/v1/remediation/resume", {"by": "ayse"}))[0] == 200
        await rig.fire(pod="b")
        await rig.action("verifying")
        await rig.fire(pod="c")
        assert (await rig.action("refused"))["reason"] == "cooldown"
        assert rig.patches() == 1


async def test_dry_run_calls_nothing(make_rig: RigFactory) -> None:
    async with make_rig(policy(mode="auto"), dry_run=True) as rig:
        await rig.fire()
        action = await rig.action("dry_run")
        assert action["finished_at"] is not None
        await rig.message_has("Restart model-api: dry run, nothing called")
        assert rig.kube.calls() == []


async def test_suggest_only_shows(make_rig: RigFactory) -> None:
    async with make_rig(policy(mode="suggest")) as rig:
        await rig.fire()
        await rig.message_has("Suggested: restart model-api (policy restart-model-api)")
        assert await rig.actions() == []
        incidents = await (await rig.hub.get("/api/v1/incidents", headers=api_headers())).json()
        iid = incidents["items"][0]["id"]
        status, asked = await rig.post(
            f"/api/v1/incidents/{iid}/actions", {"policy": "restart-model-api", "by": "bob"}
        )
        assert (status, asked["status"], asked["requested_by"]) == (201, "pending_approval", "bob")
        assert rig.kube.calls() == []


async def test_reject(make_rig: RigFactory) -> None:
    async with make_rig(policy(approval_timeout="15m")) as rig:
        await rig.fire(pod="a")
        first = await rig.action("pending_approval")
        status, rejected = await rig.post(f"/api/v1/actions/{first['id']}/reject", {"by": "bob"})
        assert (status, rejected["status"]) == (200, "rejected")
        await rig.message_has("Restart model-api: rejected by bob", timeout=45)
        status, again = await rig.post(f"/api/v1/actions/{first['id']}/approve", {"by": "ayse"})
        assert (status, again["error"]) == (
            409,
            f"action {first['id']} is rejected, not pending_approval",
        )
        assert rig.kube.calls() == []


async def test_expiry(make_rig: RigFactory) -> None:
    async with make_rig(policy(approval_timeout="1s")) as rig:
        await rig.fire(pod="b", group="g2")
        expired = await rig.action("expired", timeout=20)
        assert expired["reason"] == "approval_timeout"
        assert [e["status"] for e in expired["events"]] == ["pending_approval", "expired"]
        assert rig.kube.calls() == []


async def test_api_guards(rig: Rig) -> None:
    await rig.fire()
    action = await rig.action("pending_approval")
    assert (await rig.hub.get("/api/v1/actions")).status == 401
    bad = await rig.hub.get("/api/v1/actions", params={"status": "done"}, headers=api_headers())
    assert bad.status == 400
    assert (await bad.json())["error"].startswith("status: must be one of pending_approval")
    assert (await rig.post("/api/v1/actions/999/approve", {"by": "x"}))[0] == 404
    status, body = await rig.post(f"/api/v1/actions/{action['id']}/approve", {"who": "x"})
    assert status == 422
    assert body["details"][0]["path"] in ("by", "who")
    status, body = await rig.post(
        f"/api/v1/incidents/{action['incident_id']}/actions", {"policy": "nope", "by": "x"}
    )
    assert (status, body["error"]) == (404, "policy: no remediation policy named 'nope'")
    status, body = await rig.post(
        "/api/v1/remediation/circuits/reset", {"namespace": "Prod", "name": "x", "by": "y"}
    )
    assert status == 422
    filtered = await rig.actions(incident_id=str(action["incident_id"]), status="pending_approval")
    assert [a["id"] for a in filtered] == [action["id"]]
    assert await rig.actions(since="2999-01-01T00:00:00Z") == []
    assert rig.kube.calls() == []


async def test_manual_request_on_auto_policy_runs_and_is_still_refused_by_rules(
    make_rig: RigFactory,
) -> None:
    async with make_rig(
        policy(mode="auto", cooldown="1h"),
        policy(name="restart-other", matchers=['alertname="Never"'], mode="auto", cooldown="1h"),
    ) as rig:
        await rig.fire()
        first = await rig.action("verifying")
        status, body = await rig.post(
            f"/api/v1/incidents/{first['incident_id']}/actions",
            {"policy": "restart-other", "by": "bob"},
        )
        assert (status, body["status"], body["reason"]) == (409, "refused", "cooldown")
        assert rig.patches() == 1


def test_labels_fixture_is_the_issue_example() -> None:
    assert LABELS["deployment"] == "model-api"
