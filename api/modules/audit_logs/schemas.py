from __future__ import annotations

from pydantic import Field, StrictStr

from api.crud import Payload


class UndoRequest(Payload):
    undo_token: StrictStr = Field(min_length=1, max_length=200, description="Undo token issued by the action")


class RedoRequest(Payload):
    log_id: StrictStr = Field(min_length=1, max_length=200, description="Id of the undone action log entry")
