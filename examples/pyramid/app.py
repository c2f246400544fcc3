# Seed 002's Pyramid service: Pyramid's hello world, served by waitress on the port the seed's
# Dockerfile exposes (8080).
from pyramid.config import Configurator
from pyramid.response import Response
from waitress import serve


def hello_world(request):
    return Response("<h1>Hello World!</h1><p>Pyramid on Debian's python3, built by cairn.</p>")


if __name__ == "__main__":
    with Configurator() as config:
        config.add_route("hello", "/")
        config.add_view(hello_world, route_name="hello")
        app = config.make_wsgi_app()
    serve(app, host="0.0.0.0", port=8080)
