import NIOCore
import NIOHTTP1
import WSGateCore

/// An error answered as `{"error":{"code":"snake_case","message":"…", …extra}}` with its status.
public struct APIError: Error, Equatable {
    /// The HTTP status.
    public var status: HTTPResponseStatus
    /// The stable, machine-readable code.
    public var code: String
    /// A sentence for people.
    public var message: String
    /// Further fields of the error object, such as the upstream's `status`.
    public var extra: [String: JSONValue] = [:]
    /// Headers such as `Retry-After` or `Allow`.
    public var headers = HTTPHeaders()

    /// Creates an error answer.
    public init(_ status: HTTPResponseStatus, _ code: String, _ message: String, extra: [String: JSONValue] = [:]) {
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
    var response: APIResponse {
        APIResponse.json(self.body, status: self.status, headers: self.headers)
    }
}

extension APIError {
    /// 400 `invalid_request`.
    static func invalidRequest(_ message: String) -> APIError { APIError(.badRequest, "invalid_request", message) }
    /// 400 `invalid_message`.
    static func invalidMessage(_ message: String) -> APIError { APIError(.badRequest, "invalid_message", message) }
    /// 400 `invalid_http`: bytes that are not an HTTP/1.1 request.
    static var invalidHTTP: APIError { APIError(.badRequest, "invalid_http", "The request is not valid HTTP/1.1.") }
    /// 400 `missing_host`: an HTTP/1.1 request without exactly one `Host`.
    static var missingHost: APIError {
        APIError(.badRequest, "missing_host", "An HTTP/1.1 request needs exactly one Host header.")
    }
    /// 404 `not_found` for a path.
    static var noSuchEndpoint: APIError { APIError(.notFound, "not_found", "There is no such endpoint.") }
    /// 404 `not_found` for a connection id.
    static func connectionNotFound(_ id: String) -> APIError {
        APIError(.notFound, "not_found", "No connection has the id \"\(id)\"; it never existed, was deleted, or ended over a minute ago.")
    }
    /// 405 `method_not_allowed`, with `Allow`.
    static func methodNotAllowed(_ method: HTTPMethod, allowed: [HTTPMethod]) -> APIError {
        let names = allowed.map(\.rawValue).joined(separator: ", ")
        var error = APIError(.methodNotAllowed, "method_not_allowed", "\(method.rawValue) is not allowed here; use \(names).")
        error.headers.add(name: "Allow", value: names)
        return error
    }
    /// 408 `request_timeout`: a body that stopped arriving.
    static var requestTimeout: APIError {
        APIError(.requestTimeout, "request_timeout", "The request's body stopped arriving before it was complete.")
    }
    /// 413 `too_large`.
    static func tooLarge(limit: Int) -> APIError {
        APIError(.payloadTooLarge, "too_large", "The request body is larger than the gateway accepts (\(limit) bytes).")
    }
    /// 414 `target_too_long`.
    static func targetTooLong(limit: Int) -> APIError {
        APIError(.uriTooLong, "target_too_long", "The request target is longer than the gateway accepts (\(limit) bytes).")
    }
    /// 415 `unsupported_media_type`.
    static func unsupportedMediaType(_ contentType: String?, accepted: [String]) -> APIError {
        APIError(
            .unsupportedMediaType, "unsupported_media_type",
            "Content-Type \(contentType.map { "\"\($0)\"" } ?? "missing"); use \(accepted.joined(separator: ", "))."
        )
    }
    /// 417 `expectation_failed`: an `Expect` other than `100-continue`.
    static func expectationFailed(_ expectation: String) -> APIError {
        APIError(.expectationFailed, "expectation_failed", "Expect \"\(expectation)\" is not supported; only 100-continue is.")
    }
    /// 431 `headers_too_large`.
    static var headersTooLarge: APIError {
        APIError(
            .requestHeaderFieldsTooLarge, "headers_too_large",
            "The request's header section is larger than the gateway accepts."
        )
    }

    /// 503 `too_many_streams`, with `Retry-After`.
    static func tooManyStreams(limit: Int) -> APIError {
        var error = APIError(
            .serviceUnavailable, "too_many_streams", "The gateway serves its maximum of \(limit) event streams (limits.maxEventStreams)."
        )
        error.headers.add(name: "Retry-After", value: "1")
        return error
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
            self.headers.add(name: "Retry-After", value: "1")
        case PoolError.clientCapacityExhausted(let limit):
            self.init(
                .tooManyRequests, "too_many_connections",
                "This client address holds its maximum of \(limit) connections (limits.maxConnectionsPerClient)."
            )
            self.headers.add(name: "Retry-After", value: "1")
        case SubscribeError.tooManySubscribers(let limit):
            self.init(
                .tooManyRequests, "too_many_subscribers",
                "The connection has its maximum of \(limit) subscribers (limits.maxSubscribersPerConnection)."
            )
            self.headers.add(name: "Retry-After", value: "1")
        case PoolError.insecureSkipVerifyForbidden:
            self.init(
                .forbidden, "insecure_tls_forbidden",
                "This gateway does not allow \"tls.insecureSkipVerify\" (security.allowInsecureSkipVerify is false)."
            )
        case PoolError.shuttingDown:
            self.init(.serviceUnavailable, "shutting_down", "The gateway is shutting down.")
        case let error as SendError:
            self.init(send: error)
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
        case .forbidden:
            self.init(.forbidden, "upstream_forbidden", error.description)
        case .proxyFailed:
            self.init(.badGateway, "proxy_failed", error.description)
        case .proxyRefused(_, let status, _):
            self.init(.badGateway, "proxy_refused", error.description, extra: ["status": .integer(status)])
        case .proxyTimedOut:
            self.init(.gatewayTimeout, "proxy_timeout", error.description)
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
            self.headers.add(name: "Retry-After", value: "1")
        case .reconnecting(let seconds):
            self.init(.conflict, "reconnecting", "The upstream was lost and is being reconnected; nothing can be sent until it is back.")
            self.headers.add(name: "Retry-After", value: "\(seconds)")
        }
    }
}
