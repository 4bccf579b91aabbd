"""The CRUD kit: declare a `Resource`, get its routes from `crud_router`. See docs/modules.md."""

from api.crud.answers import shape
from api.crud.custom_fields import CustomFields, FieldDef
from api.crud.fields import Fields
from api.crud.query import Dialect, Envelope, Filter, Sort
from api.crud.resource import Body, Exclusive, Features, Hooks, Owned, Parent, Resource
from api.crud.routes import crud_router, written
from api.crud.schemas import Payload
from api.crud.service import Write

__all__ = ["Body", "CustomFields", "Dialect", "Envelope", "Exclusive", "FieldDef", "Features", "Fields", "Filter",
           "Hooks", "Owned", "Parent", "Payload", "Resource", "Sort", "Write", "crud_router", "shape", "written"]
