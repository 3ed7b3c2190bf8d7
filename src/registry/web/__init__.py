"""HTMX pages: thin transport over the domain services, rendered with Jinja2 from web/."""
