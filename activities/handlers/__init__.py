"""One module per activity type, each `async def handle(inp: RunActivityInput, deps: ActivityDeps) -> dict`."""
