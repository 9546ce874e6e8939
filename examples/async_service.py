"""A small web service that answers several questions at once, one agent per question, on one
asyncio event loop (no web framework: asyncio's own streams).

    python examples/async_service.py 8080
    curl -s localhost:8080/ask -d '{"questions": ["How many letters has strawberry?", "..."]}'

An `Agent` plays one episode at a time (its environment holds the episode's state), so each
question gets its own; they share the model, whose context decodes several at once. `arun` awaits
the model's async client and the tools, so the questions of a request (and concurrent requests)
are answered side by side.
"""

from __future__ import annotations

import asyncio
import json
import sys

from react_agent import Agent, tool


@tool
async def count_letters(word: str) -> int:
    """counts the letters of a word."""
    await asyncio.sleep(0)  # an async tool: awaited by arun, run by run
    return sum(character.isalpha() for character in word)


def make_agent(model) -> Agent:
    return Agent(model, tools=[count_letters], max_steps=3)


async def answer_all(questions: list[str], model) -> list[str | None]:
    results = await asyncio.gather(*(make_agent(model).arun(question) for question in questions))
    return [result.answer for result in results]


async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, model) -> None:
    """POST /ask {"questions": [...]} -> {"answers": [...]}; anything else is a 404 or a 400."""
    request_line = (await reader.readline()).decode().split()
    headers = {}
    while (line := (await reader.readline()).decode().strip()) != "":
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    body = await reader.readexactly(int(headers.get("content-length", 0)))
    status, answer = 404, {"error": "POST /ask"}
    if request_line[:2] == ["POST", "/ask"]:
        try:
            questions = json.loads(body)["questions"]
            status, answer = 200, {"answers": await answer_all([str(q) for q in questions], model)}
        except (ValueError, KeyError, TypeError):
            status, answer = 400, {"error": 'send {"questions": [...]}'}
    data = json.dumps(answer).encode()
    head = f"HTTP/1.1 {status} X\r\nContent-Type: application/json\r\nContent-Length: {len(data)}\r\n\r\n"
    writer.write(head.encode())
    writer.write(data)
    await writer.drain()
    writer.close()


async def serve(port: int, model=None) -> asyncio.Server:
    if model is None:
        from react_agent.models import LlamaCppModel

        # The embedded SmolLM2-135M-Instruct, decoding up to four questions' steps in one batch.
        model = LlamaCppModel(sequences=4)
    return await asyncio.start_server(lambda r, w: handle(r, w, model), "127.0.0.1", port)


async def main(port: int) -> None:
    server = await serve(port)
    print(f"answering on http://127.0.0.1:{port}/ask")
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]) if len(sys.argv) > 1 else 8080))
