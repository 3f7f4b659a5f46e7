import NIOCore
import NIOHTTP1
import WSGateCore

/// A complete response: status, headers and an optional body.
struct APIResponse: Sendable {
    /// The status.
    var status: HTTPResponseStatus
    /// The headers; the writer adds `Content-Length`, `Connection` and CORS.
    var headers = HTTPHeaders()
    /// The body, if any.
    var body: ByteBuffer?

    /// `204 No Content`.
    static let noContent = APIResponse(status: .noContent)

    /// A response whose body is `value` as JSON.
    static func json(_ value: JSONValue, status: HTTPResponseStatus = .ok, headers: HTTPHeaders = [:]) -> APIResponse {
        var body = ByteBuffer()
        body.writeJSON(value)
        var headers = headers
        headers.replaceOrAdd(name: "Content-Type", value: "application/json")
        return APIResponse(status: status, headers: headers, body: body)
    }
}

/// What an endpoint answers.
enum EndpointResponse {
    /// A response, now.
    case complete(APIResponse)
    /// A response once the future completes; a failure is answered as its ``APIError``.
    case pending(EventLoopFuture<APIResponse>)
    /// A `text/event-stream` of the source's records, until it ends.
    case eventStream(any EventRecordSource)
}

/// A complete request as an endpoint sees it.
struct APIRequest {
    /// The request head.
    var head: HTTPRequestHead
    /// The `{id}` segment of the path, for the endpoints of one connection.
    var connectionID: String?
    /// The body, read whole.
    var body: ByteBuffer
    /// The event loop of the client's HTTP connection, on which an upstream it opens is served.
    var eventLoop: any EventLoop
    /// The client's socket address.
    var remoteAddress: SocketAddress?

    /// The client's IP address; `nil` over a Unix socket. Formatted on demand: only a connect needs it.
    var clientAddress: String? { self.remoteAddress?.ipAddress }

    /// The decoded query parameters.
    var query: QueryParameters { QueryParameters(target: self.head.uri[...]) }

    /// The media type of the body's `Content-Type`, lowercased, without parameters such as `charset`.
    var mediaType: String? { Self.mediaType(of: self.head.headers.first(name: "Content-Type")) }

    /// The media type in a `Content-Type` value. Works on the UTF-8 bytes: every send reads it.
    static func mediaType(of contentType: String?) -> String? {
        guard let contentType else { return nil }
        let essence = contentType.utf8.prefix { $0 != UInt8(ascii: ";") }
        let isBlank = { (byte: UInt8) in byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t") }
        guard let first = essence.firstIndex(where: { !isBlank($0) }), let last = essence.lastIndex(where: { !isBlank($0) }) else {
            return ""
        }
        return String(decoding: essence[first...last], as: UTF8.self).lowercased()
    }
}

extension JSONValue {
    /// Parses JSON text, or throws the error `invalid` makes of what is wrong with it.
    static func parse(_ bytes: ByteBuffer, invalid: (SyntaxError) -> APIError) throws(APIError) -> JSONValue {
        do {
            return try JSONValue(parsing: bytes)
        } catch {
            throw invalid(error)
        }
    }
}
