/// When a lost upstream is dialled again: the `reconnect` object of a connection config.
///
/// After an upstream failure or a Close the client did not ask for, attempt `n` (from 1) waits
/// a delay drawn evenly from `initialDelay` to `min(maxDelay, initialDelay × 2^(n-1))`:
/// exponential backoff with full jitter, never faster than the initial delay.
public struct ReconnectPolicy: Sendable, Equatable {
    /// Attempts after each loss before the gateway gives up; 0 never gives up.
    public var maxAttempts = 10
    /// The shortest wait before an attempt, in milliseconds.
    public var initialDelayMilliseconds = 1000
    /// The longest wait before an attempt, in milliseconds.
    public var maxDelayMilliseconds = 30_000

    /// Ten attempts, from 1 s up to 30 s apart.
    public init() {}

    /// Every key of the JSON object.
    static let keys: Set<String> = ["maxAttempts", "initialDelayMs", "maxDelayMs"]

    /// The wait before attempt `attempt` (from 1), in milliseconds, drawn with `generator`.
    func delayMilliseconds(beforeAttempt attempt: Int, using generator: inout some RandomNumberGenerator) -> Int {
        let doublings = min(max(attempt - 1, 0), 30)
        let ceiling = min(self.maxDelayMilliseconds, self.initialDelayMilliseconds.multipliedReportingOverflow(by: 1 << doublings).partialValue)
        return Int.random(in: self.initialDelayMilliseconds...max(ceiling, self.initialDelayMilliseconds), using: &generator)
    }

    /// Whether attempt `attempt` (from 1) may be made.
    func allows(attempt: Int) -> Bool {
        self.maxAttempts == 0 || attempt <= self.maxAttempts
    }

    /// The policy of the JSON object `json` over the defaults, or `nil` (no reconnection) for `null`.
    static func from(json: JSONValue) throws(InvalidInputError) -> ReconnectPolicy? {
        if json == .null { return nil }
        guard case .object(let fields) = json else {
            throw InvalidInputError("\"reconnect\" must be an object such as {\"maxAttempts\": 10}, or null.")
        }
        if let unknown = fields.keys.sorted().first(where: { !Self.keys.contains($0) }) {
            throw InvalidInputError("Unknown key \"reconnect.\(unknown)\".")
        }
        var policy = ReconnectPolicy()
        func integer(_ key: String, in range: ClosedRange<Int>) throws(InvalidInputError) -> Int? {
            switch fields[key] {
            case nil, .null?: return nil
            case .integer(let value)? where range.contains(value): return value
            default: throw InvalidInputError("\"reconnect.\(key)\" must be an integer from \(range.lowerBound) to \(range.upperBound).")
            }
        }
        policy.maxAttempts = try integer("maxAttempts", in: 0...1_000_000) ?? policy.maxAttempts
        policy.initialDelayMilliseconds = try integer("initialDelayMs", in: 1...ConnectionConfig.longestTimeout) ?? policy.initialDelayMilliseconds
        policy.maxDelayMilliseconds = try integer("maxDelayMs", in: 1...ConnectionConfig.longestTimeout) ?? policy.maxDelayMilliseconds
        guard policy.maxDelayMilliseconds >= policy.initialDelayMilliseconds else {
            throw InvalidInputError("\"reconnect.maxDelayMs\" must be at least \"reconnect.initialDelayMs\".")
        }
        return policy
    }
}
