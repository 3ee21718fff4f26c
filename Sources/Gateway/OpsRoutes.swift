import HTTPServer
import VPPClient
import VPPJSON

extension Gateway {
    /// `GET /healthz`: the process is alive and serving (says nothing about VPP).
    func health() -> HTTPResponse {
        HTTPResponse(status: 200, contentType: "application/json", body: "{\"status\":\"ok\"}")
    }

    /// `GET /readyz`: 200 when connected to VPP and VPP answers, else 503 (for Kubernetes
    /// readiness). A VPP that has not answered a liveness ping for a call timeout is not
    /// ready: every call would end in 504 meanwhile, although the connection is kept until
    /// the liveness rule gives up on it.
    func readiness() throws(Problem) -> HTTPResponse {
        guard let session = client.session else {
            throw Problem(.vppNotConnected, "not connected to VPP at \(configuration.client.socketPath) (\(client.connectionState))")
        }
        if let silence = client.unresponsiveFor, silence >= configuration.client.callTimeout {
            let seconds = Double(silence.components.seconds) + Double(silence.components.attoseconds) / 1e18
            throw Problem(.vppNotConnected, "VPP at \(configuration.client.socketPath) has not answered for \(String(format: "%.1f", seconds)) s (busy or hung; calls time out)")
        }
        let body = "{\"status\":\"ready\",\"vpe_pid\":\(session.vpePID),\"messages\":\(session.messageCount),\"unavailable\":\(session.availability.missing.count + session.availability.mismatched.count)}"
        return HTTPResponse(status: 200, contentType: "application/json", body: body)
    }

    /// `GET /metrics`: Prometheus text format.
    func metricsPage() async -> HTTPResponse {
        metrics.update(hub: await hub.statistics(), client: client)
        return HTTPResponse(status: 200, headers: [("Content-Type", "text/plain; version=0.0.4; charset=utf-8")],
                            body: .bytes(metrics.render()))
    }

    /// `GET /`: a small index linking everything else.
    func indexPage() -> HTTPResponse {
        let connected = client.session != nil
        let html = """
            <!doctype html>
            <html><head><meta charset="utf-8"><title>VPPGateway</title>
            <style>body{font:15px/1.5 system-ui,sans-serif;max-width:46em;margin:2em auto;padding:0 1em}code{background:#f3f3f3;padding:0 .2em}</style>
            </head><body>
            <h1>VPPGateway</h1>
            <p>HTTP/JSON and Server-Sent Events in front of FD.io VPP's binary API.
            VPP: <strong>\(connected ? "connected" : "not connected")</strong>.</p>
            <ul>
            <li><a href="/openapi.json">/openapi.json</a> — OpenAPI 3.1 document of every endpoint</li>
            <li><a href="/v1/schema">/v1/schema</a> — the loaded API: messages, kinds, CRCs, availability</li>
            <li><a href="/v1/show_version">/v1/show_version</a> — a request (<code>POST /v1/{request}</code>, read-only ones also <code>GET</code>)</li>
            <li><a href="/v1/sw_interface_dump">/v1/sw_interface_dump</a> — a dump, streamed (<code>Accept: application/x-ndjson</code> for NDJSON)</li>
            <li><a href="/v1/events/sw_interface_event">/v1/events/sw_interface_event</a> — Server-Sent Events</li>
            <li><code>POST /v1/decode</code>, <code>POST /v1/encode/{message}</code> — binary ⇄ JSON</li>
            <li><a href="/healthz">/healthz</a>, <a href="/readyz">/readyz</a>, <a href="/metrics">/metrics</a></li>
            </ul></body></html>
            """
        return HTTPResponse(status: 200, contentType: "text/html; charset=utf-8", body: html)
    }
}
