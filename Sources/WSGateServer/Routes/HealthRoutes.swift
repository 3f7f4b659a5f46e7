import Hummingbird
import WSGateCore

/// `GET /healthz` (the process answers) and `GET /readyz` (listening and taking connections).
struct HealthRoutes {
    let pool: ConnectionPool

    func register(on router: Router<GatewayRequestContext>) {
        router.get("healthz") { _, _ in Response.json(["status": "ok"]) }
        router.get("readyz") { _, _ in
            guard self.pool.isAccepting else {
                throw APIError(.serviceUnavailable, "not_ready", "The gateway is shutting down.")
            }
            return Response.json(["status": "ready"])
        }
    }
}
