"""`adrlens serve`: the HTTP API (/api/v1) and the web app over one store, opened read-only.

    from adrlens.serve.app import create_app
    from adrlens.serve.settings import ServeSettings
    app = create_app(ServeSettings(store=Path("stores/adrlens.duckdb")))

service.py does the work (warm engines, caches, screening tables, autocomplete); api.py and web.py are the two
faces of it; problems.py turns errors into RFC 9457 problem details; app.py assembles them with the body limit
and the security headers. docs/serve.md describes the whole.
"""
