import Testing
import WSGateCore

@Suite struct ConnectionConfigTests {
    private func parse(_ json: JSONValue) throws -> ConnectionConfig {
        try ConnectionConfig().applying(json: json)
    }

    @Test func defaultsAreTungstenites() throws {
        let config = try self.parse([:])
        #expect(config.readBufferSize == 128 * 1024)
        #expect(config.writeBufferSize == 128 * 1024)
        #expect(config.maxWriteBufferSize == nil)
        #expect(config.maxMessageSize == 64 << 20)
        #expect(config.maxFrameSize == 16 << 20)
        #expect(config.acceptUnmaskedFrames == false)
        #expect(config.connectTimeoutMilliseconds == 10_000)
    }

    @Test func noneRemovesALimitAndNullRestoresTheDefault() throws {
        let unlimited = try self.parse(["maxMessageSize": "none", "maxFrameSize": "none"])
        #expect(unlimited.maxMessageSize == nil)
        #expect(unlimited.maxFrameSize == nil)
        let restored = try unlimited.applying(json: ["maxMessageSize": nil, "maxFrameSize": 1024])
        #expect(restored.maxMessageSize == 64 << 20)
        #expect(restored.maxFrameSize == 1024)
    }

    @Test func readsHeadersInBothFormsAndProtocols() throws {
        let fromObject = try self.parse(["headers": ["Authorization": "Bearer t", "Host": "example.org"], "protocols": ["chat", "v2.chat"]])
        #expect(fromObject.headers.contains(.init(name: "Authorization", value: "Bearer t")))
        #expect(fromObject.headers.contains(.init(name: "Host", value: "example.org")))
        #expect(fromObject.protocols == ["chat", "v2.chat"])
        let fromPairs = try self.parse(["headers": [["X-A", "1"], ["x-a", "2"], ["X-B", "3"]]])
        #expect(fromPairs.headers == [.init(name: "X-A", value: "1, 2"), .init(name: "X-B", value: "3")])
    }

    @Test(arguments: [
        JSONValue.array([]), ["unknownKey": 1], ["readBufferSize": 0], ["readBufferSize": "big"], ["writeBufferSize": -1],
        ["maxMessageSize": 0], ["maxMessageSize": "unlimited"], ["acceptUnmaskedFrames": "yes"], ["connectTimeoutMs": 0],
        ["writeBufferSize": 100, "maxWriteBufferSize": 100], ["maxWriteBufferSize": 1000],
        ["headers": ["Upgrade": "h2c"]], ["headers": ["Sec-WebSocket-Key": "x"]], ["headers": ["Connection": "close"]],
        ["headers": ["Sec-WebSocket-Version": "8"]], ["headers": ["Sec-WebSocket-Extensions": "x"]],
        ["headers": ["Bad Name": "x"]], ["headers": ["X-A": "line\r\nbreak"]], ["headers": ["X-A": 1]], ["headers": [["X-A"]]],
        ["maxMessageSize": .integer(ConnectionConfig.largestMessage + 1)], ["maxFrameSize": .integer(Int.max)],
        ["connectTimeoutMs": .integer(Int.max)], ["protocols": "chat"], ["protocols": ["a b"]], ["protocols": ["chat", "chat"]], ["protocols": [""]],
    ])
    func refusesInvalidConfigs(_ json: JSONValue) {
        #expect(throws: InvalidInputError.self) { try self.parse(json) }
    }

    @Test func anUnknownKeyIsNamed() {
        #expect(throws: InvalidInputError("Unknown config key \"maxMesageSize\".")) {
            try self.parse(["maxMesageSize": 1])
        }
    }
}

@Suite struct WebSocketURLTests {
    @Test func readsHostPortAndTarget() throws {
        let plain = try WebSocketURL("ws://example.org/chat?room=a%20b")
        #expect(plain.host == "example.org" && plain.port == 80 && !plain.isSecure)
        #expect(plain.requestTarget == "/chat?room=a%20b")
        #expect(plain.hostHeader == "example.org")
        let secure = try WebSocketURL("wss://[::1]:8443")
        #expect(secure.host == "::1" && secure.port == 8443 && secure.isSecure)
        #expect(secure.requestTarget == "/")
        #expect(secure.hostHeader == "[::1]:8443")
    }

    @Test func anInternationalHostNameIsPunycoded() throws {
        // As resolvers and the Host header need it, and as tungstenite's URL parser gives it.
        let url = try WebSocketURL("ws://bücher.de:8080/")
        #expect(url.host == "xn--bcher-kva.de")
        #expect(url.hostHeader == "xn--bcher-kva.de:8080")
    }

    @Test(arguments: ["http://example.org", "example.org", "ws://", "ws://host/#frag", "ws://user:pw@host/", "ws://host:70000/", ""])
    func refusesOtherURLs(_ text: String) {
        #expect(throws: InvalidInputError.self) { try WebSocketURL(text) }
    }
}
