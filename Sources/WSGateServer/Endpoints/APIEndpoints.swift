import NIOCore
import WSGateCore

/// The API's endpoints, each in a file of its own: what the gateway does for each request once
/// the front end has read it whole and found it allowed.
struct APIEndpoints: Sendable {
    /// The pool that owns every upstream connection.
    let pool: ConnectionPool
    /// The settings a reload replaces, the connection config a connect starts from among them.
    let settings: LiveSettings
    /// What the gateway counts, and `GET /metrics` shows.
    let metrics: APIMetrics

    /// The media types `endpoint` reads its body as, or `nil` for an endpoint that reads no body.
    static func acceptedMediaTypes(_ endpoint: Endpoint) -> [String]? {
        switch endpoint {
        case .openConnection: ConnectRequest.mediaTypes
        case .send: SendRequest.mediaTypes
        case .health, .readiness, .listConnections, .connectionInfo, .closeConnection, .events, .multiplexedEvents,
            .consolePage, .clientModule, .clientTypes, .metrics, .openAPIDocument:
            nil
        }
    }

    /// Answers `request` at `endpoint`; throws an error that the front end answers as an ``APIError``.
    func respond(_ endpoint: Endpoint, to request: APIRequest) throws -> EndpointResponse {
        switch endpoint {
        case .health: .complete(self.health())
        case .readiness: .complete(try self.readiness())
        case .listConnections: .complete(self.listConnections())
        case .openConnection: .pending(try self.openConnection(request))
        case .connectionInfo: .complete(try self.connectionInfo(request))
        case .closeConnection: .pending(try self.closeConnection(request))
        case .send: .pending(try self.send(request))
        case .events: try self.events(request)
        case .multiplexedEvents: try self.multiplexedEvents(request)
        case .consolePage: self.webAsset(.consolePage, request)
        case .clientModule: self.webAsset(.clientModule, request)
        case .clientTypes: self.webAsset(.clientTypes, request)
        case .metrics: .complete(self.scrapeMetrics())
        case .openAPIDocument: self.webAsset(.openAPIDocument, request)
        }
    }

    /// The connection the request's `{id}` names, or 404.
    func connection(_ request: APIRequest) throws(APIError) -> Connection {
        let id = request.connectionID ?? ""
        guard let connection = self.pool.connection(ConnectionID(id)) else { throw APIError.connectionNotFound(id) }
        return connection
    }
}
