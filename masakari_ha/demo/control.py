"""The simulation's control API (JSON over HTTP, loopback) used by ``masakari-ha-sim``.

=====================================  =====================================================
``GET  /status``                       hosts (pacemaker, nova-compute, power), guests,
                                       the API's latest notifications
``POST /instances/<uuid>/crash``       the guest dies; the instance monitor path reports it
``POST /hosts/<name>/kill``            the host dies; the host monitor path reports it
``POST /hosts/<name>/revive``          power on, nova-compute and pacemaker-remote back
=====================================  =====================================================

Errors are ``{"error": "..."}`` with a 4xx status and a message that says what to do.
"""

from __future__ import annotations

import flask

from masakari_ha.demo.nodes import SimulatedNodes, SimulationError


def create_app(nodes: SimulatedNodes) -> flask.Flask:
    app = flask.Flask("masakari_ha.demo.control")
    app.json.sort_keys = False

    @app.errorhandler(SimulationError)
    def simulation_error(error: SimulationError):
        return flask.jsonify({"error": str(error)}), error.code

    @app.errorhandler(404)
    def not_found(_error):
        return flask.jsonify({"error": "no such control call; masakari-ha-sim --help lists "
                                       "them"}), 404

    @app.errorhandler(405)
    def bad_method(_error):
        return flask.jsonify({"error": "method not allowed on this control call"}), 405

    @app.get("/status")
    def status():
        return flask.jsonify(nodes.status())

    @app.post("/instances/<uuid>/crash")
    def crash(uuid: str):
        return flask.jsonify(nodes.crash_instance(uuid))

    @app.post("/hosts/<name>/kill")
    def kill(name: str):
        return flask.jsonify(nodes.kill_host(name))

    @app.post("/hosts/<name>/revive")
    def revive(name: str):
        return flask.jsonify(nodes.revive_host(name))

    return app
