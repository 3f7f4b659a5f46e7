import NIOCore
import Testing
@testable import WSGateCore
import WSGateTestSupport

/// When a silent upstream gets a keepalive Ping, and when it is given up.
struct KeepaliveTests {
    private let start = NIODeadline.uptimeNanoseconds(1_000_000_000)

    private func keepalive(interval: Int = 1000, timeout: Int = 500) throws -> Keepalive {
        var config = ConnectionConfig()
        config.pingIntervalMilliseconds = interval
        config.pingTimeoutMilliseconds = timeout
        return try #require(Keepalive(config: config, now: self.start))
    }

    /// `milliseconds` after the start.
    private func at(_ milliseconds: Int64) -> NIODeadline {
        self.start + .milliseconds(milliseconds)
    }

    @Test func anIntervalOfZeroTurnsItOff() {
        var config = ConnectionConfig()
        config.pingIntervalMilliseconds = 0
        #expect(Keepalive(config: config, now: self.start) == nil)
    }

    @Test func theClockTicksAtAnEighthOfTheShorterPeriod() throws {
        #expect(try self.keepalive(interval: 1000, timeout: 400).tick == .milliseconds(50))
        #expect(try self.keepalive(interval: 80, timeout: 400).tick == .milliseconds(10))
        #expect(try self.keepalive(interval: 1, timeout: 1).tick == .milliseconds(1))
    }

    @Test func aSilentUpstreamGetsAPingAfterTheIntervalAndIsGivenUpAfterTheTimeout() throws {
        var keepalive = try self.keepalive()
        #expect(keepalive.clockTicked(now: self.at(999)) == .keepListening)
        guard case .sendPing = keepalive.clockTicked(now: self.at(1000)) else { throw TestFailure("expected a Ping") }
        #expect(keepalive.clockTicked(now: self.at(1499)) == .keepListening)
        #expect(keepalive.clockTicked(now: self.at(1500)) == .giveUp)
    }

    @Test func aLateTickCountsFromWhenItCame() throws {
        var keepalive = try self.keepalive()
        guard case .sendPing = keepalive.clockTicked(now: self.at(1100)) else { throw TestFailure("expected a Ping") }
        // The full timeout after the Ping actually went out.
        #expect(keepalive.clockTicked(now: self.at(1599)) == .keepListening)
        #expect(keepalive.clockTicked(now: self.at(1600)) == .giveUp)
    }

    @Test func anyFrameWithinTheTimeoutKeepsTheConnection() throws {
        var keepalive = try self.keepalive()
        guard case .sendPing = keepalive.clockTicked(now: self.at(1000)) else { throw TestFailure("expected a Ping") }
        keepalive.heard()
        #expect(keepalive.clockTicked(now: self.at(1500)) == .keepListening)
        // Silent again: a new Ping an interval later, not a verdict.
        #expect(keepalive.clockTicked(now: self.at(2499)) == .keepListening)
        guard case .sendPing = keepalive.clockTicked(now: self.at(2500)) else { throw TestFailure("expected a second Ping") }
    }

    @Test func theNextIntervalStartsWhenThePingIsAnswered() throws {
        var keepalive = try self.keepalive(interval: 1000, timeout: 5000)
        guard case .sendPing = keepalive.clockTicked(now: self.at(1000)) else { throw TestFailure("expected a Ping") }
        #expect(keepalive.clockTicked(now: self.at(1050)) == .keepListening)
        keepalive.heard()
        #expect(keepalive.clockTicked(now: self.at(1100)) == .keepListening)
        // An interval after the answer, not after the timeout.
        #expect(keepalive.clockTicked(now: self.at(2099)) == .keepListening)
        guard case .sendPing = keepalive.clockTicked(now: self.at(2100)) else { throw TestFailure("expected a second Ping") }
    }

    @Test func aBusyUpstreamGetsNoPing() throws {
        var keepalive = try self.keepalive()
        for second in 1...5 {
            keepalive.heard()
            #expect(keepalive.clockTicked(now: self.at(Int64(second) * 1000)) == .keepListening)
        }
    }

    @Test func whileReadingIsPausedSilenceProvesNothing() throws {
        var keepalive = try self.keepalive()
        keepalive.setReadingPaused(true)
        for second in 1...3 { #expect(keepalive.clockTicked(now: self.at(Int64(second) * 1000)) == .keepListening) }
        keepalive.setReadingPaused(false)
        guard case .sendPing = keepalive.clockTicked(now: self.at(4000)) else { throw TestFailure("expected a Ping once reading resumed") }
    }

    @Test func onlyThePongToItsOwnPingIsTheGatewaysOwn() throws {
        var keepalive = try self.keepalive()
        guard case .sendPing(let payload) = keepalive.clockTicked(now: self.at(1000)) else { throw TestFailure("expected a Ping") }
        let answers = [ByteBuffer(string: "the client's"), payload, payload].map { keepalive.isAnswerToOwnPing($0) }
        // The client's Pong is shown; of an upstream that answers twice, the second is too.
        #expect(answers == [false, true, false])
    }
}
