"""Request-scoped dependencies. The session commits at the request boundary, on success only."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends
from sqlalchemy.ext.asyncio import AsyncSession

from api.db import sessionmaker


async def _session() -> AsyncIterator[AsyncSession]:
    async with sessionmaker()() as session:
        try:
            yield session
            await session.commit()
        except BaseException:
            await session.rollback()
            raise


# "function" scope: the commit happens before the response is sent, so a failed commit is
# rendered as an error instead of a 200 for data that was never stored.
SessionDep = Annotated[AsyncSession, Depends(_session, scope="function")]
