import HTTPTypes
import Hummingbird
import NIOCore
import WSGateCore

/// An error answered as `{"error":{"code":"snake_case","message":"…", …extra}}` with its status.
public struct APIError: Error, HTTPResponseError {
    /// The HTTP status.
    public var status: HTTPResponse.Status
    /// The stable, machine-readable code.
    public var code: String
    /// A sentence for people.
    public var message: String
    /// Further fields of the error object, such as the upstream's `status`.
    public var extra: [String: JSONValue] = [:]
    /// Headers such as `Retry-After`.
    public var headers: HTTPFields = [:]

    /// Creates an error answer.
    public init(_ status: HTTPResponse.Status, _ code: String, _ message: String, extra: [String: JSONValue] = [:]) {
        self.status = status
        self.code = code
        self.message = message
        self.extra = extra
    }

    /// The body: `{"error": {"code": …, "message": …, …extra}}`.
    public var body: JSONValue {
        var fields = self.extra
        fields["code"] = .string(self.code)
        fields["message"] = .string(self.message)
        return ["error": .object(fields)]
    }

    /// The error as a JSON response.
    public func response() -> Response {
        Response.json(self.body, status: self.status, headers: self.headers)
    }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        self.response()
    }
}

extension APIError {
    /// 400 `invalid_request`.
    static func invalidRequest(_ message: String) -> APIError { APIError(.badRequest, "invalid_request", message) }
    /// 413 `too_large`.
    static func tooLarge(limit: Int) -> APIError {
        APIError(.contentTooLarge, "too_large", "The request body is larger than the gateway accepts (\(limit) bytes).")
    }
    /// 400 `invalid_message`.
    static func invalidMessage(_ message: String) -> APIError { APIError(.badRequest, "invalid_message", message) }
    /// 400 `invalid_http`: bytes that are not an HTTP/1.1 request.
    static var invalidHTTP: APIError { APIError(.badRequest, "invalid_http", "The request is not valid HTTP/1.1.") }
    /// 404 `not_found` for a connection id.
    static func connectionNotFound(_ id: String) -> APIError {
        APIError(.notFound, "not_found", "No connection has the id \"\(id)\"; it never existed or ended over a minute ago.")
    }
    /// 415 `unsupported_media_type`.
    static func unsupportedMediaType(_ contentType: String?, accepted: [String]) -> APIError {
        APIError(
            .unsupportedMediaType, "unsupported_media_type",
            "Content-Type \(contentType.map { "\"\($0)\"" } ?? "missing"); use \(accepted.joined(separator: ", "))."
        )
    }

    /// Maps any error thrown while answering a request to its API error.
    init(_ error: any Error) {
        switch error {
        case let error as APIError:
            self = error
        case let error as InvalidInputError:
            self = .invalidRequest(error.description)
        case let error as UpstreamConnectError:
            self.init(upstream: error)
        case PoolError.capacityExhausted(let limit):
            self.init(.serviceUnavailable, "capacity_exhausted", "The gateway holds its maximum of \(limit) connections.")
            self.headers[.retryAfter] = "1"
        case PoolError.shuttingDown:
            self.init(.serviceUnavailable, "shutting_down", "The gateway is shutting down.")
        case let error as SendError:
            self.init(send: error)
        case let error as HTTPError where error.status == .notFound:
            self.init(.notFound, "not_found", "There is no such endpoint.")
        case let error as HTTPError:
            self.init(error.status, Self.snakeCase(error.status.reasonPhrase), error.body ?? error.status.reasonPhrase)
        default:
            self.init(.internalServerError, "internal_error", "\(error)")
        }
    }

    private init(upstream error: UpstreamConnectError) {
        switch error {
        case .connectFailed:
            self.init(.badGateway, "upstream_connect_failed", error.description)
        case .tlsFailed:
            self.init(.badGateway, "upstream_tls_failed", error.description)
        case .handshakeFailed(let status, _):
            self.init(.badGateway, "upstream_handshake_failed", error.description, extra: status.map { ["status": .integer($0)] } ?? [:])
        case .timedOut:
            self.init(.gatewayTimeout, "upstream_timeout", error.description)
        }
    }

    private init(send error: SendError) {
        switch error {
        case .connectionClosed(let frame):
            // "code" names the error, so the close frame's code and reason travel as "close".
            var extra: [String: JSONValue] = [:]
            if let frame {
                extra = ["close": ["code": .integer(Int(frame.code)), "reason": .string(frame.reason)]]
            }
            self.init(.conflict, "connection_closed", "The connection is closing or closed; nothing more can be sent.", extra: extra)
        case .writeBufferFull(let queued, let limit):
            self.init(
                .serviceUnavailable, "write_buffer_full",
                "\(queued) bytes already wait for the upstream socket; this message would pass maxWriteBufferSize (\(limit)).",
                extra: ["queued": .integer(queued), "limit": .integer(limit)]
            )
            self.headers[.retryAfter] = "1"
        }
    }

    private static func snakeCase(_ phrase: String) -> String {
        phrase.lowercased().split(whereSeparator: { !$0.isLetter && !$0.isNumber }).joined(separator: "_")
    }
}
