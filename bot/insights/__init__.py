"""What agents learn from the service's history: KPIs, knowledge gaps, changes and releases."""
