import NIOCore
import NIOEmbedded
import Testing
@testable import WSGateCore

/// The one clock per event loop that checks every connection's deadlines.
struct LoopClockTests {
    private final class CountingClient: LoopClockClient {
        var ticks = 0
        func loopClockTicked(now: NIODeadline) { self.ticks += 1 }
    }

    @Test func theClockTicksAtTheShortestPeriodWantedAndSlowsDownWhenItsClientLeaves() {
        let loop = EmbeddedEventLoop()
        let clock = LoopClock.of(loop)
        let slow = CountingClient()
        let fast = CountingClient()
        clock.add(slow, tick: .seconds(1))
        clock.add(fast, tick: .milliseconds(100))
        loop.advanceTime(by: .seconds(1))
        #expect(fast.ticks == 10)
        #expect(slow.ticks == 10)

        // The tick already scheduled comes 100 ms later; from then on, one a second.
        clock.remove(fast)
        loop.advanceTime(by: .seconds(2))
        #expect(fast.ticks == 10)
        #expect(slow.ticks == 12)

        // Without clients the clock stops.
        clock.remove(slow)
        loop.advanceTime(by: .seconds(5))
        #expect(slow.ticks == 12)
    }
}
