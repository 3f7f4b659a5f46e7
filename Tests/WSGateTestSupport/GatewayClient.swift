import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import WSGateCore

/// A plain HTTP/1.1 client for the gateway's API over real sockets, one connection per request.
public struct GatewayClient: Sendable {
    /// The gateway's port on 127.0.0.1.
    public let port: Int

    /// Creates a client for the gateway on `port`.
    public init(port: Int) {
        self.port = port
    }

    /// Sends a request and collects the whole response.
    public func request(
        _ method: HTTPMethod, _ path: String, headers: [(String, String)] = [], body: ByteBuffer? = nil
    ) async throws -> TestResponse {
        let stream = try await self.open(method, path, headers: headers, body: body)
        defer { stream.close() }
        var body = ByteBuffer()
        while let chunk = try await stream.nextChunk() { body.writeImmutableBuffer(chunk) }
        return TestResponse(status: stream.status, headers: stream.headers, body: body)
    }

    /// `POST path` with a JSON body.
    public func post(_ path: String, json: String, headers: [(String, String)] = []) async throws -> TestResponse {
        try await self.post(path, body: json, contentType: "application/json", headers: headers)
    }

    /// `POST path` with `body` of `contentType`.
    public func post(_ path: String, body: String, contentType: String, headers: [(String, String)] = []) async throws -> TestResponse {
        try await self.request(.POST, path, headers: [("Content-Type", contentType)] + headers, body: ByteBuffer(string: body))
    }

    /// Opens a connection to `url` and returns its id, failing the test's expectations if refused.
    public func connect(_ url: String, config: String = "{}") async throws -> String {
        let response = try await self.post("/connections", json: #"{"url": "\#(url)", "config": \#(config)}"#)
        guard response.status == 201, case .string(let id)? = response.json["id"] else {
            throw TestFailure("POST /connections answered \(response.status): \(response.text)")
        }
        return id
    }

    /// Sends a request and returns as soon as the response head arrived; the body streams.
    public func open(
        _ method: HTTPMethod, _ path: String, headers: [(String, String)] = [], body: ByteBuffer? = nil
    ) async throws -> ResponseStream {
        let (parts, continuation) = AsyncStream.makeStream(of: HTTPClientResponsePart.self)
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHTTPClientHandlers()
                    try channel.pipeline.syncOperations.addHandler(StreamingHandler(continuation: continuation))
                }
            }
            .connect(host: "127.0.0.1", port: self.port)
            .get()
        var head = HTTPRequestHead(version: .http1_1, method: method, uri: path)
        head.headers.add(name: "Host", value: "127.0.0.1:\(self.port)")
        for (name, value) in headers { head.headers.replaceOrAdd(name: name, value: value) }
        if let body { head.headers.replaceOrAdd(name: "Content-Length", value: "\(body.readableBytes)") }
        channel.write(HTTPClientRequestPart.head(head), promise: nil)
        if let body { channel.write(HTTPClientRequestPart.body(.byteBuffer(body)), promise: nil) }
        try await channel.writeAndFlush(HTTPClientRequestPart.end(nil))
        return try await ResponseStream(channel: channel, parts: parts)
    }
}

/// A response whose body arrives piece by piece.
public final class ResponseStream: @unchecked Sendable {
    // Used by one test task at a time; the channel itself is thread-safe.
    /// The status code.
    public let status: Int
    /// The response headers.
    public let headers: HTTPHeaders
    /// The HTTP connection, e.g. to stop reading from it.
    public let channel: Channel
    /// Whether the body ended with its terminating part, rather than with the connection.
    public private(set) var endedCleanly = false
    private var iterator: AsyncStream<HTTPClientResponsePart>.Iterator

    init(channel: Channel, parts: AsyncStream<HTTPClientResponsePart>) async throws {
        self.channel = channel
        self.iterator = parts.makeAsyncIterator()
        guard case .head(let head)? = await self.iterator.next() else {
            throw TestFailure("The connection ended before a response head.")
        }
        self.status = Int(head.status.code)
        self.headers = head.headers
    }

    /// The next piece of the body, or `nil` at its end.
    public func nextChunk() async throws -> ByteBuffer? {
        while let part = await self.iterator.next() {
            switch part {
            case .body(let chunk): return chunk
            case .end:
                self.endedCleanly = true
                return nil
            case .head: continue
            }
        }
        return nil
    }

    /// Closes the connection.
    public func close() {
        self.channel.close(promise: nil)
    }
}

/// A collected response.
public struct TestResponse: Sendable {
    /// The status code.
    public var status: Int
    /// The response headers.
    public var headers: HTTPHeaders
    /// The body.
    public var body: ByteBuffer

    /// The body as text.
    public var text: String { String(buffer: self.body) }

    /// The body parsed as JSON (`null` if it is not JSON).
    public var json: JSONValue {
        ForeignJSON.parse(self.body.readableBytesView) ?? .null
    }

    /// The `error.code` of an error body.
    public var errorCode: String? {
        guard case .string(let code)? = self.json["error"]?["code"] else { return nil }
        return code
    }
}

extension JSONValue {
    /// The value of `key` in an object.
    public subscript(key: String) -> JSONValue? {
        guard case .object(let fields) = self else { return nil }
        return fields[key]
    }
}

/// A test precondition that did not hold.
public struct TestFailure: Error, CustomStringConvertible {
    /// What went wrong.
    public var description: String

    /// Creates the failure.
    public init(_ description: String) {
        self.description = description
    }
}
