import Foundation
import Testing
import WSGateCore
import WSGateServer
import WSGateTestSupport

/// permessage-deflate against an independent implementation: the Python `websockets` library's
/// server, with each of the parameters a server may negotiate, driven through the HTTP API.
@Suite(.timeLimit(.minutes(3)))
struct PythonWebSocketsTests {
    @Test(arguments: [
        [], ["--server-no-context-takeover"], ["--client-no-context-takeover"],
        ["--server-max-window-bits", "9"], ["--client-max-window-bits", "9"],
    ])
    func compressedMessagesRoundTripBothWays(serverArguments: [String]) async throws {
        let server = try await PythonWebSocketsServer(arguments: serverArguments)
        try await withGateway { client, _ in
            let id = try await client.connect(server.url(), config: #"{"compression": true}"#)
            let events = try await client.events(id, query: "?binary=base64")
            let greeting = try await events.nextEvent()?.json?["data"]
            #expect(Self.text(greeting).contains("PerMessageDeflate("), "negotiated: \(String(describing: greeting))")

            // Repeated messages exercise the context kept between messages (or its reset).
            let compressible = String(repeating: "wsgate compresses this line ✓\n", count: 40_000)
            let random = Data((0..<100_000).map { _ in UInt8.random(in: 0...255) }).base64EncodedString()
            let messages = [
                ("Text", "short"), ("Text", compressible), ("Binary", random), ("Text", compressible), ("Text", "short"), ("Binary", ""),
            ]
            for (type, data) in messages {
                let body = try #"{"type":"\#(type)","data":\#(String(decoding: JSONEncoder().encode(data), as: UTF8.self))}"#
                let response = try await client.post("/connections/\(id)/send", json: body)
                #expect(response.status == 204, "\(response.text)")
            }
            for (type, data) in messages {
                #expect(try await events.nextEvent()?.json == ["type": .string(type), "data": .string(data)])
            }

            let report = try await client.send(id, "compressed?", contentType: "text/plain")
            #expect(report.status == 204)
            // The five messages with content went out compressed, and so did the question; the
            // empty message goes as it is, which the extension allows.
            #expect(try await events.nextEvent()?.json?["data"] == #"{"compressedFrames": 6}"#)
        }
    }

    private static func text(_ value: JSONValue?) -> String {
        guard case .string(let text)? = value else { return "" }
        return text
    }
}
