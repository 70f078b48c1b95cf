"""MkDocs hooks of the public site: its generated mkdocs.yml (mkdocs.yml.j2) names this file under `hooks:`.

The site name comes from `incidentkb.yml` and is untrusted text. Material prints `config.site_name` into the
page bare in some places (the header, the drawer, `<title>`) and through `| e` in others (the logo's `title`
attribute), and MkDocs' theme environment does not autoescape. As a `Markup` holding its HTML-escaped text,
the name is escaped where it is printed bare and left alone by `| e`: shown as written everywhere, escaped once.
"""

from __future__ import annotations

from typing import Any

from markupsafe import escape


def on_config(config: Any) -> Any:
    config.site_name = escape(config.site_name)  # a Markup; escaping a Markup again changes nothing
    return config
