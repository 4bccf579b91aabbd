"""Request bodies of the shipments module (camelCase on the wire, snake_case accepted too)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import Field, StringConstraints

from api.crud import Payload

ShipmentStatus = Literal["ORDERED", "BOOKED", "LOADING", "DEPARTED", "TRANSSHIPMENT", "PRE_ARRIVAL", "IN_PORT",
                         "DELIVERED"]
ContainerType = Literal["20GP", "40GP", "40HC", "45HC", "20RF", "40RF", "20OT", "40OT"]
ContainerStatus = Literal["EMPTY", "STUFFED", "GATE_IN", "LOADED", "IN_TRANSIT", "DISCHARGED", "GATE_OUT",
                          "DELIVERED", "RETURNED"]
Mode = Literal["AIR", "RAIL", "SEA", "MIXED"]
Incoterm = Literal["EXW", "FCA", "CPT", "CIP", "DAP", "DPU", "DDP", "FAS", "FOB", "CFR", "CIF"]
TaskStatus = Literal["TODO", "IN_PROGRESS", "DONE"]

# ISO 6346: owner code and category (4 letters), serial number and check digit (7 digits).
ContainerNumber = Annotated[str, StringConstraints(pattern=r"^[A-Z]{4}[0-9]{7}$")]
Text255 = Annotated[str, StringConstraints(max_length=255)]
Uuid = Annotated[str, StringConstraints(pattern=r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-"
                                                r"[0-9a-fA-F]{12}$")]
Measure = Annotated[Decimal, Field(ge=0, max_digits=18, decimal_places=4)]


class ShipmentFields(Payload):
    """Every field of a shipment a caller may set; all optional. `createdById` is not among them: the
    creator is the caller."""

    client_id: Uuid | None = None
    shipper_id: Uuid | None = None
    consignee_id: Uuid | None = None
    contact_person_id: Uuid | None = None
    assigned_to_id: Uuid | None = None
    container_number: ContainerNumber | None = None
    internal_reference: Text255 | None = None
    client_reference: Text255 | None = None
    booking_number: Text255 | None = None
    bol_number: Text255 | None = None
    carrier: Text255 | None = None
    origin_port: Text255 | None = None
    origin_location: Text255 | None = None
    destination_port: Text255 | None = None
    destination_location: Text255 | None = None
    etd: datetime | None = None
    atd: datetime | None = None
    eta: datetime | None = None
    ata: datetime | None = None
    request_date: datetime | None = None
    # The reference's bounds: a container's payload (kg) and a 40' high cube's volume (m³) at most.
    weight: Annotated[Decimal, Field(ge=0, le=35000, max_digits=18, decimal_places=4)] | None = None
    volume: Annotated[Decimal, Field(ge=0, le=100, max_digits=18, decimal_places=4)] | None = None
    container_type: ContainerType | None = None
    total_pieces: Annotated[int, Field(ge=0, le=2_147_483_647)] | None = None
    total_actual_weight: Measure | None = None
    total_chargeable_weight: Measure | None = None
    total_volume: Measure | None = None
    actual_weight_per_kilo: Measure | None = None
    amount: Annotated[Decimal, Field(max_digits=18, decimal_places=4)] | None = None
    mode: Mode | None = None
    vessel_name: Text255 | None = None
    vessel_imo: Annotated[str, StringConstraints(max_length=20)] | None = None
    voyage_number: Annotated[str, StringConstraints(max_length=100)] | None = None
    incoterms: Incoterm | None = None


class ShipmentCreate(ShipmentFields):
    status: ShipmentStatus = "BOOKED"


class ShipmentPatch(ShipmentFields):
    """`PUT /shipments/{id}`: keys left out keep their values; a status may change but not be cleared."""

    status: ShipmentStatus | None = None


class ShipmentUpdate(ShipmentPatch):
    """`PUT /shipments`: the same, with the id in the body."""

    id: str


class ContainerUpdate(Payload):
    container_number: ContainerNumber | None = None
    container_type: ContainerType | None = None
    cargo_description: Annotated[str, StringConstraints(max_length=10_000)] | None = None
    status: ContainerStatus | None = None
    current_location: Text255 | None = None
    gate_in_date: datetime | None = None
    loaded_on_vessel_date: datetime | None = None
    discharged_date: datetime | None = None
    gate_out_date: datetime | None = None
    empty_return_date: datetime | None = None


Title = Annotated[str, StringConstraints(min_length=1, max_length=500)]
Description = Annotated[str, StringConstraints(max_length=10_000)]


class TaskCreate(Payload):
    title: Title
    description: Description | None = None
    status: TaskStatus = "TODO"
    assigned_to_id: Uuid | None = None


class TaskUpdate(Payload):
    title: Title | None = None
    description: Description | None = None
    status: TaskStatus | None = None
    assigned_to_id: Uuid | None = None
