"""A firing message carries one line from the alert's history (delivered through the pipeline)."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncEngine

from tests.conftest import ManualClock
from tests.delivery.conftest import RigFactory, eventually
from tests.history import NOW, seed
from tests.history.test_memory import EXPECTED, HISTORY
from tests.support.smtp import html_part


async def test_the_firing_message_carries_the_history(
    make_rig: RigFactory, engine: AsyncEngine
) -> None:
    await seed(engine, HISTORY)
    async with make_rig(clock=ManualClock(NOW)) as rig:
        await rig.post("01-critical-firing.json")
        sent = await eventually(lambda: rig.tg.calls_to("sendMessage"))
        mail = await eventually(lambda: rig.smtp.messages)
    text = str(sent[0].params["text"])
    assert EXPECTED in text.splitlines()
    assert f"<br>{EXPECTED}</p>" in html_part(mail[0])
