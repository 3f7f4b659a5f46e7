import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import Testing
import WSGateCore
import WSGateServer
import WSGateTestSupport

/// The gateway used the way real clients use it: through AsyncHTTPClient's pool of keep-alive
/// connections, which sends each request on whichever idle connection it has.
@Suite(.timeLimit(.minutes(2)))
struct PooledClientTests {
    @Test func twoHundredConnectionsAreOpenedUsedAndDeletedOverAPoolWithoutAFailure() async throws {
        let server = try await PythonWebSocketsServer()
        let configuration = HTTPClient.Configuration(
            connectionPool: .init(idleTimeout: .seconds(30), concurrentHTTP1ConnectionsPerHostSoftLimit: 8)
        )
        let http = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
        do {
            try await withGateway { client, _ in
                let base = "http://127.0.0.1:\(client.port)"
                try await withThrowingTaskGroup(of: Void.self) { workers in
                    for worker in 0..<4 {
                        workers.addTask {
                            for round in 0..<50 {
                                try await Self.openUseAndDelete(server.url("/\(worker)-\(round)"), via: http, at: base)
                            }
                        }
                    }
                    try await workers.waitForAll()
                }
                #expect(try await client.request(.GET, "/connections").json == ["connections": []])
            }
        } catch {
            try await http.shutdown()
            throw error
        }
        try await http.shutdown()
    }

    /// Opens a connection to the echo server, reads its greeting from an event stream, sends a
    /// message and reads its echo, deletes the connection and reads the stream to its Close.
    static func openUseAndDelete(_ url: String, via http: HTTPClient, at base: String) async throws {
        let opened = try await Self.execute(.POST, "\(base)/connections", via: http, json: #"{"url": "\#(url)"}"#)
        #expect(opened.status == .created)
        guard case .string(let id)? = (try? JSONValue(parsing: opened.body))?["id"] else {
            throw TestFailure("POST /connections answered \(opened.status): \(String(buffer: opened.body))")
        }
        let stream = try await http.execute(HTTPClientRequest(url: "\(base)/connections/\(id)/events"), timeout: .seconds(30))
        #expect(stream.status == .ok)
        var events = stream.body.makeAsyncIterator()
        var parser = SSEParser()
        var received: [SSERecord] = []
        func nextEvent() async throws -> SSERecord? {
            while !received.contains(where: { $0.data != nil }) {
                guard let chunk = try await events.next() else { return nil }
                received += parser.feed(chunk)
            }
            let index = received.firstIndex { $0.data != nil }!
            defer { received.removeSubrange(...index) }
            return received[index]
        }
        #expect(try await nextEvent()?.id == 1)
        let sent = try await Self.execute(.POST, "\(base)/connections/\(id)/send", via: http, json: #""echo me""#)
        #expect(sent.status == .noContent)
        #expect(try await nextEvent()?.json == ["type": "Text", "data": "echo me"])
        let deleted = try await Self.execute(.DELETE, "\(base)/connections/\(id)", via: http)
        #expect(deleted.status == .ok)
        let closing = try await nextEvent()
        #expect(closing?.json?["type"] == "Close", "\(String(describing: closing))")
        #expect(try await nextEvent() == nil)
    }

    /// One request through the pool, its body collected.
    static func execute(
        _ method: HTTPMethod, _ url: String, via http: HTTPClient, json: String? = nil
    ) async throws -> (status: HTTPResponseStatus, body: ByteBuffer) {
        var request = HTTPClientRequest(url: url)
        request.method = method
        if let json {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(string: json))
        }
        let response = try await http.execute(request, timeout: .seconds(30))
        return (response.status, try await response.body.collect(upTo: 1 << 20))
    }
}
