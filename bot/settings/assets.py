"""Typed settings of the asset inventory: `GUICHET_ASSETS__*` (nested in bot.settings.Settings).

`backend` names one entry of `connectors.assets.registry.INVENTORIES`. The inventories that are
also ITSM tools (Request Tracker, GLPI, ServiceNow) are reached with that tool's connection
settings (`GUICHET_ITSM__REQUEST_TRACKER__BASE_URL`...); here is only what is about assets.
"""

from __future__ import annotations

from pydantic import BaseModel, Field


class BuiltinAssetSettings(BaseModel):
    """The demo inventory of `make run`: devices for the demo directory's people."""

    domain: str = "norvane.example"


class RequestTrackerAssetSettings(BaseModel):
    """Request Tracker 5 assets (REST2 `/assets`): held by the person (`HeldBy` or `Owner`
    role), described by custom fields whose names are set here."""

    catalogs: list[str] = Field(
        default_factory=list, description="only these catalogs (names); empty: every catalog"
    )
    type_field: str = Field("Type", description="'Laptop Computer', 'Monitor', 'Software'...")
    model_field: str = "Model"
    serial_field: str = "Serial Number"
    purchased_field: str = "Purchase Date"
    assigned_field: str = "Issue Date"


class GlpiAssetSettings(BaseModel):
    """GLPI's assets of the person (`users_id`): these itemtypes."""

    itemtypes: list[str] = Field(
        default_factory=lambda: ["Computer", "Monitor", "Phone", "Printer", "SoftwareLicense"]
    )


class ServiceNowAssetSettings(BaseModel):
    """ServiceNow: hardware assets (`alm_hardware`, linked to their CI for `cmdb_ci`) and
    licence entitlements (`alm_entitlement_user`) assigned to the person."""

    hardware_table: str = "alm_hardware"
    entitlement_table: str = "alm_entitlement_user"


class AssetSettings(BaseModel):
    backend: str = "builtin"
    # Past this age (from purchase, else from issue) a laptop or desktop is due for
    # replacement: "my laptop is slow" then also offers the catalog's replacement.
    replacement_age_years: float = Field(4.0, gt=0, le=20)
    replacement_item: str = Field(
        "laptop-standard", description="the catalog item offered as a laptop's replacement"
    )
    builtin: BuiltinAssetSettings = BuiltinAssetSettings()
    request_tracker: RequestTrackerAssetSettings = RequestTrackerAssetSettings()
    glpi: GlpiAssetSettings = GlpiAssetSettings()
    servicenow: ServiceNowAssetSettings = ServiceNowAssetSettings()
