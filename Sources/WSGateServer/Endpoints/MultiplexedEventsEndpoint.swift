import WSGateCore

/// `GET /events?connections=<id>,<id>,…`: the events of several connections in one stream, so
/// that a page with many connections holds one HTTP connection for their events.
extension APIEndpoints {
    /// The most connections one stream carries.
    static let maxStreamMembers = 512

    func multiplexedEvents(_ request: APIRequest) throws -> EndpointResponse {
        let query = request.query
        let binaryEncoding = try EventStreamRequest.binaryEncoding(query)
        let connectionIDs = (query["connections"] ?? "").split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        guard !connectionIDs.contains(""), !connectionIDs.isEmpty else {
            throw APIError.invalidRequest("?connections must list connection ids, separated by commas.")
        }
        guard connectionIDs.count <= Self.maxStreamMembers else {
            throw APIError.invalidRequest("One stream carries at most \(Self.maxStreamMembers) connections.")
        }
        if let malformed = connectionIDs.first(where: { !ConnectionID.isWellFormed($0) }) {
            throw APIError.invalidRequest("\"\(malformed)\" is not a connection id: ids are letters, digits, - and _.")
        }
        guard Set(connectionIDs).count == connectionIDs.count else {
            throw APIError.invalidRequest("?connections lists a connection twice.")
        }
        let cursors = try EventStreamRequest.lastEventID(request) { (text) throws(APIError) -> [Int] in
            let entries = text.split(separator: ",", omittingEmptySubsequences: false)
            guard entries.count <= connectionIDs.count else {
                throw APIError.invalidRequest("The last event id \"\(text)\" has more entries than ?connections.")
            }
            var cursors: [Int] = []
            for entry in entries { cursors.append(try EventStreamRequest.eventID(entry, in: text)) }
            return cursors
        } ?? []
        var members: [MultiplexedSubscription.Member] = []
        for (position, id) in connectionIDs.enumerated() {
            guard let connection = self.pool.connection(ConnectionID(id)) else {
                members.append(.unknown(connectionID: id))
                continue
            }
            let cursor: EventCursor = position < cursors.count ? .after(cursors[position]) : .beginning
            do {
                switch try connection.history.subscribe(from: cursor, binaryEncoding: binaryEncoding) {
                case .complete: members.append(.complete(connectionID: id))
                case .stream(let subscription): members.append(.subscribed(connectionID: id, subscription))
                }
            } catch {
                // All or nothing: the members subscribed so far leave again.
                for case .subscribed(_, let subscription) in members { subscription.cancel() }
                throw error
            }
        }
        return .eventStream(MultiplexedSubscription(members: members, cursors: cursors))
    }
}
