import CoreMetrics

/// What the core counts, through swift-metrics, for `GET /metrics`: connections, upstream
/// messages and bytes, deliveries, subscribers, cut-offs and pauses. Names and units follow
/// Prometheus' conventions. The factory is passed in, not bootstrapped, so that every gateway in
/// a process (the tests run many) counts into its own registry.
public final class GatewayMetrics: Sendable {
    /// Which way a message went.
    public enum Direction: String, Sendable, CaseIterable {
        /// From the upstream.
        case received
        /// To the upstream.
        case sent
    }

    /// Why a subscriber was cut off.
    public enum CutOffReason: String, Sendable, CaseIterable {
        /// More than its unsent limit was waiting for it.
        case behind
        /// It took nothing for the stall timeout while the upstream waited.
        case stalled
    }

    /// Upstream connections open now.
    let connectionsOpen: Meter
    /// Event stream subscribers now.
    let subscribers: Meter
    /// Events queued for subscribers.
    let eventsDelivered: Counter
    /// Times an upstream's reading was paused for flow control.
    let readsPaused: Counter
    /// The time from a connect request to the open WebSocket.
    let connectDuration: Timer
    /// Messages and payload bytes, by direction and then by kind (in `MessageKind` order).
    private let messages: [Direction: [Counter]]
    private let bytes: [Direction: [Counter]]
    private let cutOffs: [CutOffReason: Counter]

    /// Metrics made by `factory`.
    public init(factory: any MetricsFactory) {
        self.connectionsOpen = Meter(label: "wsgate_upstream_connections_open", factory: factory)
        self.subscribers = Meter(label: "wsgate_subscribers", factory: factory)
        self.eventsDelivered = Counter(label: "wsgate_events_delivered_total", factory: factory)
        self.readsPaused = Counter(label: "wsgate_upstream_reads_paused_total", factory: factory)
        self.connectDuration = Timer(label: "wsgate_upstream_connect_duration_seconds", factory: factory)
        func perKind(_ label: String, _ direction: Direction) -> [Counter] {
            MessageKind.allCases.map { kind in
                Counter(label: label, dimensions: [("direction", direction.rawValue), ("type", kind.name)], factory: factory)
            }
        }
        self.messages = Dictionary(uniqueKeysWithValues: Direction.allCases.map { ($0, perKind("wsgate_upstream_messages_total", $0)) })
        self.bytes = Dictionary(uniqueKeysWithValues: Direction.allCases.map { ($0, perKind("wsgate_upstream_payload_bytes_total", $0)) })
        self.cutOffs = Dictionary(uniqueKeysWithValues: CutOffReason.allCases.map { reason in
            (reason, Counter(label: "wsgate_subscribers_cut_off_total", dimensions: [("reason", reason.rawValue)], factory: factory))
        })
    }

    /// Metrics that go nowhere, for a pool nobody scrapes.
    public static let none = GatewayMetrics(factory: NOOPMetricsHandler.instance)

    /// Counts `messages`, which went `direction`: one increment per run of one kind, as a read
    /// of many messages is mostly of one kind.
    func count(_ messages: some Collection<Message>, _ direction: Direction) {
        guard let messageCounters = self.messages[direction], let byteCounters = self.bytes[direction] else { return }
        var kind: MessageKind?
        var count = 0
        var bytes = 0
        func flush() {
            guard let kind, count > 0 else { return }
            messageCounters[kind.rawValue].increment(by: count)
            byteCounters[kind.rawValue].increment(by: bytes)
        }
        for message in messages {
            if message.kind != kind {
                flush()
                (kind, count, bytes) = (message.kind, 0, 0)
            }
            count += 1
            bytes += message.payloadSize
        }
        flush()
    }

    /// Counts subscribers cut off for `reason`.
    func countCutOffs(_ count: Int, _ reason: CutOffReason) {
        if count > 0 { self.cutOffs[reason]?.increment(by: count) }
    }
}
