import NIOCore
import Testing
@testable import WSGateCore
import WSGateTestSupport

/// When a silent upstream gets a keepalive Ping, and when it is given up.
struct KeepaliveTests {
    private func keepalive(interval: Int = 1000, timeout: Int = 500) throws -> Keepalive {
        var config = ConnectionConfig()
        config.pingIntervalMilliseconds = interval
        config.pingTimeoutMilliseconds = timeout
        return try #require(Keepalive(config: config))
    }

    @Test func anIntervalOfZeroTurnsItOff() {
        var config = ConnectionConfig()
        config.pingIntervalMilliseconds = 0
        #expect(Keepalive(config: config) == nil)
    }

    @Test func aSilentUpstreamGetsAPingAndIsGivenUpWhenNothingFollows() throws {
        var keepalive = try self.keepalive()
        guard case .sendPing = keepalive.timerFired() else { throw TestFailure("expected a Ping") }
        #expect(keepalive.delay(after: .sendPing(ByteBuffer())) == .milliseconds(500))
        #expect(keepalive.timerFired() == .giveUp)
    }

    @Test func anyFrameWithinTheTimeoutKeepsTheConnection() throws {
        var keepalive = try self.keepalive()
        guard case .sendPing = keepalive.timerFired() else { throw TestFailure("expected a Ping") }
        keepalive.heard()
        #expect(keepalive.timerFired() == .keepListening)
        #expect(keepalive.delay(after: .keepListening) == .milliseconds(1000))
        // Silent again: a new Ping, not a verdict.
        guard case .sendPing = keepalive.timerFired() else { throw TestFailure("expected a second Ping") }
    }

    @Test func aBusyUpstreamGetsNoPing() throws {
        var keepalive = try self.keepalive()
        for _ in 0..<5 {
            keepalive.heard()
            #expect(keepalive.timerFired() == .keepListening)
        }
    }

    @Test func whileReadingIsPausedSilenceProvesNothing() throws {
        var keepalive = try self.keepalive()
        keepalive.setReadingPaused(true)
        for _ in 0..<3 { #expect(keepalive.timerFired() == .keepListening) }
        keepalive.setReadingPaused(false)
        guard case .sendPing = keepalive.timerFired() else { throw TestFailure("expected a Ping once reading resumed") }
    }

    @Test func onlyThePongToItsOwnPingIsTheGatewaysOwn() throws {
        var keepalive = try self.keepalive()
        guard case .sendPing(let payload) = keepalive.timerFired() else { throw TestFailure("expected a Ping") }
        let answers = [ByteBuffer(string: "the client's"), payload, payload].map { keepalive.isAnswerToOwnPing($0) }
        // The client's Pong is shown; of an upstream that answers twice, the second is too.
        #expect(answers == [false, true, false])
    }
}
