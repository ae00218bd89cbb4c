"""Asset inventories (`bot.kernel.assets.AssetInventory`): Request Tracker assets, GLPI, the
ServiceNow CMDB and the demo `builtin`."""
