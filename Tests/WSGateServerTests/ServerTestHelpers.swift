import NIOCore
import WSGateCore
import WSGateServer
import WSGateTestSupport

extension GatewayClient {
    /// Opens the event stream of connection `id` with `query` and `headers`.
    func events(_ id: String, query: String = "", headers: [(String, String)] = []) async throws -> EventStreamReader {
        EventStreamReader(try await self.open(.GET, "/connections/\(id)/events\(query)", headers: headers))
    }

    /// Sends `body` of `contentType` on connection `id`.
    func send(_ id: String, _ body: String, contentType: String = "application/json") async throws -> TestResponse {
        try await self.post("/connections/\(id)/send", body: body, contentType: contentType)
    }
}

extension GatewayConfiguration {
    /// The test configuration changed by `change`.
    static func testing(_ change: (inout GatewayConfiguration) -> Void) -> GatewayConfiguration {
        var configuration = GatewayConfiguration.testing
        change(&configuration)
        return configuration
    }
}
