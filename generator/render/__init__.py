"""Render: records and analyses to `{path: content}` (Markdown, SVG, Atom, JSON) through Jinja2 templates."""
