import NIOCore
import NIOPosix

/// What a ``LoopClock`` ticks: an object with deadlines of its own, which it checks at each tick.
protocol LoopClockClient: AnyObject {
    /// The clock ticked at `now`; called on the clock's event loop.
    func loopClockTicked(now: NIODeadline)
}

/// The one timer of an event loop that drives the deadlines of every upstream session on that
/// loop: its keepalive and its closing handshake. (HTTP connections keep a timer each: as clients
/// here, every tick of a short keepalive went over all of them too.)
///
/// A timer per connection would be simpler, but NIO cancels a scheduled task by a linear search
/// of its loop's task heap: with timers per open connection, every connect and close paid for
/// every other open connection. The clock ticks at the shortest tick among its clients, so each
/// client's deadline is met within one of its ticks, and stops while it has none.
final class LoopClock {
    /// Each event loop thread's clock. A thread may run several `EmbeddedEventLoop`s in turn,
    /// so the clock found there serves only the loop it was made for.
    private static let clocks = ThreadSpecificVariable<NIOLoopBoundBox<LoopClock>>()

    /// The clock of `eventLoop`; call on that loop.
    static func of(_ eventLoop: any EventLoop) -> LoopClock {
        if let clock = Self.clocks.currentValue?.value, clock.eventLoop === eventLoop { return clock }
        let clock = LoopClock(eventLoop: eventLoop)
        Self.clocks.currentValue = NIOLoopBoundBox(clock, eventLoop: eventLoop)
        return clock
    }

    private let eventLoop: any EventLoop
    private var clients: [ObjectIdentifier: (client: any LoopClockClient, tick: TimeAmount)] = [:]
    /// How many clients want each tick, so that the clock slows down again when the ones that
    /// wanted the shortest leave.
    private var ticks: [TimeAmount: Int] = [:]
    private var timer: Scheduled<Void>?
    /// The period of the running timer; `nil` while it is stopped.
    private var runningTick: TimeAmount?
    /// Whether the clients are being ticked now.
    private var isTicking = false

    private init(eventLoop: any EventLoop) {
        self.eventLoop = eventLoop
    }

    /// Ticks `client` every `tick` or more often until it is removed; adding it again changes its tick.
    func add(_ client: any LoopClockClient, tick: TimeAmount) {
        let key = ObjectIdentifier(client)
        if let old = self.clients[key]?.tick { self.forget(tick: old) }
        self.clients[key] = (client, tick)
        self.ticks[tick] = (self.ticks[tick] ?? 0) + 1
        if let running = self.runningTick, running <= tick { return }
        // During a tick, the tick reschedules itself at the new period.
        guard !self.isTicking else { return }
        self.timer?.cancel()
        self.scheduleTick()
    }

    /// Stops ticking `client`; the clock stops with its last client.
    func remove(_ client: any LoopClockClient) {
        guard let (_, tick) = self.clients.removeValue(forKey: ObjectIdentifier(client)) else { return }
        self.forget(tick: tick)
        if self.clients.isEmpty {
            self.timer?.cancel()
            self.timer = nil
            self.runningTick = nil
        }
    }

    /// Counts one client fewer for `tick`. (Plain reads and writes: an in-place `+=` on a
    /// dictionary's value allocates the frame of its `modify` accessor, at every connect and close.)
    private func forget(tick: TimeAmount) {
        let count = self.ticks[tick] ?? 0
        if count > 1 { self.ticks[tick] = count - 1 } else { self.ticks.removeValue(forKey: tick) }
    }

    /// Schedules the next tick at the shortest period wanted now.
    private func scheduleTick() {
        guard let tick = self.ticks.keys.min() else {
            (self.timer, self.runningTick) = (nil, nil)
            return
        }
        self.runningTick = tick
        self.timer = self.eventLoop.assumeIsolated().scheduleTask(in: tick) {
            let now = NIODeadline.now()
            self.isTicking = true
            // A client may remove itself, or others, while ticked: the loop runs over a copy.
            for (client, _) in self.clients.values { client.loopClockTicked(now: now) }
            self.isTicking = false
            self.scheduleTick()
        }
    }
}
