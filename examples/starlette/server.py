#!/usr/bin/env python3
# Seed 001's application: a starlette app served by uvicorn, answering GET / with a JSON greeting.
import logging
import os

import uvicorn
from starlette.applications import Starlette
from starlette.responses import JSONResponse
from starlette.routing import Route


async def homepage(request):
    logging.info("Got a request")
    return JSONResponse({"message": "Hello, World!"})


app = Starlette(debug=True, routes=[Route("/", homepage, methods=["GET"])])

if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO)
    # PORT: for a second copy beside one on 8000 (the tests run side by side).
    uvicorn.run(app, host="0.0.0.0", port=int(os.environ.get("PORT", "8000")))
