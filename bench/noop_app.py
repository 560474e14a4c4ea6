"""The baseline server: a FastAPI app that does nothing, run the way `flint serve` runs Flint.

    python bench/noop_app.py --port 8100 [--log-level warning]

``GET /noop`` answers a small JSON object; ``POST /noop`` has FastAPI parse a JSON body first, as any
Flint write does. Both are plain ``def`` routes (FastAPI runs them in its thread pool). Whatever Flint
does beyond this is the cost of Flint.
"""

from __future__ import annotations

import argparse
from typing import Any

import uvicorn
from fastapi import Body, FastAPI

app = FastAPI()


@app.get("/noop")
def read() -> dict[str, Any]:
    return {"ok": True}


@app.post("/noop")
def write(body: dict[str, Any] = Body()) -> dict[str, Any]:
    return {"ok": True, "keys": len(body)}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--log-level", default="info")
    args = parser.parse_args()
    # the call `flint serve` makes: one process, uvicorn's defaults
    uvicorn.run(app, host=args.host, port=args.port, log_level=args.log_level)


if __name__ == "__main__":
    main()
