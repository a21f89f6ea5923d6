"""What every route and page shares: dependencies (the acting user, the page's session, CSRF), the one error
renderer (problem+json or a Thai page), the Jinja environment, file downloads, parameters and uploads.

API modules and web modules import their own concept and this package, never each other.
"""
