"""`incidentkb notify --since REV`: post each public update added since a git revision to the webhooks of
`incidentkb.yml` (notify.targets), in Slack's, Microsoft Teams' or our own generic JSON format.

The steps follow the data: `changes` reads both sides from git as `incidentkb diff` does and projects them through
the public model (never an internal field), `messages` renders one payload per update and format, `delivery`
posts them with retries and reports per target, and `command` runs the three for the CLI. See
docs/notifications.md.
"""
