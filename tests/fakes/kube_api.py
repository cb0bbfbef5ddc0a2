"""FakeKube: a Kubernetes API server on loopback HTTPS, enough for the hub and for kubectl.

Discovery, GET/LIST/WATCH, strategic-merge and merge PATCH, the scale subresource,
pod delete with preconditions, Job create, and rollouts that progress over about a
second (or stay stuck on demand). Every request is recorded with its exact body.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import ssl
import uuid
import weakref
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any, Self

import trustme
import yaml
from aiohttp import web

from tests.fakes import kube_objects as ko

DEFAULT_TOKEN = "fake-kube-token-5e1d"
_PATCH_TYPES = ("application/strategic-merge-patch+json", "application/merge-patch+json")
Key = tuple[str, str, str]  # (resource plural, namespace, name)


@dataclass(frozen=True)
class KubeRequest:
    """One request as the fake received it."""

    method: str
    path: str
    query: dict[str, str]
    content_type: str
    body: bytes
    user_agent: str

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class _Watcher:
    plural: str
    namespace: str
    name: str | None
    queue: asyncio.Queue[tuple[str, ko.Obj]] = field(default_factory=asyncio.Queue)


class FakeKube:
    """``async with FakeKube(ca) as kube``: ``kube.url``, ``kube.write_kubeconfig(path)``.

    Knobs: ``stuck`` (rollouts stop after the first new pod), ``rollout_seconds``,
    ``fail_with`` (status codes answered, in order, to mutating calls), ``hold_reads``
    (object GETs wait until ``release()``; ``held`` counts them).
    """

    def __init__(self, ca: trustme.CA, *, token: str = DEFAULT_TOKEN) -> None:
        self.ca = ca
        self.token = token
        self.objects: dict[Key, ko.Obj] = {}
        self.requests: list[KubeRequest] = []
        self.stuck = False
        self.rollout_seconds = 1.0
        self.fail_with: list[int] = []
        self.hold_reads = False
        self.held = 0
        self._release = asyncio.Event()
        self._watchers: list[_Watcher] = []
        self._tasks: set[asyncio.Task[None]] = set()
        self._runner: web.AppRunner | None = None
        self._transports: weakref.WeakSet[asyncio.Transport] = weakref.WeakSet()
        self.port = 0

    @property
    def url(self) -> str:
        return f"https://127.0.0.1:{self.port}"

    # -- setup -------------------------------------------------------------------------

    def add(self, obj: ko.Obj) -> ko.Obj:
        plural = next(r.plural for r in ko.RESOURCES if r.kind == obj["kind"])
        self.objects[(plural, obj["metadata"]["namespace"], obj["metadata"]["name"])] = obj
        return obj

    def get(self, plural: str, namespace: str, name: str) -> ko.Obj | None:
        return self.objects.get((plural, namespace, name))

    def calls(self, method: str | None = None, *, mutating: bool = False) -> list[KubeRequest]:
        """Recorded requests (``mutating``: everything but GET)."""
        return [
            r
            for r in self.requests
            if (method is None or r.method == method) and not (mutating and r.method == "GET")
        ]

    def release(self) -> None:
        self.hold_reads = False
        self._release.set()

    def write_kubeconfig(self, path: Path, *, context: str = "fake") -> Path:
        """A kubeconfig with this server, its CA and the bearer token."""
        ca_data = base64.b64encode(self.ca.cert_pem.bytes()).decode()
        config = {
            "apiVersion": "v1",
            "kind": "Config",
            "clusters": [
                {
                    "name": "fake",
                    "cluster": {"server": self.url, "certificate-authority-data": ca_data},
                }
            ],
            "users": [{"name": "hub", "user": {"token": self.token}}],
            "contexts": [
                {
                    "name": context,
                    "context": {"cluster": "fake", "user": "hub", "namespace": "prod"},
                }
            ],
            "current-context": context,
        }
        path.write_text(yaml.safe_dump(config), encoding="utf-8")
        return path

    async def start(self) -> None:
        app = web.Application(middlewares=[self._record_and_auth])
        app.router.add_route("*", "/{tail:.*}", self._dispatch)
        self._runner = web.AppRunner(app, handle_signals=False, access_log=None)
        await self._runner.setup()
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        self.ca.issue_cert("127.0.0.1", "localhost").configure_cert(context)
        site = web.TCPSite(self._runner, "127.0.0.1", self.port, ssl_context=context)
        await site.start()
        self.port = int(self._runner.addresses[0][1])

    async def close(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        for w in self._watchers:
            w.queue.put_nowait(("CLOSE", {}))
        # Abort TLS connections instead of a polite shutdown that would outlive the loop.
        for transport in list(self._transports):
            transport.abort()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        for _ in range(3):
            await asyncio.sleep(0)  # let the aborted sockets' connection_lost callbacks run

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    # -- HTTP --------------------------------------------------------------------------

    @web.middleware
    async def _record_and_auth(self, request: web.Request, handler: Any) -> web.StreamResponse:
        if request.transport is not None:
            self._transports.add(request.transport)
        body = await request.read()
        self.requests.append(
            KubeRequest(
                request.method,
                request.path,
                dict(request.query),
                request.headers.get("Content-Type", ""),
                body,
                request.headers.get("User-Agent", ""),
            )
        )
        if request.headers.get("Authorization") != f"Bearer {self.token}":
            return _error(401, "Unauthorized", "Unauthorized")
        response: web.StreamResponse = await handler(request)
        return response

    async def _dispatch(self, request: web.Request) -> web.StreamResponse:
        parts = [p for p in request.path.split("/") if p]
        if parts == ["version"]:
            return web.json_response({"major": "1", "minor": "29", "gitVersion": "v1.29.0"})
        if parts == ["api"]:
            return web.json_response(ko.api_versions(f"127.0.0.1:{self.port}"))
        if parts == ["apis"]:
            return web.json_response(ko.api_group_list())
        if parts and parts[0] == "api":
            group, version, rest = "", parts[1] if len(parts) > 1 else "", parts[2:]
        elif parts and parts[0] == "apis" and len(parts) >= 3:
            group, version, rest = parts[1], parts[2], parts[3:]
        else:
            return _error(404, "NotFound", "the server could not find the requested resource")
        if not rest:
            listing = ko.api_resource_list(group, version)
            if listing is None:
                return _error(404, "NotFound", "the server could not find the requested resource")
            return web.json_response(listing)
        return await self._resource(request, group, version, rest)

    async def _resource(
        self, request: web.Request, group: str, version: str, rest: list[str]
    ) -> web.StreamResponse:
        namespace = ""
        if rest[0] == "namespaces" and len(rest) >= 3:
            namespace, rest = rest[1], rest[2:]
        resource = ko.find_resource(group, version, rest[0])
        if resource is None:
            return _error(404, "NotFound", "the server could not find the requested resource")
        name = rest[1] if len(rest) > 1 else None
        sub = rest[2] if len(rest) > 2 else None
        method = request.method
        if name is None and method == "GET":
            if request.query.get("watch") in ("1", "true"):
                return await self._watch(request, resource, namespace)
            return self._list(resource, namespace, request.query.get("fieldSelector", ""))
        if name is None and method == "POST":
            return await self._create(request, resource, namespace)
        if name is None:
            return _error(405, "MethodNotAllowed", f"{method} is not allowed here")
        if method == "GET":
            return await self._read(resource, namespace, name, sub)
        if method == "PATCH":
            return await self._patch(request, resource, namespace, name, sub)
        if method == "DELETE":
            return await self._delete(request, resource, namespace, name)
        return _error(405, "MethodNotAllowed", f"{method} is not allowed here")

    def _injected_failure(self) -> web.Response | None:
        if not self.fail_with:
            return None
        code = self.fail_with.pop(0)
        reason = {403: "Forbidden", 409: "Conflict", 429: "TooManyRequests"}.get(
            code, "InternalError"
        )
        return _error(code, reason, f"injected {code}")

    def _missing(self, resource: ko.Resource, name: str) -> web.Response:
        what = f"{resource.plural}.{resource.group}" if resource.group else resource.plural
        return _error(
            404, "NotFound", f'{what} "{name}" not found', name=name, kind=resource.plural
        )

    async def _read(
        self, resource: ko.Resource, namespace: str, name: str, sub: str | None
    ) -> web.Response:
        if self.hold_reads:
            self.held += 1
            await self._release.wait()
        obj = self.get(resource.plural, namespace, name)
        if obj is None:
            return self._missing(resource, name)
        if sub == "scale" and resource.plural in ko.SCALABLE:
            return web.json_response(ko.scale_of(obj))
        return web.json_response(_as_version(obj, resource))

    def _list(self, resource: ko.Resource, namespace: str, selector: str) -> web.Response:
        wanted = selector.removeprefix("metadata.name=") if selector else None
        items = [
            _as_version(obj, resource)
            for (plural, ns, name), obj in self.objects.items()
            if plural == resource.plural
            and (not namespace or ns == namespace)
            and (wanted is None or name == wanted)
        ]
        return web.json_response(
            {
                "kind": f"{resource.kind}List",
                "apiVersion": resource.group_version,
                "metadata": {"resourceVersion": "1"},
                "items": items,
            }
        )

    async def _watch(
        self, request: web.Request, resource: ko.Resource, namespace: str
    ) -> web.StreamResponse:
        selector = request.query.get("fieldSelector", "")
        watcher = _Watcher(
            resource.plural, namespace, selector.removeprefix("metadata.name=") or None
        )
        self._watchers.append(watcher)
        response = web.StreamResponse(headers={"Content-Type": "application/json"})
        await response.prepare(request)
        timeout = float(request.query.get("timeoutSeconds", "60"))
        try:
            async with asyncio.timeout(timeout):
                while True:
                    kind, obj = await watcher.queue.get()
                    if kind == "CLOSE":
                        break
                    line = {"type": kind, "object": _as_version(obj, resource)}
                    await response.write(json.dumps(line).encode() + b"\n")
        except (TimeoutError, ConnectionResetError):
            pass
        finally:
            self._watchers.remove(watcher)
        with contextlib.suppress(ConnectionResetError):
            await response.write_eof()
        return response

    def _notify(self, plural: str, kind: str, obj: ko.Obj) -> None:
        meta = obj["metadata"]
        for w in self._watchers:
            same_ns = w.namespace in ("", meta["namespace"])
            if w.plural == plural and same_ns and w.name in (None, meta["name"]):
                w.queue.put_nowait((kind, json.loads(json.dumps(obj))))

    async def _patch(
        self,
        request: web.Request,
        resource: ko.Resource,
        namespace: str,
        name: str,
        sub: str | None,
    ) -> web.Response:
        if (failure := self._injected_failure()) is not None:
            return failure
        obj = self.get(resource.plural, namespace, name)
        if obj is None:
            return self._missing(resource, name)
        ctype = request.headers.get("Content-Type", "").split(";")[0].strip()
        if ctype not in _PATCH_TYPES:
            return _error(
                415,
                "UnsupportedMediaType",
                "the body of the request was in an unknown format - accepted media types"
                f" include: {', '.join(_PATCH_TYPES)}",
            )
        try:
            patch = json.loads(await request.read())
        except ValueError as exc:
            return _error(400, "BadRequest", f"error decoding patch: {exc}")
        if sub == "scale":
            return self._patch_scale(resource, obj, patch)
        before = json.dumps(obj.get("spec"), sort_keys=True)
        patched = ko.merge_patch(obj, patch)
        obj.clear()
        obj.update(patched)
        changed = json.dumps(obj.get("spec"), sort_keys=True) != before
        ko.bump(obj, changed)
        self._notify(resource.plural, "MODIFIED", obj)
        if changed and resource.plural in ko.WORKLOADS:
            self._start_rollout(resource.plural, obj)
        return web.json_response(_as_version(obj, resource))

    def _patch_scale(self, resource: ko.Resource, obj: ko.Obj, patch: Any) -> web.Response:
        scale = ko.merge_patch(ko.scale_of(obj), patch)
        replicas = scale.get("spec", {}).get("replicas")
        if not isinstance(replicas, int) or replicas < 0:
            return _error(422, "Invalid", "spec.replicas: must be a non-negative integer")
        changed = replicas != obj["spec"].get("replicas")
        obj["spec"]["replicas"] = replicas
        ko.bump(obj, changed)
        self._notify(resource.plural, "MODIFIED", obj)
        if changed:
            self._start_rollout(resource.plural, obj)
        return web.json_response(ko.scale_of(obj))

    async def _delete(
        self, request: web.Request, resource: ko.Resource, namespace: str, name: str
    ) -> web.Response:
        if (failure := self._injected_failure()) is not None:
            return failure
        obj = self.get(resource.plural, namespace, name)
        if obj is None:
            return self._missing(resource, name)
        body = await request.read()
        options = json.loads(body) if body else {}
        uid = (options.get("preconditions") or {}).get("uid")
        if uid is not None and uid != obj["metadata"]["uid"]:
            message = (
                f"Precondition failed: UID in precondition: {uid}, UID in object meta: "
                f"{obj['metadata']['uid']}"
            )
            return _error(409, "Conflict", message, name=name, kind=resource.plural)
        del self.objects[(resource.plural, namespace, name)]
        self._notify(resource.plural, "DELETED", obj)
        return web.json_response(_as_version(obj, resource))

    async def _create(
        self, request: web.Request, resource: ko.Resource, namespace: str
    ) -> web.Response:
        if (failure := self._injected_failure()) is not None:
            return failure
        try:
            obj = json.loads(await request.read())
        except ValueError as exc:
            return _error(400, "BadRequest", f"error decoding body: {exc}")
        name = obj.get("metadata", {}).get("name")
        if not name:
            return _error(422, "Invalid", "metadata.name: Required value")
        if self.get(resource.plural, namespace, name) is not None:
            what = f"{resource.plural}.{resource.group}" if resource.group else resource.plural
            return _error(409, "AlreadyExists", f'{what} "{name}" already exists', name=name)
        if request.query.get("dryRun") == "All":
            return web.json_response(obj, status=201)
        meta = obj["metadata"]
        meta.update(
            namespace=namespace,
            uid=str(uuid.uuid4()),
            resourceVersion="1",
            generation=1,
            creationTimestamp=ko.timestamp(),
        )
        self.objects[(resource.plural, namespace, name)] = obj
        if resource.plural == "jobs":
            ko.job_status(obj, done=False)
            self._spawn(self._finish_job(obj))
        self._notify(resource.plural, "ADDED", obj)
        return web.json_response(obj, status=201)

    # -- rollouts ----------------------------------------------------------------------

    def _spawn(self, coro: Any) -> None:
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def _start_rollout(self, plural: str, obj: ko.Obj) -> None:
        self._spawn(self._roll(plural, obj, obj["metadata"]["generation"]))

    async def _roll(self, plural: str, obj: ko.Obj, generation: int) -> None:
        """Spec seen, then one new pod at a time, then settled; stuck stops after one."""
        n = ko.wanted_replicas(obj)
        step = self.rollout_seconds / (n + 2)
        await asyncio.sleep(step)
        for updated in range(1, n + 1):
            if obj["metadata"]["generation"] != generation:
                return  # a newer change took over
            ko.rollout_step(obj, updated)
            ko.bump(obj, spec_changed=False)
            self._notify(plural, "MODIFIED", obj)
            if self.stuck:
                return
            await asyncio.sleep(step)
        if obj["metadata"]["generation"] == generation:
            ko.settle(obj)
            ko.bump(obj, spec_changed=False)
            self._notify(plural, "MODIFIED", obj)

    async def _finish_job(self, obj: ko.Obj) -> None:
        await asyncio.sleep(self.rollout_seconds)
        if not self.stuck:
            ko.job_status(obj, done=True)
            ko.bump(obj, spec_changed=False)
            self._notify("jobs", "MODIFIED", obj)


def _as_version(obj: ko.Obj, resource: ko.Resource) -> ko.Obj:
    """The object as served at the resource's group/version (CronJobs also at v1beta1)."""
    if obj.get("apiVersion") == resource.group_version:
        return obj
    return {**obj, "apiVersion": resource.group_version}


def _error(code: int, reason: str, message: str, **details: Any) -> web.Response:
    return web.json_response(ko.status_error(code, reason, message, **details), status=code)
