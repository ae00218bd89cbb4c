"""The web omnibox widget: one script tag on any intranet page, a thin channel to the engine."""
