"""Attachments: files uploaded to records into storage partitions, served as files and resized images,
and the media library. See docs/attachments.md."""

from __future__ import annotations

from api.caches import CacheSegment
from api.manifest import Module, NavEntry
from api.modules.attachments import service
from api.modules.attachments.resources import MANAGE, VIEW, partitions
from api.modules.attachments.routes import router

module = Module(
    id="attachments",
    title="Attachments",
    features={
        VIEW: "View attachments",
        MANAGE: "Manage attachments",
    },
    # The module's routes come first: they serve the partitions' list themselves.
    resources=(partitions,),
    routers=(router,),
    caches=(CacheSegment("attachments.served", "Served attachments' access facts (kept a few seconds)",
                         size=lambda: len(service.served_rows), clear=service.forget_served,
                         stats=lambda: {"ttlSeconds": service.SERVED_TTL_SECONDS}),),
    navigation=(
        NavEntry("/backend/attachments", "Attachments", group_id="storage", group_name="Storage",
                 features=(VIEW,), order=10, group_order=400),
        NavEntry("/backend/config/attachments", "Attachment partitions", group_id="settings",
                 group_name="Settings", features=(MANAGE,), order=40, group_order=900),
    ),
)
