import asyncio, pytest
from tests.wallboard.test_consumer import *  # noqa
from tests.wallboard.test_consumer import open_wallboard, WAIT
from hotline.calls import live

def test_dbg(users):
    async def scenario():
        socket, _, _ = await open_wallboard(users["supervisor"])
        await socket.receive_json_from(timeout=WAIT)
        await live.forward("service.message", {"id": 1, "sender": "t_agent", "to_supervisors": True})
        return await socket.receive_output(2)
    print(asyncio.run(scenario()))
