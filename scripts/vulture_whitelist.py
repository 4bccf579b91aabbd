"""Used, but not from the code `scripts/deadcode.py` scans (each line says by what)."""

# ruff: noqa: B018
from activities.deps import configure
from api.crud.query import Filter
from api.crud.tags import tag_assignment_router, tag_resource
from api.db import UTCDateTime, set_engine
from api.metrics import _Scraped
from api.modules.catalog.pricing import PricingCall
from api.modules.dictionaries.service import resolve_entry
from api.modules.feature_toggles.service import is_enabled
from api.modules.workflows.diagram import _EdgeView
from api.modules.workflows.triggers import clear_cache
from console.forms import Field as ConsoleField
from definitions.forms import form_error

UTCDateTime.process_bind_param, UTCDateTime.process_result_value  # SQLAlchemy's TypeDecorator hooks
set_engine  # tests and benchmarks point the process at their database
Filter.has, Filter.untagged, tag_resource, tag_assignment_router  # the CRUD kit's declarations (docs/modules.md)
resolve_entry, is_enabled  # services other modules call (docs/platform-services.md)
_EdgeView.setpath  # grandalf writes an edge's route through it
clear_cache  # tests reset the trigger cache
PricingCall.set_layers, PricingCall.set_context  # what pricing hooks of other modules call (docs/catalog.md)
ConsoleField.encoded_default  # console/templates/task.html
form_error  # engine/ (not scanned while it is being reworked)
configure  # tests install their activity dependencies
_Scraped.collect  # prometheus_client calls a custom collector's collect() at each scrape
