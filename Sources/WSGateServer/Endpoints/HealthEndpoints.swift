/// `GET /healthz` (the process answers) and `GET /readyz` (listening and taking connections).
extension APIEndpoints {
    func health() -> APIResponse {
        .json(["status": "ok"])
    }

    func readiness() throws(APIError) -> APIResponse {
        guard self.pool.isAccepting else {
            throw APIError(.serviceUnavailable, "not_ready", "The gateway is shutting down.")
        }
        return .json(["status": "ready"])
    }
}
