from fastapi import FastAPI
def mount_web(app: FastAPI) -> None: pass
def render_error_page(request, exc): raise exc
