import NIOCore
import Testing
import WSGateCore
import WSGateServer
import WSGateTestSupport

extension GatewayClient {
    /// Opens the event stream of connection `id` with `query` and `headers`.
    func events(_ id: String, query: String = "", headers: [(String, String)] = []) async throws -> EventStreamReader {
        EventStreamReader(try await self.open(.GET, "/connections/\(id)/events\(query)", headers: headers))
    }

    /// `POST /connections` for `url` with `config`.
    func createConnection(_ url: String, config: JSONValue) async throws -> TestResponse {
        var body = ByteBuffer()
        body.writeJSON(["url": .string(url), "config": config])
        return try await self.post("/connections", json: String(buffer: body))
    }

    /// Opens a connection to `server` with `config` and checks that it is 201 and carries a
    /// message from the upstream.
    func connectAndReceive(_ server: UpstreamServer, secure: Bool = false, config: JSONValue) async throws {
        let created = try await self.createConnection(server.url(secure: secure), config: config)
        #expect(created.status == 201, "\(created.text)")
        guard case .string(let id)? = created.json["id"] else { return }
        let peer = try await server.nextPeer()
        let events = try await self.events(id)
        try await peer.sendText("hello")
        #expect(try await events.nextEvent()?.json == ["type": "Text", "data": "hello"])
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

    /// The test configuration for tests whose upstream answers the Close: a closing time longer
    /// than a loaded machine holds a test up. The upstream runs in this process, on the gateway's
    /// event loops; when they pause, the gateway's closing timer can run before the upstream has
    /// even read the Close, which an upstream in another process would have answered meanwhile.
    static var answeredClose: GatewayConfiguration {
        .testing { $0.pool.closeTimeout = .seconds(40) }
    }
}
