"""The pages in a real headless Chromium against a real hub process: sign in, list, open an
incident, ack it, see the timeline change. Screenshots of each page go to tests/artifacts/."""

from __future__ import annotations

import asyncio
import json
import tempfile
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from selenium import webdriver
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support import expected_conditions as ec
from selenium.webdriver.support.ui import WebDriverWait

from tests.conftest import API_TOKEN, INTAKE_TOKEN, fixture_bytes, fixture_names
from tests.support.hub_process import running_hub, write_hub_config

ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts" / "pages"
CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
PHONE = (390, 844)
FLAGS = (
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
)  # fmt: skip
HOSTILE = '<script>document.title="owned"</script>'


def hostile_payload() -> dict[str, Any]:
    """A real webhook whose label and summary carry markup: it must show as text.

    It starts just before the real clock (the hub process reads it), so it stays in the
    pages' default windows however old the captured fixtures get.
    """
    started = datetime.now(UTC) - timedelta(minutes=10)
    labels = {"alertname": "QueueBacklog", "namespace": "prod", "service": "ingest",
              "severity": "warning", "queue": HOSTILE}  # fmt: skip
    return {
        "version": "4", "receiver": "oncall", "status": "firing", "groupKey": "{}:{q}",
        "groupLabels": {"alertname": "QueueBacklog"}, "commonLabels": labels,
        "commonAnnotations": {}, "externalURL": "http://am", "truncatedAlerts": 0,
        "alerts": [{"status": "firing", "labels": labels,
                    "annotations": {"summary": f"backlog {HOSTILE}"},
                    "startsAt": started.isoformat(), "endsAt": "0001-01-01T00:00:00Z",
                    "generatorURL": "http://prometheus/graph", "fingerprint": "b4c1a9e0d2f3a4b5"}],
    }  # fmt: skip


@pytest.fixture
def browser() -> Iterator[WebDriver]:
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in FLAGS:
        options.add_argument(flag)
    with tempfile.TemporaryDirectory(prefix="alerthub-chromium-") as profile:
        options.add_argument(f"--user-data-dir={profile}")
        options.add_argument(f"--window-size={PHONE[0]},{PHONE[1]}")
        driver = webdriver.Chrome(options=options, service=webdriver.ChromeService(CHROMEDRIVER))
        try:
            yield driver
        finally:
            driver.quit()


def shoot(driver: WebDriver, name: str) -> Path:
    """A full-height screenshot at phone width."""
    height = driver.execute_script("return document.documentElement.scrollHeight")
    driver.set_window_size(PHONE[0], max(PHONE[1], min(int(height) + 140, 6000)))
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    assert driver.save_screenshot(str(path)), name
    driver.set_window_size(*PHONE)
    print(f"screenshot: {path}")
    return path


def wait(driver: WebDriver) -> WebDriverWait[WebDriver]:
    return WebDriverWait(driver, 20)


def walk_the_pages(driver: WebDriver, base: str, incident_id: int) -> dict[str, Any]:
    """Everything a person does, in order; returns what the assertions need."""
    seen: dict[str, Any] = {}
    driver.get(f"{base}/incidents/{incident_id}")  # a message's "Details" link, signed out
    wait(driver).until(ec.presence_of_element_located((By.ID, "sign-in")))
    seen["login_url"] = driver.current_url
    shoot(driver, "1-login")
    driver.find_element(By.ID, "name").send_keys("ayse")
    driver.find_element(By.ID, "token").send_keys(API_TOKEN)
    driver.find_element(By.ID, "sign-in").click()
    wait(driver).until(ec.presence_of_element_located((By.ID, "timeline")))
    seen["landed"] = driver.current_url
    seen["labels"] = driver.find_element(By.ID, "labels").text
    seen["title"] = driver.title
    seen["before"] = driver.find_element(By.ID, "timeline").text
    shoot(driver, "2-incident")
    driver.get(f"{base}/incidents")
    wait(driver).until(ec.presence_of_element_located((By.CSS_SELECTOR, "ul.incidents")))
    seen["list"] = [e.text for e in driver.find_elements(By.CSS_SELECTOR, "li.incident")]
    shoot(driver, "3-list")
    driver.find_element(By.CSS_SELECTOR, f'a[href="/incidents/{incident_id}"]').click()
    wait(driver).until(ec.element_to_be_clickable((By.ID, "ack"))).click()
    wait(driver).until(ec.presence_of_element_located((By.ID, "acked")))
    seen["acked"] = driver.find_element(By.ID, "acked").text
    seen["after"] = driver.find_element(By.ID, "timeline").text
    seen["ack_buttons"] = len(driver.find_elements(By.ID, "ack"))
    shoot(driver, "4-incident-acked")
    driver.find_element(By.ID, "postmortem").click()
    wait(driver).until(ec.presence_of_element_located((By.ID, "markdown")))
    seen["markdown"] = driver.find_element(By.ID, "markdown").text
    shoot(driver, "5-postmortem")
    driver.get(f"{base}/stats?since=30d")
    wait(driver).until(ec.presence_of_element_located((By.CSS_SELECTOR, "svg.chart")))
    seen["charts"] = len(driver.find_elements(By.CSS_SELECTOR, "svg.chart"))
    shoot(driver, "6-stats")
    seen["page_width"] = driver.execute_script("return document.documentElement.scrollWidth")
    return seen


async def post_webhook(session: aiohttp.ClientSession, url: str, body: bytes) -> None:
    headers = {"Authorization": f"Bearer {INTAKE_TOKEN}", "Content-Type": "application/json"}
    async with session.post(f"{url}/api/v1/alerts/alertmanager", data=body, headers=headers) as r:
        assert r.status == 200, await r.text()


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
async def test_sign_in_list_open_ack_in_chromium(
    browser: WebDriver, db_url: str, tmp_path: Path
) -> None:
    config = write_hub_config(
        tmp_path / "hub.yaml",
        {"external_url": "http://127.0.0.1", "database": {"url": db_url},
         "intake": {"token": INTAKE_TOKEN}, "api": {"token": API_TOKEN}},
    )  # fmt: skip
    async with running_hub(config, tmp_path / "hub.log") as hub, aiohttp.ClientSession() as s:
        for name in fixture_names():
            await post_webhook(s, hub.url, fixture_bytes(name))
        await post_webhook(s, hub.url, json.dumps(hostile_payload()).encode())
        (hostile,) = await hub.incidents(API_TOKEN, alertname="QueueBacklog")
        seen = await asyncio.to_thread(walk_the_pages, browser, hub.url, hostile["id"])
    assert seen["login_url"] == f"{hub.url}/login?next=/incidents/{hostile['id']}"
    assert seen["landed"] == f"{hub.url}/incidents/{hostile['id']}"
    assert HOSTILE in seen["labels"]  # shown as text ...
    assert seen["title"] != "owned"  # ... and never run
    assert "Acknowledged by" not in seen["before"]
    assert any("QueueBacklog" in text for text in seen["list"])
    assert any("DataDrift" in text for text in seen["list"])
    assert seen["acked"].startswith("by ayse at ")
    assert "Acknowledged by ayse" in seen["after"]
    assert seen["ack_buttons"] == 0
    assert seen["markdown"].startswith("# Post-mortem: QueueBacklog")
    assert seen["charts"] >= 2
    assert seen["page_width"] <= PHONE[0]  # nothing wider than the phone
