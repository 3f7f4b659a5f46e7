import Testing
@testable import WSGateCore

/// The backoff of `reconnect`, and its JSON form.
struct ReconnectPolicyTests {
    /// A deterministic generator, so that the drawn delays can be checked against their bounds.
    private struct SplitMix: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            self.state &+= 0x9E37_79B9_7F4A_7C15
            var z = self.state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    @Test func eachAttemptWaitsFromTheInitialDelayUpToADoublingCeilingCappedAtTheMaximum() {
        var policy = ReconnectPolicy()
        policy.initialDelayMilliseconds = 100
        policy.maxDelayMilliseconds = 1000
        var generator = SplitMix(state: 7)
        for attempt in 1...40 {
            let ceiling = min(1000, 100 << min(attempt - 1, 20))
            let delays = (0..<200).map { _ in policy.delayMilliseconds(beforeAttempt: attempt, using: &generator) }
            #expect(delays.allSatisfy { (100...ceiling).contains($0) }, "attempt \(attempt)")
            // Full jitter: spread over the range, not one value.
            if ceiling > 100 { #expect(Set(delays).count > 10) }
        }
    }

    @Test func maxAttemptsOfZeroNeverGivesUp() {
        var policy = ReconnectPolicy()
        #expect(policy.allows(attempt: 10) && !policy.allows(attempt: 11))
        policy.maxAttempts = 0
        #expect(policy.allows(attempt: 1_000_000))
    }

    @Test func theJSONFormTakesDefaultsAndRefusesNonsense() throws {
        let config = try ConnectionConfig().applying(json: ["reconnect": ["maxAttempts": 3]])
        #expect(config.reconnect?.maxAttempts == 3)
        #expect(config.reconnect?.initialDelayMilliseconds == 1000)
        #expect(try ConnectionConfig().applying(json: ["reconnect": .null]).reconnect == nil)
        #expect(ConnectionConfig().reconnect == nil)
        for bad: JSONValue in [true, ["maxAttempts": -1], ["initialDelayMs": 0], ["initialDelayMs": 500, "maxDelayMs": 100], ["jitter": 1]] {
            #expect(throws: InvalidInputError.self) { try ConnectionConfig().applying(json: ["reconnect": bad]) }
        }
    }
}
