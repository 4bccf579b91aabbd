"""The CRUD kit: declare a `Resource`, get its routes from `crud_router`."""

from api.crud.resource import Features, Filter, Hooks, Resource
from api.crud.routes import crud_router
from api.crud.schemas import Payload

__all__ = ["Features", "Filter", "Hooks", "Payload", "Resource", "crud_router"]
