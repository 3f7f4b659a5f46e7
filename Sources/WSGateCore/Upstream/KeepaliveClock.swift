import NIOCore
import NIOPosix

/// The one timer of an event loop that drives the keepalive of every session on that loop.
///
/// A timer per connection would be simpler, but NIO cancels a scheduled task by a linear search
/// of its loop's task heap: with a keepalive timer per open connection, every connect and close
/// paid for every other open connection. The clock ticks at the shortest
/// ``Keepalive/tick`` among its sessions, and stops while it has none.
final class KeepaliveClock {
    /// Each event loop thread's clock. A thread may run several `EmbeddedEventLoop`s in turn,
    /// so the clock found there serves only the loop it was made for.
    private static let clocks = ThreadSpecificVariable<NIOLoopBoundBox<KeepaliveClock>>()

    /// The clock of `eventLoop`; call on that loop.
    static func of(_ eventLoop: any EventLoop) -> KeepaliveClock {
        if let clock = Self.clocks.currentValue?.value, clock.eventLoop === eventLoop { return clock }
        let clock = KeepaliveClock(eventLoop: eventLoop)
        Self.clocks.currentValue = NIOLoopBoundBox(clock, eventLoop: eventLoop)
        return clock
    }

    private let eventLoop: any EventLoop
    private var sessions: [ObjectIdentifier: WebSocketSession] = [:]
    /// The period of the running timer; `nil` while it is stopped.
    private var tick: TimeAmount?
    private var timer: Scheduled<Void>?
    /// Whether the sessions are being ticked now.
    private var isTicking = false

    private init(eventLoop: any EventLoop) {
        self.eventLoop = eventLoop
    }

    /// Ticks `session` every `tick` or more often until it is removed.
    func add(_ session: WebSocketSession, tick sessionTick: TimeAmount) {
        self.sessions[ObjectIdentifier(session)] = session
        if let tick = self.tick, tick <= sessionTick { return }
        self.tick = sessionTick
        // During a tick, the tick reschedules itself at the new period.
        guard !self.isTicking else { return }
        self.timer?.cancel()
        self.scheduleTick()
    }

    /// Stops ticking `session`; the clock stops with its last session.
    func remove(_ session: WebSocketSession) {
        guard self.sessions.removeValue(forKey: ObjectIdentifier(session)) != nil, self.sessions.isEmpty else { return }
        self.timer?.cancel()
        self.timer = nil
        self.tick = nil
    }

    private func scheduleTick() {
        guard let tick = self.tick else { return }
        self.timer = self.eventLoop.assumeIsolated().scheduleTask(in: tick) {
            let now = NIODeadline.now()
            self.isTicking = true
            // A session may remove itself while ticked: the loop runs over a copy.
            for session in self.sessions.values { session.keepaliveClockTicked(now: now) }
            self.isTicking = false
            self.scheduleTick()
        }
    }
}
